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
 * The Vector API forms of {@link AttentionKernels} and exp (the row kernels' passes are in {@link
 * VectorRowKernels}). Loaded only when {@link Simd} finds the module. Every lane computes an output of its own with exactly the scalar
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
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /**
     * The exact vector classes of F4 and F: loop-carried vectors are cast to them every step so
     * that C2 compiles their operations as intrinsics whatever other vector sizes the process uses
     * (see {@link VectorGemmKernels#VT}).
     */
    @SuppressWarnings("unchecked")
    private static final Class<FloatVector> VT4 = (Class<FloatVector>) (Class<?>) F4.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) F.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VTI = (Class<IntVector>) (Class<?>) I.vectorType();
    private static final float ROUND = FastMath.ROUND;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    static final int L = F.length();

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
}
