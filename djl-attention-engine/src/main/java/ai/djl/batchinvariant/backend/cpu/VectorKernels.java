/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link AttentionKernels} and {@link RowKernels}. Loaded only when {@link
 * Simd} finds the module. Every lane computes an output of its own with exactly the scalar
 * operation sequence (separate multiply and add, never fused; no lane-crossing reduction of a
 * sum), so each result has the bits of the plain loop it replaces.
 */
final class VectorKernels {

    /** Four lanes: the four interleaved partial sums of {@link CpuMath#dot}, one per lane. */
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    /**
     * 256 bits: JDK 17 compiles the 256-bit masks, conversions and lane moves used here to vector
     * instructions, where several of its 512-bit forms fall back to Java loops.
     */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /**
     * The exact vector classes of F4 and F: loop-carried vectors are cast to them every step so
     * that C2 compiles their operations as intrinsics whatever other vector sizes the process uses
     * (see {@link VectorGemmKernels#VT}).
     */
    @SuppressWarnings("unchecked")
    private static final Class<FloatVector> VT4 = (Class<FloatVector>) (Class<?>) F4.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) F.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VTI = (Class<IntVector>) (Class<?>) I.vectorType();
    private static final float ROUND = FastMath.ROUND;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final int L = F.length();

    private static final float LOG2E = FastMath.LOG2E;
    private static final float LN2_HI = FastMath.LN2_HI;
    private static final float LN2_LO = FastMath.LN2_LO;

    private VectorKernels() {}

    /**
     * Checks at start-up that the species fit together and that a few values match the scalar
     * code; any surprise turns the vector path off.
     */
    static boolean selfCheck() {
        if (I.length() != L || 4 * L != LaneSums.LANES || F4.length() != 4) {
            return false;
        }
        float[] x = new float[L * 2];
        float[] y = new float[L * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = -0.37f * i;
        }
        exp(x, 0, x.length, 0f, y, 0);
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(y[i]) != Float.floatToRawIntBits(FastMath.exp(x[i]))) {
                return false;
            }
        }
        return true;
    }

    /** See {@link AttentionKernels#scores}. */
    static void scores(float[] q, int qOff, int heads, float[] k, int kOff, int keys, int d, float[] out,
            int outOff, int outStride) {
        int g = 0;
        for (; g + 4 <= heads; g += 4) {
            int q0 = qOff + g * d;
            int q1 = q0 + d;
            int q2 = q1 + d;
            int q3 = q2 + d;
            int o = outOff + g * outStride;
            for (int j = 0; j < keys; j++) {
                int ko = kOff + j * d;
                FloatVector a = FloatVector.zero(F4);
                FloatVector b = a;
                FloatVector c = a;
                FloatVector e = a;
                for (int x = 0; x < d; x += 4) {
                    a = VT4.cast(a);
                    b = VT4.cast(b);
                    c = VT4.cast(c);
                    e = VT4.cast(e);
                    FloatVector kv = FloatVector.fromArray(F4, k, ko + x);
                    a = a.add(FloatVector.fromArray(F4, q, q0 + x).mul(kv));
                    b = b.add(FloatVector.fromArray(F4, q, q1 + x).mul(kv));
                    c = c.add(FloatVector.fromArray(F4, q, q2 + x).mul(kv));
                    e = e.add(FloatVector.fromArray(F4, q, q3 + x).mul(kv));
                }
                a = VT4.cast(a);
                b = VT4.cast(b);
                c = VT4.cast(c);
                e = VT4.cast(e);
                out[o + j] = combine(a);
                out[o + outStride + j] = combine(b);
                out[o + 2 * outStride + j] = combine(c);
                out[o + 3 * outStride + j] = combine(e);
            }
        }
        for (; g < heads; g++) {
            int q0 = qOff + g * d;
            int o = outOff + g * outStride;
            for (int j = 0; j < keys; j++) {
                int ko = kOff + j * d;
                FloatVector a = FloatVector.zero(F4);
                for (int x = 0; x < d; x += 4) {
                    a = VT4.cast(a);
                    a = a.add(FloatVector.fromArray(F4, q, q0 + x).mul(FloatVector.fromArray(F4, k, ko + x)));
                }
                out[o + j] = combine(VT4.cast(a));
            }
        }
    }

    /** The fixed tree of {@link CpuMath#dot}: (s0 + s1) + (s2 + s3). */
    private static float combine(FloatVector s) {
        return (s.lane(0) + s.lane(1)) + (s.lane(2) + s.lane(3));
    }

    /**
     * See {@link AttentionKernels#exp}. Four blocks of {@code L} lanes per step, their operations
     * interleaved in program order: one block's formula is a chain of dependent operations, and
     * the core's out-of-order window holds only a few blocks of it, so a loop of one block at a
     * time runs far below the arithmetic units' throughput. Each lane runs {@link FastMath#exp}'s
     * normal-range formula with the same fused multiply-adds, so the bits are the same. The blocks
     * are written out rather than passed to a helper, and every result is cast to its exact class:
     * a {@code FloatVector} whose class C2 cannot prove runs its operations as Java fallbacks (7 to
     * 9 ns an element instead of under 1).
     */
    static void exp(float[] s, int off, int n, float m, float[] p, int pOff) {
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector xa = VT.cast(FloatVector.fromArray(F, s, off + i).sub(m));
            FloatVector xb = VT.cast(FloatVector.fromArray(F, s, off + i + L).sub(m));
            FloatVector xc = VT.cast(FloatVector.fromArray(F, s, off + i + 2 * L).sub(m));
            FloatVector xd = VT.cast(FloatVector.fromArray(F, s, off + i + 3 * L).sub(m));
            // the normal-range formula lane by lane; a block with lanes outside it (NaN, overflow,
            // underflow, subnormal or top-binade results) takes the scalar code.
            // |x| <= 87 is false for NaN too: one test covers every such lane
            VectorMask<Float> normal = xa.abs().compare(VectorOperators.LE, 87f)
                    .and(xb.abs().compare(VectorOperators.LE, 87f))
                    .and(xc.abs().compare(VectorOperators.LE, 87f))
                    .and(xd.abs().compare(VectorOperators.LE, 87f));
            // t = x log2(e) + 1.5 * 2^23, rounded once: k in its low bits
            FloatVector ta = VT.cast(xa.fma(LOG2E, ROUND));
            FloatVector tb = VT.cast(xb.fma(LOG2E, ROUND));
            FloatVector tc = VT.cast(xc.fma(LOG2E, ROUND));
            FloatVector td = VT.cast(xd.fma(LOG2E, ROUND));
            FloatVector ka = VT.cast(ta.sub(ROUND));
            FloatVector kb = VT.cast(tb.sub(ROUND));
            FloatVector kc = VT.cast(tc.sub(ROUND));
            FloatVector kd = VT.cast(td.sub(ROUND));
            FloatVector ra = VT.cast(ka.fma(nhi, xa));
            FloatVector rb = VT.cast(kb.fma(nhi, xb));
            FloatVector rc = VT.cast(kc.fma(nhi, xc));
            FloatVector rd = VT.cast(kd.fma(nhi, xd));
            ra = VT.cast(ka.fma(nlo, ra));
            rb = VT.cast(kb.fma(nlo, rb));
            rc = VT.cast(kc.fma(nlo, rc));
            rd = VT.cast(kd.fma(nlo, rd));
            FloatVector pa = VT.cast(ra.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pb = VT.cast(rb.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pc = VT.cast(rc.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pd = VT.cast(rd.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            pa = VT.cast(pa.fma(ra, c2));
            pb = VT.cast(pb.fma(rb, c2));
            pc = VT.cast(pc.fma(rc, c2));
            pd = VT.cast(pd.fma(rd, c2));
            pa = VT.cast(pa.fma(ra, c3));
            pb = VT.cast(pb.fma(rb, c3));
            pc = VT.cast(pc.fma(rc, c3));
            pd = VT.cast(pd.fma(rd, c3));
            pa = VT.cast(pa.fma(ra, c4));
            pb = VT.cast(pb.fma(rb, c4));
            pc = VT.cast(pc.fma(rc, c4));
            pd = VT.cast(pd.fma(rd, c4));
            pa = VT.cast(pa.fma(ra, c5));
            pb = VT.cast(pb.fma(rb, c5));
            pc = VT.cast(pc.fma(rc, c5));
            pd = VT.cast(pd.fma(rd, c5));
            FloatVector va = VT.cast(VT.cast(pa.fma(VT.cast(ra.mul(ra)), ra)).add(1f));
            FloatVector vb = VT.cast(VT.cast(pb.fma(VT.cast(rb.mul(rb)), rb)).add(1f));
            FloatVector vc = VT.cast(VT.cast(pc.fma(VT.cast(rc.mul(rc)), rc)).add(1f));
            FloatVector vd = VT.cast(VT.cast(pd.fma(VT.cast(rd.mul(rd)), rd)).add(1f));
            if (normal.allTrue()) {
                VT.cast(va.mul(VT.cast(VTI.cast(ta.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))).intoArray(p, pOff + i);
                VT.cast(vb.mul(VT.cast(VTI.cast(tb.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))).intoArray(p, pOff + i + L);
                VT.cast(vc.mul(VT.cast(VTI.cast(tc.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))).intoArray(p, pOff + i + 2 * L);
                VT.cast(vd.mul(VT.cast(VTI.cast(td.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))).intoArray(p, pOff + i + 3 * L);
            } else {
                // p may be s itself: each element is read before it is written
                for (int j = i; j < i + 4 * L; j++) {
                    p[pOff + j] = FastMath.exp(s[off + j] - m);
                }
            }
        }
        for (; i + L <= n; i += L) {
            FloatVector x = VT.cast(FloatVector.fromArray(F, s, off + i).sub(m));
            if (!x.abs().compare(VectorOperators.LE, 87f).allTrue()) {
                break;
            }
            FloatVector t = VT.cast(x.fma(LOG2E, ROUND));
            FloatVector k = VT.cast(t.sub(ROUND));
            FloatVector r = VT.cast(k.fma(nhi, x));
            r = VT.cast(k.fma(nlo, r));
            FloatVector q = VT.cast(r.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            q = VT.cast(q.fma(r, c2));
            q = VT.cast(q.fma(r, c3));
            q = VT.cast(q.fma(r, c4));
            q = VT.cast(q.fma(r, c5));
            FloatVector v = VT.cast(VT.cast(q.fma(VT.cast(r.mul(r)), r)).add(1f));
            VT.cast(v.mul(VT.cast(VTI.cast(t.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))).intoArray(p, pOff + i);
        }
        for (; i < n; i++) {
            p[pOff + i] = FastMath.exp(s[off + i] - m);
        }
    }

    /**
     * The maximum of a long run (any order: only its NaN result may differ from the ordered chain,
     * and the caller redoes those in order).
     */
    static float max(float[] s, int off, int n) {
        // four accumulators: one max at a time waits out the instruction's latency every step
        FloatVector a0 = VT.cast(FloatVector.broadcast(F, Float.NEGATIVE_INFINITY));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = VT.cast(a0).max(VT.cast(FloatVector.fromArray(F, s, off + i)));
            a1 = VT.cast(a1).max(VT.cast(FloatVector.fromArray(F, s, off + i + L)));
            a2 = VT.cast(a2).max(VT.cast(FloatVector.fromArray(F, s, off + i + 2 * L)));
            a3 = VT.cast(a3).max(VT.cast(FloatVector.fromArray(F, s, off + i + 3 * L)));
        }
        for (; i + L <= n; i += L) {
            a0 = VT.cast(a0).max(VT.cast(FloatVector.fromArray(F, s, off + i)));
        }
        FloatVector all = VT.cast(VT.cast(VT.cast(a0).max(VT.cast(a1))).max(VT.cast(VT.cast(a2).max(VT.cast(a3)))));
        float m = all.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, s[off + i]);
        }
        return m;
    }

    /** See {@link AttentionKernels#accumulate}. */
    static void accumulate(float[] acc, int accOff, int heads, float[] scale, float[] p, int pOff, int pStride,
            float[] v, int vOff, int keys, int d) {
        int x = 0;
        for (; x + L <= d; x += L) {
            int g = 0;
            for (; g + 4 <= heads; g += 4) {
                int a0 = accOff + g * d + x;
                FloatVector s0 = FloatVector.fromArray(F, acc, a0).mul(scale[g]);
                FloatVector s1 = FloatVector.fromArray(F, acc, a0 + d).mul(scale[g + 1]);
                FloatVector s2 = FloatVector.fromArray(F, acc, a0 + 2 * d).mul(scale[g + 2]);
                FloatVector s3 = FloatVector.fromArray(F, acc, a0 + 3 * d).mul(scale[g + 3]);
                int p0 = pOff + g * pStride;
                for (int j = 0; j < keys; j++) {
                    s0 = VT.cast(s0);
                    s1 = VT.cast(s1);
                    s2 = VT.cast(s2);
                    s3 = VT.cast(s3);
                    FloatVector vv = FloatVector.fromArray(F, v, vOff + j * d + x);
                    s0 = s0.add(VT.cast(FloatVector.broadcast(F, p[p0 + j])).mul(vv));
                    s1 = s1.add(VT.cast(FloatVector.broadcast(F, p[p0 + pStride + j])).mul(vv));
                    s2 = s2.add(VT.cast(FloatVector.broadcast(F, p[p0 + 2 * pStride + j])).mul(vv));
                    s3 = s3.add(VT.cast(FloatVector.broadcast(F, p[p0 + 3 * pStride + j])).mul(vv));
                }
                VT.cast(s0).intoArray(acc, a0);
                VT.cast(s1).intoArray(acc, a0 + d);
                VT.cast(s2).intoArray(acc, a0 + 2 * d);
                VT.cast(s3).intoArray(acc, a0 + 3 * d);
            }
            for (; g < heads; g++) {
                int a0 = accOff + g * d + x;
                FloatVector s0 = FloatVector.fromArray(F, acc, a0).mul(scale[g]);
                int p0 = pOff + g * pStride;
                for (int j = 0; j < keys; j++) {
                    s0 = VT.cast(s0);
                    s0 = s0.add(VT.cast(FloatVector.broadcast(F, p[p0 + j])).mul(FloatVector.fromArray(F, v, vOff + j * d + x)));
                }
                VT.cast(s0).intoArray(acc, a0);
            }
        }
        if (x < d) {
            AttentionKernels.accumulateScalar(acc, accOff, heads, scale, p, pOff, pStride, v, vOff, keys, d, x);
        }
    }
    /**
     * {@code o[off + i] = v[off + i] / denom} (then {@code * w[i]} when w is given) for i in
     * [0, n): one division and one multiplication per element, each rounded, as in the scalar
     * loop (C2 does not vectorise that loop: its arrays are indexed with different offsets).
     */
    static void divScale(float[] v, int off, int n, float denom, float[] w, float[] o) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector y = FloatVector.fromArray(F, v, off + i).div(denom);
            if (w != null) {
                y = y.mul(FloatVector.fromArray(F, w, i));
            }
            VT.cast(y).intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = w == null ? v[off + i] / denom : v[off + i] / denom * w[i];
        }
    }

    /**
     * {@link #divScale} of the row at {@code off} fused with the first {@link #laneSum} pass of
     * squares over the next row at {@code next}: one loop streams the next row in while the
     * current one is written out, where two passes would each leave half of a core's memory
     * traffic idle. Each output and each partial sum takes exactly the operations of the two
     * separate loops. Returns where the squares stopped (a multiple of 32), their partial sums in
     * {@code s}, for {@link LaneSums#finish}.
     *
     * @param v the rows
     * @param off the current row
     * @param n the row length
     * @param denom the current row's denominator
     * @param w the weight, or null
     * @param o the output rows (may be v)
     * @param next the next row
     * @param s the 32 partial sums of the next row's squares (out)
     * @return the next row's elements summed
     */
    static int divScaleThenSquares(float[] v, int off, int n, float denom, float[] w, float[] o, int next, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector d0 = VT.cast(FloatVector.fromArray(F, v, next + i).sub(0f));
            FloatVector d1 = VT.cast(FloatVector.fromArray(F, v, next + i + L).sub(0f));
            FloatVector d2 = VT.cast(FloatVector.fromArray(F, v, next + i + 2 * L).sub(0f));
            FloatVector d3 = VT.cast(FloatVector.fromArray(F, v, next + i + 3 * L).sub(0f));
            a0 = VT.cast(a0).add(VT.cast(d0.mul(d0)));
            a1 = VT.cast(a1).add(VT.cast(d1.mul(d1)));
            a2 = VT.cast(a2).add(VT.cast(d2.mul(d2)));
            a3 = VT.cast(a3).add(VT.cast(d3.mul(d3)));
            for (int j = 0; j < 4 * L; j += L) {
                FloatVector y = VT.cast(FloatVector.fromArray(F, v, off + i + j).div(denom));
                if (w != null) {
                    y = VT.cast(y.mul(FloatVector.fromArray(F, w, i + j)));
                }
                y.intoArray(o, off + i + j);
            }
        }
        VT.cast(a0).intoArray(s, 0);
        VT.cast(a1).intoArray(s, L);
        VT.cast(a2).intoArray(s, 2 * L);
        VT.cast(a3).intoArray(s, 3 * L);
        int done = i;
        for (; i + L <= n; i += L) {
            FloatVector y = VT.cast(FloatVector.fromArray(F, v, off + i).div(denom));
            if (w != null) {
                y = VT.cast(y.mul(FloatVector.fromArray(F, w, i)));
            }
            y.intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = w == null ? v[off + i] / denom : v[off + i] / denom * w[i];
        }
        return done;
    }

    /**
     * {@code o[off + i] = (x[off + i] - mean) * rstd} (then {@code * gamma[i]}, then {@code +
     * beta[i]}) for i in [0, n): layer norm's output pass, each operation rounded as in the scalar
     * loop. The null checks are loop-invariant, and C2 moves them out of the loop.
     */
    static void normalise(float[] x, int off, int n, float mean, float rstd, float[] gamma, float[] beta, float[] o) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector y = FloatVector.fromArray(F, x, off + i).sub(mean).mul(rstd);
            if (gamma != null) {
                y = y.mul(FloatVector.fromArray(F, gamma, i));
            }
            if (beta != null) {
                y = y.add(FloatVector.fromArray(F, beta, i));
            }
            VT.cast(y).intoArray(o, off + i);
        }
        for (; i < n; i++) {
            float y = (x[off + i] - mean) * rstd;
            if (gamma != null) {
                y = y * gamma[i];
            }
            if (beta != null) {
                y = y + beta[i];
            }
            o[off + i] = y;
        }
    }

    /**
     * {@link #normalise} of the row at {@code off} fused with the first {@link #laneSum} pass over
     * the next row at {@code next} (its plain sum, layer norm's first pass): one loop writes a row
     * out while it streams the next one in. Each output and each partial sum takes exactly the
     * operations of the separate loops. Returns where the sum stopped (a multiple of 32), its
     * partial sums in {@code s}, for {@link LaneSums#finish}.
     *
     * @param x the rows
     * @param off the current row
     * @param n the row length
     * @param mean the current row's mean
     * @param rstd the current row's 1 / standard deviation
     * @param gamma the scale, or null
     * @param beta the shift, or null
     * @param o the output rows (may be x)
     * @param next the next row
     * @param s the 32 partial sums of the next row (out)
     * @return the next row's elements summed
     */
    static int normaliseThenSum(float[] x, int off, int n, float mean, float rstd, float[] gamma, float[] beta,
            float[] o, int next, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = VT.cast(a0).add(VT.cast(FloatVector.fromArray(F, x, next + i).sub(0f)));
            a1 = VT.cast(a1).add(VT.cast(FloatVector.fromArray(F, x, next + i + L).sub(0f)));
            a2 = VT.cast(a2).add(VT.cast(FloatVector.fromArray(F, x, next + i + 2 * L).sub(0f)));
            a3 = VT.cast(a3).add(VT.cast(FloatVector.fromArray(F, x, next + i + 3 * L).sub(0f)));
            for (int j = 0; j < 4 * L; j += L) {
                FloatVector y = VT.cast(FloatVector.fromArray(F, x, off + i + j).sub(mean).mul(rstd));
                if (gamma != null) {
                    y = VT.cast(y.mul(FloatVector.fromArray(F, gamma, i + j)));
                }
                if (beta != null) {
                    y = VT.cast(y.add(FloatVector.fromArray(F, beta, i + j)));
                }
                y.intoArray(o, off + i + j);
            }
        }
        VT.cast(a0).intoArray(s, 0);
        VT.cast(a1).intoArray(s, L);
        VT.cast(a2).intoArray(s, 2 * L);
        VT.cast(a3).intoArray(s, 3 * L);
        int done = i;
        for (; i < n; i++) {
            float y = (x[off + i] - mean) * rstd;
            if (gamma != null) {
                y = y * gamma[i];
            }
            if (beta != null) {
                y = y + beta[i];
            }
            o[off + i] = y;
        }
        return done;
    }

    /**
     * {@link #mulScalar} of the row at {@code off} fused with the vector max of the next row at
     * {@code next} (softmax's first pass): one loop writes a row out while it streams the next
     * one in. Returns the next row's maximum in any order; the caller redoes a NaN result in
     * order, as {@link AttentionKernels#max} does.
     *
     * @param o the output rows
     * @param off the current row
     * @param n the row length
     * @param c the factor
     * @param x the input rows
     * @param next the next row
     * @return the next row's maximum, -infinity for n = 0
     */
    static float mulScalarThenMax(float[] o, int off, int n, float c, float[] x, int next) {
        FloatVector m0 = VT.cast(FloatVector.broadcast(F, Float.NEGATIVE_INFINITY));
        FloatVector m1 = m0;
        FloatVector m2 = m0;
        FloatVector m3 = m0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            m0 = VT.cast(m0).max(VT.cast(FloatVector.fromArray(F, x, next + i)));
            m1 = VT.cast(m1).max(VT.cast(FloatVector.fromArray(F, x, next + i + L)));
            m2 = VT.cast(m2).max(VT.cast(FloatVector.fromArray(F, x, next + i + 2 * L)));
            m3 = VT.cast(m3).max(VT.cast(FloatVector.fromArray(F, x, next + i + 3 * L)));
            for (int j = 0; j < 4 * L; j += L) {
                VT.cast(FloatVector.fromArray(F, o, off + i + j).mul(c)).intoArray(o, off + i + j);
            }
        }
        FloatVector all = VT.cast(VT.cast(VT.cast(m0).max(VT.cast(m1))).max(VT.cast(VT.cast(m2).max(VT.cast(m3)))));
        float m = all.reduceLanes(VectorOperators.MAX);
        for (int k = i; k < n; k++) {
            m = Math.max(m, x[next + k]);
        }
        mulScalar(o, off + i, n - i, c);
        return m;
    }

    /** {@code o[oOff + i] = x[xOff + i] - c} for i in [0, n). */
    static void subScalar(float[] x, int xOff, int n, float c, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(FloatVector.fromArray(F, x, xOff + i).sub(c)).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[xOff + i] - c;
        }
    }

    /** {@code o[off + i] = o[off + i] * c} for i in [0, n). */
    static void mulScalar(float[] o, int off, int n, float c) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(FloatVector.fromArray(F, o, off + i).mul(c)).intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = o[off + i] * c;
        }
    }

    /**
     * The vector form of {@link LaneSums#sum}: its 32 partial sums are four vectors of eight
     * lanes, lane l of vector v holding partial sum {@code 8v + l}, each lane adding its terms in
     * index order with the plain loop's roundings (difference, product, sum, never fused). Sums
     * whole blocks of 32 elements into {@code s} (which holds zeros) and returns where it stopped;
     * the caller adds the rest of the row to the same partial sums.
     *
     * @param t the term
     * @param x the row's array
     * @param off the row's first element
     * @param n the row length
     * @param c the centre of {@link LaneSums.Term#CENTRED_SQUARE}
     * @param s the 32 partial sums (out)
     * @return the number of elements summed, a multiple of 32
     */
    static int laneSum(LaneSums.Term t, float[] x, int off, int n, float c, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        // every term subtracts its centre, +0 unless centred: x - (+0) is x for every float (-0
        // included), and with the subtraction in one case only, a vector exp compiled later in the
        // same process ran seven times slower (its operations lost their exact vector class)
        boolean square = t != LaneSums.Term.VALUE;
        float m = t == LaneSums.Term.CENTRED_SQUARE ? c : 0f;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector d0 = FloatVector.fromArray(F, x, off + i);
            FloatVector d1 = FloatVector.fromArray(F, x, off + i + L);
            FloatVector d2 = FloatVector.fromArray(F, x, off + i + 2 * L);
            FloatVector d3 = FloatVector.fromArray(F, x, off + i + 3 * L);
            d0 = d0.sub(m);
            d1 = d1.sub(m);
            d2 = d2.sub(m);
            d3 = d3.sub(m);
            if (square) {
                d0 = d0.mul(d0);
                d1 = d1.mul(d1);
                d2 = d2.mul(d2);
                d3 = d3.mul(d3);
            }
            a0 = VT.cast(a0).add(VT.cast(d0));
            a1 = VT.cast(a1).add(VT.cast(d1));
            a2 = VT.cast(a2).add(VT.cast(d2));
            a3 = VT.cast(a3).add(VT.cast(d3));
        }
        VT.cast(a0).intoArray(s, 0);
        VT.cast(a1).intoArray(s, L);
        VT.cast(a2).intoArray(s, 2 * L);
        VT.cast(a3).intoArray(s, 3 * L);
        return i;
    }
}
