/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.config.EngineOptions;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    /**
     * The widest vectors the processor offers, 512 or 256 bits ({@link #wide}): exp, max and
     * softmax's fused loop, whose lanes never meet, so the width changes their speed only.
     */
    static final VectorSpecies<Float> W = wide();
    private static final VectorSpecies<Integer> WI = W.length() == 16 ? IntVector.SPECIES_512 : I;
    /** The exact vector classes of W and WI (see VT). */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VW = (Class<FloatVector>) (Class<?>) W.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VWI = (Class<IntVector>) (Class<?>) WI.vectorType();
    /** Lanes of W: 16 or 8. */
    static final int LW = W.length();
    private static final float ROUND = FastMath.ROUND;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    static final int L = F.length();

    /** The property that keeps W at 256 bits (the value 256). */
    static final String BITS_PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.CPU_VECTOR_BITS;

    private static final float LOG2E = FastMath.LOG2E;
    private static final float LN2_HI = FastMath.LN2_HI;
    private static final float LN2_LO = FastMath.LN2_LO;

    private VectorKernels() {}

    /**
     * 512 bits where the processor's preferred vectors are that wide and the property does not ask
     * for 256 (a half-width pass costs exp twice the instructions on such a processor); else 256.
     */
    private static VectorSpecies<Float> wide() {
        String bits = System.getProperty(BITS_PROPERTY);
        if ("256".equals(bits == null ? null : bits.trim())) {
            return F;
        }
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? FloatVector.SPECIES_512 : F;
    }

    /**
     * Checks at start-up that the species fit together and that a few values match the scalar
     * code; any surprise turns the vector path off.
     */
    static boolean selfCheck() {
        if (I.length() != L || 4 * L != LaneSums.LANES || F4.length() != 4 || LaneSums.LANES % LW != 0) {
            return false;
        }
        // every loop of exp: whole steps, single blocks and the scalar tail
        float[] x = new float[5 * LW + 3];
        float[] y = new float[x.length];
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

    /** See {@link AttentionKernels#exp}: {@link #expSumMax} without the sums and the maximum. */
    static void exp(float[] s, int off, int n, float m, float[] p, int pOff) {
        expSumMax(s, off, n, m, p, pOff, null, -1);
    }

    /**
     * {@code p[pOff + i] = exp(s[off + i] - m)} for i in [0, n) with {@link FastMath#exp}'s bits,
     * and the sum of those exps in {@link LaneSums}' order and the maximum of another run of n
     * elements — softmax's middle pass fused with the next row's first: one loop streams the next
     * row in from memory while the exps, the costly part, run on the current one (as two passes,
     * memory idled through the exps). Whole steps of {@code 4 LW} elements run in {@link
     * #expSteps}; a step with lanes outside the vector formula's range takes the scalar code here,
     * its exps added to the partial sums as stored, in index order.
     *
     * @param s the arguments
     * @param off the first argument
     * @param n the count
     * @param m subtracted from each argument before exp
     * @param p the output (may be s)
     * @param pOff the first output
     * @param sums the {@value LaneSums#LANES} partial sums (out; {@code sums[0]} holds the total on
     *     return), or null where the sum is not wanted
     * @param next where the other run starts in s, or -1 for none
     * @return that run's maximum in any order (-infinity without one); the caller redoes a NaN
     *     result in order, as {@link AttentionKernels#max} does
     */
    static float expSumMax(float[] s, int off, int n, float m, float[] p, int pOff, float[] sums, int next) {
        float[] acc = sums != null ? sums : new float[LaneSums.LANES];
        Arrays.fill(acc, 0f);
        float[] most = new float[4 * LW];
        Arrays.fill(most, Float.NEGATIVE_INFINITY);
        // without another run the maximum is taken over this one (from L1) and dropped
        int nx = next >= 0 ? next : off;
        int full = n - n % (4 * LW);
        int i = 0;
        while (i < full) {
            i = expSteps(s, off, full, m, p, pOff, acc, most, nx, i);
            if (i < full) {
                for (int j = i; j < i + 4 * LW; j++) {
                    // p may be s itself: each element is read before it is written
                    float e = FastMath.exp(s[off + j] - m);
                    p[pOff + j] = e;
                    acc[j & (LaneSums.LANES - 1)] += e;
                    most[0] = Math.max(most[0], s[nx + j]);
                }
                i += 4 * LW;
            }
        }
        for (; i < n; i++) {
            p[pOff + i] = FastMath.exp(s[off + i] - m);
        }
        if (sums != null) {
            LaneSums.finish(LaneSums.Term.VALUE, p, pOff, n, 0f, sums, full);
        }
        if (next < 0) {
            return Float.NEGATIVE_INFINITY;
        }
        float mx = Float.NEGATIVE_INFINITY;
        for (float v : most) {
            mx = Math.max(mx, v);
        }
        for (int k = full; k < n; k++) {
            mx = Math.max(mx, s[next + k]);
        }
        return mx;
    }

    /**
     * The vector loop of {@link #expSumMax} from element i to the first step with a lane outside
     * the formula's range (or to n, a multiple of {@code 4 LW}); returns where it stopped. The
     * partial sums and the maximum lanes come in and go out through arrays: the loop holds no call
     * and no branch that joins two vector values, either of which made C2 box the loop's vectors
     * every step (15 KB of garbage and 2 to 3 times the time a 4096-element row).
     *
     * <p>Four blocks of {@code LW} lanes per step, their operations interleaved in program order:
     * one block's formula is a chain of dependent operations, and the core's out-of-order window
     * holds only a few blocks of it. Each lane runs {@link FastMath#exp}'s normal-range formula
     * with the same fused multiply-adds, so the bits are the same at every vector width. The
     * formula is written out: as helper methods C2 stopped inlining it (its node-count cutoff) and
     * exp ran at 2.3 ns an element instead of under 0.5; every result is cast to its exact class,
     * since a {@code FloatVector} whose class C2 cannot prove runs its operations as Java
     * fallbacks. With 16 lanes, partial sum j of LaneSums is lane j of accumulator j / 16, which
     * adds the exps of elements j, j + 32, … in index order, as the plain loop does.
     */
    private static int expSteps(float[] s, int off, int n, float m, float[] p, int pOff, float[] acc, float[] most,
            int nx, int i) {
        FloatVector nhi = VW.cast(FloatVector.broadcast(W, -LN2_HI));
        FloatVector nlo = VW.cast(FloatVector.broadcast(W, -LN2_LO));
        FloatVector c2 = VW.cast(FloatVector.broadcast(W, FastMath.EXP_C2));
        FloatVector c3 = VW.cast(FloatVector.broadcast(W, FastMath.EXP_C3));
        FloatVector c4 = VW.cast(FloatVector.broadcast(W, FastMath.EXP_C4));
        FloatVector c5 = VW.cast(FloatVector.broadcast(W, FastMath.EXP_C5));
        FloatVector a0 = VW.cast(FloatVector.fromArray(W, acc, 0));
        FloatVector a1 = VW.cast(FloatVector.fromArray(W, acc, LW));
        // with 16 lanes the 32 partial sums are two vectors: a2 and a3 stay unused
        FloatVector a2 = VW.cast(FloatVector.fromArray(W, acc, LW == 8 ? 2 * LW : 0));
        FloatVector a3 = VW.cast(FloatVector.fromArray(W, acc, LW == 8 ? 3 * LW : 0));
        FloatVector m0 = VW.cast(FloatVector.fromArray(W, most, 0));
        FloatVector m1 = VW.cast(FloatVector.fromArray(W, most, LW));
        FloatVector m2 = VW.cast(FloatVector.fromArray(W, most, 2 * LW));
        FloatVector m3 = VW.cast(FloatVector.fromArray(W, most, 3 * LW));
        for (; i + 4 * LW <= n; i += 4 * LW) {
            FloatVector xa = VW.cast(FloatVector.fromArray(W, s, off + i).sub(m));
            FloatVector xb = VW.cast(FloatVector.fromArray(W, s, off + i + LW).sub(m));
            FloatVector xc = VW.cast(FloatVector.fromArray(W, s, off + i + 2 * LW).sub(m));
            FloatVector xd = VW.cast(FloatVector.fromArray(W, s, off + i + 3 * LW).sub(m));
            // |x| <= 87 is false for NaN too: one test covers every lane outside the formula's range
            if (!xa.abs().compare(VectorOperators.LE, 87f)
                    .and(xb.abs().compare(VectorOperators.LE, 87f))
                    .and(xc.abs().compare(VectorOperators.LE, 87f))
                    .and(xd.abs().compare(VectorOperators.LE, 87f))
                    .allTrue()) {
                break;
            }
            m0 = VW.cast(m0).max(VW.cast(FloatVector.fromArray(W, s, nx + i)));
            m1 = VW.cast(m1).max(VW.cast(FloatVector.fromArray(W, s, nx + i + LW)));
            m2 = VW.cast(m2).max(VW.cast(FloatVector.fromArray(W, s, nx + i + 2 * LW)));
            m3 = VW.cast(m3).max(VW.cast(FloatVector.fromArray(W, s, nx + i + 3 * LW)));
            // t = x log2(e) + 1.5 * 2^23, rounded once: k in its low bits
            FloatVector ta = VW.cast(xa.fma(LOG2E, ROUND));
            FloatVector tb = VW.cast(xb.fma(LOG2E, ROUND));
            FloatVector tc = VW.cast(xc.fma(LOG2E, ROUND));
            FloatVector td = VW.cast(xd.fma(LOG2E, ROUND));
            FloatVector ka = VW.cast(ta.sub(ROUND));
            FloatVector kb = VW.cast(tb.sub(ROUND));
            FloatVector kc = VW.cast(tc.sub(ROUND));
            FloatVector kd = VW.cast(td.sub(ROUND));
            FloatVector ra = VW.cast(ka.fma(nhi, xa));
            FloatVector rb = VW.cast(kb.fma(nhi, xb));
            FloatVector rc = VW.cast(kc.fma(nhi, xc));
            FloatVector rd = VW.cast(kd.fma(nhi, xd));
            ra = VW.cast(ka.fma(nlo, ra));
            rb = VW.cast(kb.fma(nlo, rb));
            rc = VW.cast(kc.fma(nlo, rc));
            rd = VW.cast(kd.fma(nlo, rd));
            FloatVector pa = VW.cast(ra.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pb = VW.cast(rb.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pc = VW.cast(rc.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            FloatVector pd = VW.cast(rd.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            pa = VW.cast(pa.fma(ra, c2));
            pb = VW.cast(pb.fma(rb, c2));
            pc = VW.cast(pc.fma(rc, c2));
            pd = VW.cast(pd.fma(rd, c2));
            pa = VW.cast(pa.fma(ra, c3));
            pb = VW.cast(pb.fma(rb, c3));
            pc = VW.cast(pc.fma(rc, c3));
            pd = VW.cast(pd.fma(rd, c3));
            pa = VW.cast(pa.fma(ra, c4));
            pb = VW.cast(pb.fma(rb, c4));
            pc = VW.cast(pc.fma(rc, c4));
            pd = VW.cast(pd.fma(rd, c4));
            pa = VW.cast(pa.fma(ra, c5));
            pb = VW.cast(pb.fma(rb, c5));
            pc = VW.cast(pc.fma(rc, c5));
            pd = VW.cast(pd.fma(rd, c5));
            FloatVector va = VW.cast(VW.cast(pa.fma(VW.cast(ra.mul(ra)), ra)).add(1f));
            FloatVector vb = VW.cast(VW.cast(pb.fma(VW.cast(rb.mul(rb)), rb)).add(1f));
            FloatVector vc = VW.cast(VW.cast(pc.fma(VW.cast(rc.mul(rc)), rc)).add(1f));
            FloatVector vd = VW.cast(VW.cast(pd.fma(VW.cast(rd.mul(rd)), rd)).add(1f));
            va = VW.cast(va.mul(VW.cast(VWI.cast(ta.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            vb = VW.cast(vb.mul(VW.cast(VWI.cast(tb.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            vc = VW.cast(vc.mul(VW.cast(VWI.cast(tc.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            vd = VW.cast(vd.mul(VW.cast(VWI.cast(td.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            va.intoArray(p, pOff + i);
            vb.intoArray(p, pOff + i + LW);
            vc.intoArray(p, pOff + i + 2 * LW);
            vd.intoArray(p, pOff + i + 3 * LW);
            if (LW == 16) {
                // elements i + 32 .. i + 63 go to the same partial sums as i .. i + 31, after them
                a0 = VW.cast(VW.cast(VW.cast(a0).add(va)).add(vc));
                a1 = VW.cast(VW.cast(VW.cast(a1).add(vb)).add(vd));
            } else {
                a0 = VW.cast(VW.cast(a0).add(va));
                a1 = VW.cast(VW.cast(a1).add(vb));
                a2 = VW.cast(VW.cast(a2).add(vc));
                a3 = VW.cast(VW.cast(a3).add(vd));
            }
        }
        VW.cast(a0).intoArray(acc, 0);
        VW.cast(a1).intoArray(acc, LW);
        if (LW == 8) {
            VW.cast(a2).intoArray(acc, 2 * LW);
            VW.cast(a3).intoArray(acc, 3 * LW);
        }
        VW.cast(m0).intoArray(most, 0);
        VW.cast(m1).intoArray(most, LW);
        VW.cast(m2).intoArray(most, 2 * LW);
        VW.cast(m3).intoArray(most, 3 * LW);
        return i;
    }

    /**
     * The maximum of a long run (any order: only its NaN result may differ from the ordered chain,
     * and the caller redoes those in order).
     */
    static float max(float[] s, int off, int n) {
        // four accumulators: one max at a time waits out the instruction's latency every step
        FloatVector a0 = VW.cast(FloatVector.broadcast(W, Float.NEGATIVE_INFINITY));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * LW <= n; i += 4 * LW) {
            a0 = VW.cast(a0).max(VW.cast(FloatVector.fromArray(W, s, off + i)));
            a1 = VW.cast(a1).max(VW.cast(FloatVector.fromArray(W, s, off + i + LW)));
            a2 = VW.cast(a2).max(VW.cast(FloatVector.fromArray(W, s, off + i + 2 * LW)));
            a3 = VW.cast(a3).max(VW.cast(FloatVector.fromArray(W, s, off + i + 3 * LW)));
        }
        for (; i + LW <= n; i += LW) {
            a0 = VW.cast(a0).max(VW.cast(FloatVector.fromArray(W, s, off + i)));
        }
        float m = maxOf(a0, a1, a2, a3);
        for (; i < n; i++) {
            m = Math.max(m, s[off + i]);
        }
        return m;
    }

    /** The largest lane of four accumulators (NaN if any lane is). */
    static float maxOf(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        return VW.cast(VW.cast(VW.cast(a0).max(VW.cast(a1))).max(VW.cast(VW.cast(a2).max(VW.cast(a3)))))
                .reduceLanes(VectorOperators.MAX);
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
