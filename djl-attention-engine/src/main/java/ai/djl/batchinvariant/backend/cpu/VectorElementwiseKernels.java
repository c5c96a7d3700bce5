/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.D;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.DL;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.FW;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.RND;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.RND_BITS;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VD;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VFW;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VL;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.F;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.L;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.load;

import ai.djl.batchinvariant.backend.UnaryOp;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of element-wise functions with branches: every branch's formula runs in
 * every lane and each lane keeps the one its scalar code takes, so each output has the bits of
 * {@link FastMath}'s scalar function (same IEEE operations, same fused multiply-adds). gelu
 * instead proves each lane's float equal to the scalar code's by a rounding test ({@link
 * #gelu}). A step with a lane the vector formulas do not cover (NaN, infinities) takes the
 * scalar code. Loaded
 * only when {@link Simd} finds the module; every vector an operation is called on is cast to its
 * exact class ({@link VectorKernels#load}).
 */
final class VectorElementwiseKernels {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VTI = (Class<IntVector>) (Class<?>) I.vectorType();
    private static final float ROUND = FastMath.ROUND;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float LOG2E = FastMath.LOG2E;
    private static final float LN2_HI = FastMath.LN2_HI;
    private static final float LN2_LO = FastMath.LN2_LO;
    /** ln 2 as a double: k ln 2 for the |k| ≤ 24 of e^(-y²) with y ≤ 4 errs below 1e-15. */
    private static final double LN2 = 0x1.62e42fefa39efp-1;
    /**
     * The vector gelu's error bound relative to its result (7.3e-12): about 30 times the erfcx
     * polynomial's measured error (2.3e-13), far above the exponential's truncation (6e-15, its
     * next Taylor term at |r| = ln 2 / 2) and the scalar code's own (a few 1e-15).
     */
    static final double GELU_BOUND = 0x1p-37;

    private VectorElementwiseKernels() {}

    /** See {@link AttentionKernels#exp}: {@link #expRun}'s steps, the rest by the scalar code. */
    static void exp(float[] s, int off, int n, float m, float[] p, int pOff) {
        int full = n - n % (4 * L);
        expRun(s, off, full, m, p, pOff);
        for (int i = full; i < n; i++) {
            p[pOff + i] = FastMath.exp(s[off + i] - m);
        }
    }

    /**
     * {@code p[pOff + i] = exp(s[off + i] - m)} for i in [0, n), n a multiple of {@code 4 L}: the
     * formula of {@code VectorKernels}' softmax loop and nothing else — attention's per-tile exps,
     * the element-wise exp. Its own loop, not that one with its sums and maximum into scratch: on
     * attention's path of a few dozen keys a call, that cost two scratch arrays a call and, in
     * some processes, boxed vectors (decode at B16 L2048: 2.1 MB allocated a call became 5–14 MB).
     * A step with lanes outside the formula's range takes the scalar code.
     */
    private static void expRun(float[] s, int off, int n, float m, float[] p, int pOff) {
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        for (int i = 0; i < n; i += 4 * L) {
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
                // p may be s itself: each element is read before it is written
                for (int j = i; j < i + 4 * L; j++) {
                    p[pOff + j] = FastMath.exp(s[off + j] - m);
                }
                continue;
            }
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
        }
    }

    /**
     * {@code o[oOff + i] = FastMath.sigmoid(x[off + i])}, 1 / (1 + exp(-x)), for i in [0, n) in one
     * pass: the input streams in and the output out while the exps run. As three passes (negate,
     * exp, reciprocal) over blocks in L2 the memory stream paused through the exps (half a copy's
     * rate); over 8 KiB blocks in L1 its prefetch restarted every block (slower still). A step
     * with a lane outside exp's vector range takes the scalar code.
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void sigmoid(float[] x, int off, int n, float[] o, int oOff) {
        FloatVector one = VT.cast(FloatVector.broadcast(F, 1f));
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = VT.cast(load(x, off + i).neg());
            // as in expSteps: false for NaN too
            if (VT.cast(v.abs()).compare(VectorOperators.LE, 87f).allTrue()) {
                // expSteps' formula for one vector, written out: a helper method is inlined only
                // where C2 has seen its call site hot, and a compilation made while the loop ran
                // on-stack-replaced saw it cold, kept the call and boxed every vector (4-5 times
                // slower, in some processes and not others)
                FloatVector t = VT.cast(v.fma(LOG2E, ROUND));
                FloatVector k = VT.cast(t.sub(ROUND));
                FloatVector r = VT.cast(k.fma(nhi, v));
                r = VT.cast(k.fma(nlo, r));
                FloatVector p = VT.cast(r.fma(FastMath.EXP_C0, FastMath.EXP_C1));
                p = VT.cast(p.fma(r, c2));
                p = VT.cast(p.fma(r, c3));
                p = VT.cast(p.fma(r, c4));
                p = VT.cast(p.fma(r, c5));
                FloatVector e = VT.cast(VT.cast(p.fma(VT.cast(r.mul(r)), r)).add(1f));
                e = VT.cast(e.mul(VT.cast(VTI.cast(t.reinterpretAsInts()).add(127 - ROUND_BITS)
                        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
                VT.cast(one.div(VT.cast(e.add(1f)))).intoArray(o, oOff + i);
            } else {
                for (int j = i; j < i + L; j++) {
                    o[oOff + j] = FastMath.sigmoid(x[off + j]);
                }
            }
        }
        for (; i < n; i++) {
            o[oOff + i] = FastMath.sigmoid(x[off + i]);
        }
    }

    /**
     * {@code o[oOff + i] = FastMath.tanh(x[off + i])} for i in [0, n): per lane, ±1 past 9, the
     * odd polynomial below 1/16, else 1 - 2 / (e^{2|x|} + 1) with the sign of x, e^{2|x|} by
     * {@link FastMath#exp}'s normal-range formula written out (2|x| ≤ 18 is inside it; a helper
     * taking vectors was boxed, see {@link #sigmoid}).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void tanh(float[] x, int off, int n, float[] o, int oOff) {
        FloatVector one = VT.cast(FloatVector.broadcast(F, 1f));
        FloatVector two = VT.cast(FloatVector.broadcast(F, 2f));
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -FastMath.LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -FastMath.LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            FloatVector a = VT.cast(v.abs());
            // false for NaN too
            if (!a.compare(VectorOperators.LE, Float.MAX_VALUE).allTrue()) {
                for (int j = i; j < i + L; j++) {
                    o[oOff + j] = FastMath.tanh(x[off + j]);
                }
                continue;
            }
            // x + x z (-1/3 + z (2/15 + z c)), z = x², in the scalar order
            FloatVector z = VT.cast(v.mul(v));
            FloatVector q = VT.cast(VT.cast(z.mul(-0.053968254f)).add(0.133333333f));
            q = VT.cast(VT.cast(z.mul(q)).add(-0.333333333f));
            FloatVector small = VT.cast(v.add(VT.cast(VT.cast(v.mul(z)).mul(q))));
            FloatVector s = VT.cast(a.mul(2f));
            FloatVector t = VT.cast(s.fma(FastMath.LOG2E, FastMath.ROUND));
            FloatVector k = VT.cast(t.sub(FastMath.ROUND));
            FloatVector r = VT.cast(k.fma(nhi, s));
            r = VT.cast(k.fma(nlo, r));
            FloatVector p = VT.cast(r.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            p = VT.cast(p.fma(r, c2));
            p = VT.cast(p.fma(r, c3));
            p = VT.cast(p.fma(r, c4));
            p = VT.cast(p.fma(r, c5));
            FloatVector e = VT.cast(VT.cast(p.fma(VT.cast(r.mul(r)), r)).add(1f));
            e = VT.cast(e.mul(VT.cast(VTI.cast(t.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            FloatVector big = VT.cast(one.sub(VT.cast(two.div(VT.cast(e.add(1f))))));
            // copySign onto values that are positive (big) or one: or-ing in x's sign bit
            IntVector sign = VTI.cast(VTI.cast(v.reinterpretAsInts()).and(0x80000000));
            big = VT.cast(VTI.cast(big.reinterpretAsInts()).or(sign).reinterpretAsFloats());
            FloatVector unit = VT.cast(VTI.cast(one.reinterpretAsInts()).or(sign).reinterpretAsFloats());
            VectorMask<Float> below = a.compare(VectorOperators.LT, 0.0625f);
            VectorMask<Float> past = a.compare(VectorOperators.GT, 9f);
            VT.cast(VT.cast(big.blend(small, below)).blend(unit, past)).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = FastMath.tanh(x[off + i]);
        }
    }

    /**
     * {@code o[oOff + i] = FastMath.log(x[off + i])} for i in [0, n): per lane, the exponent and
     * the mantissa from the bits, the mantissa halved (and the exponent raised) past √2, Cephes'
     * polynomial in the scalar order. A step with a lane that is not a positive normal finite float
     * (zero, negative, subnormal, infinite, NaN) takes the scalar code.
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void log(float[] x, int off, int n, float[] o, int oOff) {
        float[] poly = FastMath.LOG_POLY;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            // false for NaN too
            if (!v.compare(VectorOperators.GE, Float.MIN_NORMAL).and(v.compare(VectorOperators.LE, Float.MAX_VALUE))
                    .allTrue()) {
                for (int j = i; j < i + L; j++) {
                    o[oOff + j] = FastMath.log(x[off + j]);
                }
                continue;
            }
            IntVector bits = VTI.cast(v.reinterpretAsInts());
            FloatVector fe = VT.cast(VTI.cast(VTI.cast(bits.lanewise(VectorOperators.LSHR, 23)).and(0xff)).sub(127)
                    .convert(VectorOperators.I2F, 0));
            FloatVector m = VT.cast(VTI.cast(VTI.cast(bits.and(0x007fffff)).or(0x3f800000)).reinterpretAsFloats());
            VectorMask<Float> big = m.compare(VectorOperators.GT, 1.41421356f);
            m = VT.cast(m.blend(VT.cast(m.mul(0.5f)), big));
            fe = VT.cast(fe.blend(VT.cast(fe.add(1f)), big));
            FloatVector f = VT.cast(m.sub(1f));
            FloatVector z = VT.cast(f.mul(f));
            FloatVector p = VT.cast(FloatVector.broadcast(F, poly[0]));
            for (int j = 1; j < poly.length; j++) {
                p = VT.cast(VT.cast(p.mul(f)).add(poly[j]));
            }
            FloatVector y = VT.cast(VT.cast(p.mul(f)).mul(z));
            y = VT.cast(y.add(VT.cast(fe.mul(FastMath.LN2_LO))));
            y = VT.cast(y.sub(VT.cast(z.mul(0.5f))));
            VT.cast(VT.cast(f.add(y)).add(VT.cast(fe.mul(FastMath.LN2_HI)))).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = FastMath.log(x[off + i]);
        }
    }

    /**
     * floor, ceil, round (to nearest even) or trunc of every element, with the bits of {@code (float)
     * Math.floor(x)} and the others: |x| below 2^23 rounded to an integer by adding and taking away
     * 2^23 (round half even), floor and ceil of |x| from it by one comparison, the one the sign asks
     * for, x's sign bit on the result (each of the four keeps the argument's sign, zeros included);
     * |x| from 2^23 on (integers already) and infinities are their own result; a NaN goes through
     * the arithmetic with its payload, quieted, as the scalar code's trip through double takes it
     * (all 2^32 floats of each of the four checked against the scalar code: 0 differences).
     *
     * @param op floor, ceil, round or trunc
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void rounding(UnaryOp op, float[] x, int off, int n, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            FloatVector a = VT.cast(v.abs());
            FloatVector r = VT.cast(VT.cast(a.add(0x1p23f)).sub(0x1p23f));
            FloatVector m;
            if (op == UnaryOp.ROUND) {
                m = r;
            } else {
                FloatVector down = VT.cast(r.sub(VT.cast(VT.cast(FloatVector.zero(F)).blend(1f, r.compare(VectorOperators.GT, a)))));
                if (op == UnaryOp.TRUNC) {
                    m = down;
                } else {
                    FloatVector up = VT.cast(r.add(VT.cast(VT.cast(FloatVector.zero(F)).blend(1f, r.compare(VectorOperators.LT, a)))));
                    // floor(x) = -ceil(|x|) below zero, ceil(x) = -floor(|x|)
                    VectorMask<Float> neg = v.compare(VectorOperators.LT, 0f);
                    m = op == UnaryOp.FLOOR ? VT.cast(down.blend(up, neg)) : VT.cast(up.blend(down, neg));
                }
            }
            IntVector signed = VTI.cast(VTI.cast(m.reinterpretAsInts()).or(VTI.cast(VTI.cast(v.reinterpretAsInts())
                    .and(0x80000000))));
            VT.cast(VT.cast(signed.reinterpretAsFloats()).blend(v, a.compare(VectorOperators.GE, 0x1p23f)))
                    .intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = Elementwise.apply(op, x[off + i]);
        }
    }

    /**
     * {@link Elementwise#sign} of every element: (x &gt; 0 ? 1 : 0) - (x &lt; 0 ? 1 : 0) as two
     * blends subtracted (+0 for zeros of both signs and NaN, as the scalar code).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void sign(float[] x, int off, int n, float[] o, int oOff) {
        FloatVector zero = VT.cast(FloatVector.zero(F));
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            VT.cast(VT.cast(zero.blend(1f, v.compare(VectorOperators.GT, 0f)))
                    .sub(VT.cast(zero.blend(1f, v.compare(VectorOperators.LT, 0f))))).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = Elementwise.sign(x[off + i]);
        }
    }

    /**
     * {@code o[oOff + i] = x[off + i] < 0 ? 0 : x[off + i]} for i in [0, n): a compare and a blend
     * a vector, the scalar test's result in every lane (NaN and -0 kept). C2 leaves the scalar
     * form a branch per element, which mispredicts wherever signs fall at random (12.8 ms against
     * 1.5 for a negation, 1024 × 4096).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void relu(float[] x, int off, int n, float[] o, int oOff) {
        FloatVector zero = VT.cast(FloatVector.zero(F));
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            VT.cast(v.blend(zero, v.compare(VectorOperators.LT, 0f))).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[off + i] < 0 ? 0f : x[off + i];
        }
    }

    /** {@code o[oOff + i] = x > 0 ? x : alpha · x} for x = x[off + i], i in [0, n). */
    static void leakyRelu(float[] x, int off, int n, float alpha, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            VT.cast(VT.cast(v.mul(alpha)).blend(v, v.compare(VectorOperators.GT, 0f))).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[off + i] > 0 ? x[off + i] : alpha * x[off + i];
        }
    }

    /**
     * {@code o[oOff + i] = x > 0 ? x : alpha · (e - 1)} for x = x[off + i] and e = o[oOff + i]
     * (its exponential, written there first), i in [0, n).
     */
    static void eluFromExp(float[] x, int off, int n, float alpha, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            FloatVector e = load(o, oOff + i);
            VT.cast(VT.cast(VT.cast(e.sub(1f)).mul(alpha)).blend(v, v.compare(VectorOperators.GT, 0f)))
                    .intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[off + i] > 0 ? x[off + i] : alpha * (o[oOff + i] - 1f);
        }
    }

    /**
     * {@code o[oOff + i] = ErfFunctions.gelu(x[off + i])} for i in [0, n) (NaN at +infinity where
     * {@code infNaN}), bits equal, a vector of doubles a step, without a division. Each lane
     * computes g = x / 2 · erfc(-x / √2) by a shorter route than {@link ErfFunctions}' — erfc(y) =
     * e^(-y²) · erfcx(y) for y = |x| / √2, erfcx by one polynomial on [0, 4] ({@link
     * ErfFunctions#ERFCX}), e^(-y²) by 2^k and a Taylor polynomial to r^11, 2 - erfc(y) for x &gt;
     * 0 — within 2^-41 of the exact value, against the scalar code's 1e-15 (Ziv's rounding test).
     * Where g ± 2^-37 |g| round to the same float, so does the scalar code's double, whose float
     * the lane then stores; a step with a lane where they do not (by the bound's width one
     * element in 4,000 to 8,000 lies that close to a rounding boundary, and every subnormal x
     * with an odd last bit), with |x| over 4√2, infinite or NaN takes the scalar code. {@code GeluAgreement} runs every float of the vector range through both.
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     * @param infNaN whether +infinity gives NaN (PyTorch's oneDNN kernel)
     */
    static void gelu(float[] x, int off, int n, float[] o, int oOff, boolean infNaN) {
        gelu(x, off, n, o, oOff, infNaN, GELU_BOUND);
    }

    /** {@link #gelu} with the rounding test's bound given (the tests' inverse case: 0). */
    static void gelu(float[] x, int off, int n, float[] o, int oOff, boolean infNaN, double bound) {
        double[] q = ErfFunctions.ERFCX;
        double[] ex = ErfFunctions.EXP_TAYLOR;
        DoubleVector two = VD.cast(DoubleVector.broadcast(D, 2.0));
        DoubleVector nln2 = VD.cast(DoubleVector.broadcast(D, -LN2));
        int i = 0;
        for (; i + DL <= n; i += DL) {
            DoubleVector v = DoubleLaneKernels.widen(x, off + i);
            DoubleVector y = VD.cast(VD.cast(v.abs()).mul(ErfFunctions.SQRT1_2));
            // false for NaN too
            if (!y.compare(VectorOperators.LE, 4.0).allTrue()) {
                geluLanes(x, off + i, o, oOff + i, infNaN);
                continue;
            }
            // e^t, t = -y² in [-16, 0]: t = k ln 2 + r, e^r to r^11 (|r| < 0.35: below 1e-14), times 2^k
            DoubleVector t = VD.cast(VD.cast(y.mul(y)).neg());
            DoubleVector sk = VD.cast(t.fma(ErfFunctions.LOG2E, RND));
            DoubleVector r = VD.cast(VD.cast(sk.sub(RND)).fma(nln2, t));
            DoubleVector e = VD.cast(DoubleVector.broadcast(D, ex[2]));
            for (int j = 3; j < ex.length; j++) {
                e = VD.cast(e.fma(r, VD.cast(DoubleVector.broadcast(D, ex[j]))));
            }
            e = VD.cast(e.mul(VD.cast(VL.cast(VL.cast(sk.reinterpretAsLongs()).add(1023 - RND_BITS))
                    .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles())));
            DoubleVector u = VD.cast(y.fma(0.5, -1.0));
            DoubleVector p = VD.cast(DoubleVector.broadcast(D, q[0]));
            for (int j = 1; j < q.length; j++) {
                p = VD.cast(p.fma(u, VD.cast(DoubleVector.broadcast(D, q[j]))));
            }
            DoubleVector erfc = VD.cast(e.mul(p));
            DoubleVector g = VD.cast(VD.cast(v.mul(0.5)).mul(VD.cast(VD.cast(two.sub(erfc))
                    .blend(erfc, v.compare(VectorOperators.LT, 0.0)))));
            DoubleVector d = VD.cast(VD.cast(g.abs()).mul(bound));
            FloatVector f = VFW.cast(g.convertShape(VectorOperators.D2F, FW, 0));
            FloatVector lo = VFW.cast(VD.cast(g.sub(d)).convertShape(VectorOperators.D2F, FW, 0));
            FloatVector hi = VFW.cast(VD.cast(g.add(d)).convertShape(VectorOperators.D2F, FW, 0));
            if (!lo.compare(VectorOperators.EQ, f).and(hi.compare(VectorOperators.EQ, f)).allTrue()) {
                geluLanes(x, off + i, o, oOff + i, infNaN);
                continue;
            }
            f.intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = geluScalar(x[off + i], infNaN);
        }
    }

    /** One step's lanes by the scalar code. */
    private static void geluLanes(float[] x, int off, float[] o, int oOff, boolean infNaN) {
        for (int j = 0; j < DL; j++) {
            o[oOff + j] = geluScalar(x[off + j], infNaN);
        }
    }

    private static float geluScalar(float x, boolean infNaN) {
        return infNaN && x == Float.POSITIVE_INFINITY ? Float.NaN : ErfFunctions.gelu(x);
    }
}
