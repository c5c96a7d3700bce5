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
    /** 1.5 * 2^23: adding it rounds a float below 2^22 in magnitude to an integer. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    private static final int L = F.length();

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    private VectorKernels() {}

    /**
     * Checks at start-up that the species fit together and that a few values match the scalar
     * code; any surprise turns the vector path off.
     */
    static boolean selfCheck() {
        if (I.length() != L || L < 4 || F4.length() != 4) {
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
     * interleaved in program order: one block's formula is a chain of about 27 dependent
     * operations, and the core's out-of-order window holds only a few blocks of it, so a loop of one
     * block at a time ran at about a third of the adders' throughput (0.63 ns an element on one
     * core of the benchmark machine, rows in L2); four interleaved chains run at 0.50 ns, eight
     * spill registers (0.59 ns). Every lane's operations are those of the one-block loop, so the
     * bits are the same. The blocks are written out rather than passed to a helper: a {@code
     * FloatVector} parameter loses its exact class, and C2 then runs the helper's operations as Java
     * fallbacks (1.8 ns an element).
     */
    static void exp(float[] s, int off, int n, float m, float[] p, int pOff) {
        FloatVector one = VT.cast(FloatVector.broadcast(F, 1f));
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector xa = FloatVector.fromArray(F, s, off + i).sub(m);
            FloatVector xb = FloatVector.fromArray(F, s, off + i + L).sub(m);
            FloatVector xc = FloatVector.fromArray(F, s, off + i + 2 * L).sub(m);
            FloatVector xd = FloatVector.fromArray(F, s, off + i + 3 * L).sub(m);
            // the normal-range formula of FastMath.exp lane by lane; a block with lanes outside it
            // (NaN, overflow, underflow, subnormal or top-binade results) takes the scalar code.
            // |x| <= 87 is false for NaN too: one test covers every such lane
            VectorMask<Float> normal = xa.abs().compare(VectorOperators.LE, 87f)
                    .and(xb.abs().compare(VectorOperators.LE, 87f))
                    .and(xc.abs().compare(VectorOperators.LE, 87f))
                    .and(xd.abs().compare(VectorOperators.LE, 87f));
            FloatVector ya = xa.mul(LOG2E).add(0.5f);
            FloatVector yb = xb.mul(LOG2E).add(0.5f);
            FloatVector yc = xc.mul(LOG2E).add(0.5f);
            FloatVector yd = xd.mul(LOG2E).add(0.5f);
            // floor(y): round to an integer by adding 1.5 * 2^23, step down where that went up
            FloatVector ta = ya.add(ROUND).sub(ROUND);
            FloatVector tb = yb.add(ROUND).sub(ROUND);
            FloatVector tc = yc.add(ROUND).sub(ROUND);
            FloatVector td = yd.add(ROUND).sub(ROUND);
            FloatVector ka = ta.sub(one, ta.compare(VectorOperators.GT, ya));
            FloatVector kb = tb.sub(one, tb.compare(VectorOperators.GT, yb));
            FloatVector kc = tc.sub(one, tc.compare(VectorOperators.GT, yc));
            FloatVector kd = td.sub(one, td.compare(VectorOperators.GT, yd));
            FloatVector ra = xa.sub(ka.mul(LN2_HI));
            FloatVector rb = xb.sub(kb.mul(LN2_HI));
            FloatVector rc = xc.sub(kc.mul(LN2_HI));
            FloatVector rd = xd.sub(kd.mul(LN2_HI));
            ra = ra.sub(ka.mul(LN2_LO));
            rb = rb.sub(kb.mul(LN2_LO));
            rc = rc.sub(kc.mul(LN2_LO));
            rd = rd.sub(kd.mul(LN2_LO));
            FloatVector pa = ra.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            FloatVector pb = rb.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            FloatVector pc = rc.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            FloatVector pd = rd.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            pa = pa.mul(ra).add(8.3334519073e-3f);
            pb = pb.mul(rb).add(8.3334519073e-3f);
            pc = pc.mul(rc).add(8.3334519073e-3f);
            pd = pd.mul(rd).add(8.3334519073e-3f);
            pa = pa.mul(ra).add(4.1665795894e-2f);
            pb = pb.mul(rb).add(4.1665795894e-2f);
            pc = pc.mul(rc).add(4.1665795894e-2f);
            pd = pd.mul(rd).add(4.1665795894e-2f);
            pa = pa.mul(ra).add(1.6666665459e-1f);
            pb = pb.mul(rb).add(1.6666665459e-1f);
            pc = pc.mul(rc).add(1.6666665459e-1f);
            pd = pd.mul(rd).add(1.6666665459e-1f);
            pa = pa.mul(ra).add(5.0000001201e-1f);
            pb = pb.mul(rb).add(5.0000001201e-1f);
            pc = pc.mul(rc).add(5.0000001201e-1f);
            pd = pd.mul(rd).add(5.0000001201e-1f);
            FloatVector va = pa.mul(ra).mul(ra).add(ra).add(1f);
            FloatVector vb = pb.mul(rb).mul(rb).add(rb).add(1f);
            FloatVector vc = pc.mul(rc).mul(rc).add(rc).add(1f);
            FloatVector vd = pd.mul(rd).mul(rd).add(rd).add(1f);
            // 2^k from the integer k held in the low bits of k + 1.5 * 2^23
            FloatVector sa = VT.cast(VTI.cast(ka.add(ROUND).reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector sb = VT.cast(VTI.cast(kb.add(ROUND).reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector sc = VT.cast(VTI.cast(kc.add(ROUND).reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector sd = VT.cast(VTI.cast(kd.add(ROUND).reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            if (normal.allTrue()) {
                va.mul(sa).intoArray(p, pOff + i);
                vb.mul(sb).intoArray(p, pOff + i + L);
                vc.mul(sc).intoArray(p, pOff + i + 2 * L);
                vd.mul(sd).intoArray(p, pOff + i + 3 * L);
            } else {
                // p may be s itself: each element is read before it is written
                for (int j = i; j < i + 4 * L; j++) {
                    p[pOff + j] = FastMath.exp(s[off + j] - m);
                }
            }
        }
        for (; i + L <= n; i += L) {
            FloatVector x = FloatVector.fromArray(F, s, off + i).sub(m);
            FloatVector y = x.mul(LOG2E).add(0.5f);
            FloatVector t = y.add(ROUND).sub(ROUND);
            FloatVector k = t.sub(one, t.compare(VectorOperators.GT, y));
            FloatVector r = x.sub(k.mul(LN2_HI));
            r = r.sub(k.mul(LN2_LO));
            FloatVector poly = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            poly = poly.mul(r).add(8.3334519073e-3f);
            poly = poly.mul(r).add(4.1665795894e-2f);
            poly = poly.mul(r).add(1.6666665459e-1f);
            poly = poly.mul(r).add(5.0000001201e-1f);
            FloatVector v = poly.mul(r).mul(r).add(r).add(1f);
            if (x.abs().compare(VectorOperators.LE, 87f).allTrue()) {
                IntVector ki = VTI.cast(k.add(ROUND).reinterpretAsInts());
                v.mul(VT.cast(ki.add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()))
                        .intoArray(p, pOff + i);
            } else {
                for (int j = i; j < i + L; j++) {
                    p[pOff + j] = FastMath.exp(s[off + j] - m);
                }
            }
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
        FloatVector acc = VT.cast(FloatVector.broadcast(F, Float.NEGATIVE_INFINITY));
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = VT.cast(acc);
            acc = acc.max(FloatVector.fromArray(F, s, off + i));
        }
        float m = VT.cast(acc).reduceLanes(VectorOperators.MAX);
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
     * The sums of the centred squares {@code (x - mean[k])²} of eight rows at {@code base + k * n},
     * each difference and square rounded and each row's sum one chain in index order, as {@link
     * RowSums#centredSquares} computes them. The squares of a block of {@value RowSums#BLOCK}
     * elements of each row are computed eight lanes at a time into {@code scratch} (in L1), then
     * {@link RowSums#chains8} adds them row by row in order: the chains then cost a load and an add
     * an element instead of four scalar operations (rows in L2: 0.29 to 0.21 ns an element on one
     * core). Layer norm runs this pass on rows already in L2; for RMS norm's squares, the pass that
     * streams the rows from memory, the same scheme measured 4 to 10% slower than the scalar chains
     * and is not used.
     *
     * @param x the rows
     * @param base the first row's offset
     * @param n the row length
     * @param mean each row's mean
     * @param s the eight sums (out)
     * @param scratch at least {@code 8 * RowSums.BLOCK} floats
     */
    static void centredSquares8(float[] x, int base, int n, float[] mean, float[] s, float[] scratch) {
        final int b = RowSums.BLOCK;
        java.util.Arrays.fill(s, 0, 8, 0f);
        int i = 0;
        for (; i + b <= n; i += b) {
            for (int k = 0; k < 8; k++) {
                int o = base + k * n + i;
                float m = mean[k];
                for (int j = 0; j < b; j += L) {
                    FloatVector d = FloatVector.fromArray(F, x, o + j).sub(m);
                    VT.cast(d.mul(d)).intoArray(scratch, k * b + j);
                }
            }
            RowSums.chains8(scratch, s);
        }
        for (int k = 0; k < 8; k++) {
            int o = base + k * n;
            float m = mean[k];
            float acc = s[k];
            for (int j = i; j < n; j++) {
                float d = x[o + j] - m;
                acc += d * d;
            }
            s[k] = acc;
        }
    }
}
