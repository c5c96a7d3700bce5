/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link AttentionKernels} and exp (the row kernels' passes are in {@link
 * VectorRowKernels}). Loaded only when {@link Simd} finds the module. Every lane computes an
 * output of its own with exactly the scalar operation sequence (the dot products' separate
 * multiply and add; exp's fused multiply-adds, as {@link FastMath#exp} has them; no lane-crossing
 * reduction of a sum), so each result has the bits of the plain loop it replaces.
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
     * L floats of {@code a} from index i, as F's exact vector class. An operation on a vector
     * whose class C2 cannot prove is compiled from the type profile that FloatVector's shared
     * methods gather over the whole process: once other code in it has used another vector shape
     * (an application's 512-bit vectors, say), C2 boxes such vectors and a kernel runs several
     * times slower. So every vector an operation is called on is one of these, or cast (VT, VT4;
     * {@link #expSteps} notes its one exception).
     */
    static FloatVector load(float[] a, int i) {
        return VT.cast(FloatVector.fromArray(F, a, i));
    }

    /**
     * Checks at start-up that the species fit together and that a few values match the scalar
     * code; any surprise turns the vector path off.
     */
    static boolean selfCheck() {
        if (I.length() != L || 4 * L != LaneSums.LANES || F4.length() != 4) {
            return false;
        }
        // every loop of exp: whole steps, single blocks and the scalar tail
        float[] x = new float[5 * L + 3];
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = -0.37f * i;
        }
        VectorElementwiseKernels.exp(x, 0, x.length, 0f, y, 0);
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
            // two keys a step: eight independent chains, where four left each step waiting out the
            // fused multiply-add's latency; each key's four chains are those of the one-key loop.
            // An odd last key runs as both keys of its step, its second results dropped
            for (int j = 0; j < keys; j += 2) {
                boolean pair = j + 1 < keys;
                int ko = kOff + j * d;
                int kn = pair ? ko + d : ko;
                FloatVector a = FloatVector.zero(F4);
                FloatVector b = a;
                FloatVector c = a;
                FloatVector e = a;
                FloatVector an = a;
                FloatVector bn = a;
                FloatVector cn = a;
                FloatVector en = a;
                for (int x = 0; x < d; x += 4) {
                    a = VT4.cast(a);
                    b = VT4.cast(b);
                    c = VT4.cast(c);
                    e = VT4.cast(e);
                    an = VT4.cast(an);
                    bn = VT4.cast(bn);
                    cn = VT4.cast(cn);
                    en = VT4.cast(en);
                    FloatVector kv = FloatVector.fromArray(F4, k, ko + x);
                    FloatVector kw = FloatVector.fromArray(F4, k, kn + x);
                    FloatVector qa = FloatVector.fromArray(F4, q, q0 + x);
                    FloatVector qb = FloatVector.fromArray(F4, q, q1 + x);
                    FloatVector qc = FloatVector.fromArray(F4, q, q2 + x);
                    FloatVector qd = FloatVector.fromArray(F4, q, q3 + x);
                    a = VT4.cast(qa).fma(kv, a);
                    b = VT4.cast(qb).fma(kv, b);
                    c = VT4.cast(qc).fma(kv, c);
                    e = VT4.cast(qd).fma(kv, e);
                    an = VT4.cast(qa).fma(kw, an);
                    bn = VT4.cast(qb).fma(kw, bn);
                    cn = VT4.cast(qc).fma(kw, cn);
                    en = VT4.cast(qd).fma(kw, en);
                }
                out[o + j] = combine(VT4.cast(a));
                out[o + outStride + j] = combine(VT4.cast(b));
                out[o + 2 * outStride + j] = combine(VT4.cast(c));
                out[o + 3 * outStride + j] = combine(VT4.cast(e));
                if (pair) {
                    out[o + j + 1] = combine(VT4.cast(an));
                    out[o + outStride + j + 1] = combine(VT4.cast(bn));
                    out[o + 2 * outStride + j + 1] = combine(VT4.cast(cn));
                    out[o + 3 * outStride + j + 1] = combine(VT4.cast(en));
                }
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
                    a = VT4.cast(FloatVector.fromArray(F4, q, q0 + x)).fma(FloatVector.fromArray(F4, k, ko + x), a);
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
     * {@code p[pOff + i] = exp(s[off + i] - m)} for i in [0, n) with {@link FastMath#exp}'s bits,
     * the sum of those exps in {@link LaneSums}' order, the maximum of the next row, and the last
     * row's output pass: softmax's middle pass for one row fused with the next row's first pass
     * and the previous row's last, so one loop streams the next row in from memory and writes the
     * previous one out while the exps, the costly part, run (as separate passes, memory idled
     * through the exps and the output pass). Whole steps of {@code 4 L} elements run in {@link
     * #expSteps}, the rest here. The next row's maximum and the previous row's output pass are
     * done only where asked for; the exps alone run in {@link VectorElementwiseKernels#exp}.
     *
     * @param s the arguments (softmax's input rows)
     * @param off the first argument
     * @param n the count
     * @param m subtracted from each argument before exp
     * @param p the output (may be s)
     * @param pOff the first output
     * @param sums the {@value LaneSums#LANES} partial sums (out; {@code sums[0]} holds the total on
     *     return)
     * @param next where the next row starts in s, or -1 for none
     * @param o the output rows of the previous row's pass, or null for none
     * @param prev where the previous row starts in o (and s), or -1 for none
     * @param c that row's factor ({@code o *= c}) or, for log-softmax, its log-sum-exp ({@code o =
     *     s - c})
     * @param log which of the two passes
     * @return the next row's maximum in any order (-infinity without one); the caller redoes a NaN
     *     result in order, as {@link AttentionKernels#max} does
     */
    static float expSumMax(float[] s, int off, int n, float m, float[] p, int pOff, float[] sums, int next,
            float[] o, int prev, float c, boolean log) {
        Arrays.fill(sums, 0f);
        float[] most = next >= 0 ? new float[L] : null;
        if (most != null) {
            Arrays.fill(most, Float.NEGATIVE_INFINITY);
        }
        int full = n - n % (4 * L);
        expSteps(s, off, full, m, p, pOff, sums, most, next, o, prev, c, log);
        int i = full;
        for (; i < n; i++) {
            p[pOff + i] = FastMath.exp(s[off + i] - m);
        }
        if (prev >= 0) {
            RowKernels.outputPass(s, o, prev + full, n - full, c, log);
        }
        LaneSums.finish(LaneSums.Term.VALUE, p, pOff, n, 0f, sums, full);
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
     * The vector loop of {@link #expSumMax} over n elements (a multiple of {@code 4 L}). The
     * partial sums and the maximum lanes are carried in registers through a run of steps in the
     * formula's range; a step with lanes outside it ends the run: the registers go back to their
     * arrays and the step takes the scalar code, its exps added to the partial sums as stored, in
     * index order, before the next run loads them again. So no vector is live across the scalar
     * code's call, nor chosen by a branch: either made C2 box the loop's vectors every step (15 KB
     * of garbage and 2 to 3 times the time a 4096-element row). The loop body is the same for every
     * row (the maximum always runs, over the row itself for a task's last; exps are stored, for
     * log-softmax into its scratch row): skipping the exps' stores for log-softmax alone
     * made each mode's compilation box the other's vectors. Carried in registers rather than in
     * their arrays (a load and a store each a step), softmax and log-softmax ran 3–4% faster with
     * both builds alternated in one process ({@code TwoBuildsTiming}).
     *
     * <p>Four blocks of {@code L} lanes per step, their operations interleaved in program order:
     * one block's formula is a chain of dependent operations, and the core's out-of-order window
     * holds only a few blocks of it. Each lane runs {@link FastMath#exp}'s normal-range formula
     * with the same fused multiply-adds, so the bits are the same. The formula is written out: as
     * helper methods C2 stopped inlining it (its node-count cutoff) and exp ran at 2.3 ns an
     * element instead of under 0.5; every vector, receivers of scalar operands included, is cast
     * to its exact class, since a {@code FloatVector} whose class C2 cannot prove runs its
     * operations as Java fallbacks — except the range test's absolute values and masks: casting
     * them too took the loop past the cutoff (softmax at 15–27% of a copy's rate). Partial sum j
     * of LaneSums is lane j % 8 of accumulator j / 8, which adds the exps of elements j, j + 32, …
     * in index order, as the plain loop does.
     */
    private static void expSteps(float[] s, int off, int n, float m, float[] p, int pOff, float[] sums, float[] most,
            int nx, float[] o, int prev, float c, boolean log) {
        // without a next row (a task's last) the maximum runs over this one, its loads the exps'
        // own: one loop body for every row, no vector chosen by a branch
        float[] acc = sums;
        float[] mostLanes = most != null ? most : new float[L];
        int at = nx >= 0 ? nx : off;
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        int i = 0;
        while (i < n) {
            FloatVector a0 = VT.cast(FloatVector.fromArray(F, acc, 0));
            FloatVector a1 = VT.cast(FloatVector.fromArray(F, acc, L));
            FloatVector a2 = VT.cast(FloatVector.fromArray(F, acc, 2 * L));
            FloatVector a3 = VT.cast(FloatVector.fromArray(F, acc, 3 * L));
            FloatVector mx = VT.cast(FloatVector.fromArray(F, mostLanes, 0));
            for (; i < n; i += 4 * L) {
                FloatVector xa = VT.cast(VT.cast(FloatVector.fromArray(F, s, off + i)).sub(m));
                FloatVector xb = VT.cast(VT.cast(FloatVector.fromArray(F, s, off + i + L)).sub(m));
                FloatVector xc = VT.cast(VT.cast(FloatVector.fromArray(F, s, off + i + 2 * L)).sub(m));
                FloatVector xd = VT.cast(VT.cast(FloatVector.fromArray(F, s, off + i + 3 * L)).sub(m));
                // |x| <= 87 is false for NaN too: one test covers every lane outside the formula's range
                if (!xa.abs().compare(VectorOperators.LE, 87f)
                        .and(xb.abs().compare(VectorOperators.LE, 87f))
                        .and(xc.abs().compare(VectorOperators.LE, 87f))
                        .and(xd.abs().compare(VectorOperators.LE, 87f))
                        .allTrue()) {
                    break;
                }
                if (prev >= 0) {
                    outputStep(s, o, prev + i, c, log);
                }
                mx = VT.cast(mx.max(VT.cast(VT.cast(VT.cast(FloatVector.fromArray(F, s, at + i))
                        .max(VT.cast(FloatVector.fromArray(F, s, at + i + L))))
                        .max(VT.cast(VT.cast(FloatVector.fromArray(F, s, at + i + 2 * L))
                        .max(VT.cast(FloatVector.fromArray(F, s, at + i + 3 * L))))))));
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
                va = VT.cast(va.mul(VT.cast(VTI.cast(ta.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
                vb = VT.cast(vb.mul(VT.cast(VTI.cast(tb.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
                vc = VT.cast(vc.mul(VT.cast(VTI.cast(tc.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
                vd = VT.cast(vd.mul(VT.cast(VTI.cast(td.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
                va.intoArray(p, pOff + i);
                vb.intoArray(p, pOff + i + L);
                vc.intoArray(p, pOff + i + 2 * L);
                vd.intoArray(p, pOff + i + 3 * L);
                a0 = VT.cast(a0.add(va));
                a1 = VT.cast(a1.add(vb));
                a2 = VT.cast(a2.add(vc));
                a3 = VT.cast(a3.add(vd));
            }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            a2.intoArray(acc, 2 * L);
            a3.intoArray(acc, 3 * L);
            mx.intoArray(mostLanes, 0);
            if (i < n) {
                // a step with lanes outside the formula's range: the scalar code, its exps added to
                // the partial sums as stored, in index order (p may be s itself: each element is
                // read before it is written)
                if (prev >= 0) {
                    outputStep(s, o, prev + i, c, log);
                }
                maxStep(s, at + i, mostLanes);
                for (int j = i; j < i + 4 * L; j++) {
                    float e = FastMath.exp(s[off + j] - m);
                    p[pOff + j] = e;
                    acc[j & (LaneSums.LANES - 1)] += e;
                }
                i += 4 * L;
            }
        }
    }

    /** The running maximum lanes {@code most} over one step of {@code 4 L} elements at {@code at}. */
    private static void maxStep(float[] s, int at, float[] most) {
        VT.cast(VT.cast(FloatVector.fromArray(F, most, 0)).max(VT.cast(VT.cast(VT.cast(FloatVector.fromArray(F, s,
                at)).max(VT.cast(FloatVector.fromArray(F, s, at + L)))).max(VT.cast(VT.cast(
                FloatVector.fromArray(F, s, at + 2 * L)).max(VT.cast(FloatVector.fromArray(F, s,
                at + 3 * L)))))))).intoArray(most, 0);
    }

    /**
     * Softmax's output pass over one step of {@code 4 L} elements at {@code at}: {@code o *= c}, or
     * {@code o = s - c} for log-softmax. A method of its own: C2 inlines it into {@link #expSteps}
     * (no call, so no vector of the loop is boxed), and C1, which does not, can still compile
     * {@link #expSteps} (written out there, its registers ran out and the loop stayed interpreted
     * until C2 came: 100 times slower).
     */
    private static void outputStep(float[] s, float[] o, int at, float c, boolean log) {
        // each arm stores its own result: a vector chosen by a conditional would be boxed
        if (log) {
            for (int j = 0; j < 4 * L; j += L) {
                VT.cast(VT.cast(FloatVector.fromArray(F, s, at + j)).sub(c)).intoArray(o, at + j);
            }
        } else {
            for (int j = 0; j < 4 * L; j += L) {
                VT.cast(VT.cast(FloatVector.fromArray(F, o, at + j)).mul(c)).intoArray(o, at + j);
            }
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
        // written out, not in a helper: a helper taking the vectors, compiled on its own first, was
        // later not inlined, and its arguments' boxing put the loop on the Java fallback (seen
        // after warm-up in a 1B-model profile: the logits softmax's first max)
        float m = VT.cast(VT.cast(VT.cast(a0).max(VT.cast(a1))).max(VT.cast(VT.cast(a2).max(VT.cast(a3)))))
                .reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, s[off + i]);
        }
        return m;
    }

    /** See {@link AttentionKernels#accumulate}. */
    static void accumulate(float[] acc, int accOff, int heads, float[] scale, float[] p, int pOff, int pStride,
            float[] v, int vOff, int keys, int d) {
        int x = 0;
        // two spans of L dimensions a step for four heads: eight independent chains, where four
        // left each key waiting out the fused multiply-add's latency; every lane is the same chain.
        // A last single span runs as both spans of its step, its second results dropped
        for (; x + L <= d; x += 2 * L) {
            boolean pair = x + 2 * L <= d;
            int xw = pair ? x + L : x;
            int g = 0;
            for (; g + 4 <= heads; g += 4) {
                int a0 = accOff + g * d + x;
                int aw = accOff + g * d + xw;
                FloatVector s0 = load(acc, a0).mul(scale[g]);
                FloatVector s1 = load(acc, a0 + d).mul(scale[g + 1]);
                FloatVector s2 = load(acc, a0 + 2 * d).mul(scale[g + 2]);
                FloatVector s3 = load(acc, a0 + 3 * d).mul(scale[g + 3]);
                FloatVector t0 = load(acc, aw).mul(scale[g]);
                FloatVector t1 = load(acc, aw + d).mul(scale[g + 1]);
                FloatVector t2 = load(acc, aw + 2 * d).mul(scale[g + 2]);
                FloatVector t3 = load(acc, aw + 3 * d).mul(scale[g + 3]);
                int p0 = pOff + g * pStride;
                for (int j = 0; j < keys; j++) {
                    s0 = VT.cast(s0);
                    s1 = VT.cast(s1);
                    s2 = VT.cast(s2);
                    s3 = VT.cast(s3);
                    t0 = VT.cast(t0);
                    t1 = VT.cast(t1);
                    t2 = VT.cast(t2);
                    t3 = VT.cast(t3);
                    FloatVector vv = FloatVector.fromArray(F, v, vOff + j * d + x);
                    FloatVector vw = FloatVector.fromArray(F, v, vOff + j * d + xw);
                    FloatVector b0 = VT.cast(FloatVector.broadcast(F, p[p0 + j]));
                    FloatVector b1 = VT.cast(FloatVector.broadcast(F, p[p0 + pStride + j]));
                    FloatVector b2 = VT.cast(FloatVector.broadcast(F, p[p0 + 2 * pStride + j]));
                    FloatVector b3 = VT.cast(FloatVector.broadcast(F, p[p0 + 3 * pStride + j]));
                    s0 = VT.cast(b0).fma(vv, s0);
                    s1 = VT.cast(b1).fma(vv, s1);
                    s2 = VT.cast(b2).fma(vv, s2);
                    s3 = VT.cast(b3).fma(vv, s3);
                    t0 = VT.cast(b0).fma(vw, t0);
                    t1 = VT.cast(b1).fma(vw, t1);
                    t2 = VT.cast(b2).fma(vw, t2);
                    t3 = VT.cast(b3).fma(vw, t3);
                }
                VT.cast(s0).intoArray(acc, a0);
                VT.cast(s1).intoArray(acc, a0 + d);
                VT.cast(s2).intoArray(acc, a0 + 2 * d);
                VT.cast(s3).intoArray(acc, a0 + 3 * d);
                if (pair) {
                    VT.cast(t0).intoArray(acc, aw);
                    VT.cast(t1).intoArray(acc, aw + d);
                    VT.cast(t2).intoArray(acc, aw + 2 * d);
                    VT.cast(t3).intoArray(acc, aw + 3 * d);
                }
            }
            for (; g < heads; g++) {
                accumulateSpan(acc, accOff + g * d + x, scale[g], p, pOff + g * pStride, v, vOff + x, keys, d);
                if (pair) {
                    accumulateSpan(acc, accOff + g * d + xw, scale[g], p, pOff + g * pStride, v, vOff + xw, keys, d);
                }
            }
            if (!pair) {
                x += L;
                break;
            }
        }
        if (x < d) {
            AttentionKernels.accumulateScalar(acc, accOff, heads, scale, p, pOff, pStride, v, vOff, keys, d, x);
        }
    }

    /** One head's L accumulators at {@code a0}: {@code acc *= sc}, then {@code acc += p[p0 + j] · v[vo + j d]}. */
    private static void accumulateSpan(float[] acc, int a0, float sc, float[] p, int p0, float[] v, int vo, int keys,
            int d) {
        FloatVector s0 = load(acc, a0).mul(sc);
        for (int j = 0; j < keys; j++) {
            s0 = VT.cast(s0);
            s0 = VT.cast(FloatVector.broadcast(F, p[p0 + j])).fma(FloatVector.fromArray(F, v, vo + j * d), s0);
        }
        VT.cast(s0).intoArray(acc, a0);
    }
}
