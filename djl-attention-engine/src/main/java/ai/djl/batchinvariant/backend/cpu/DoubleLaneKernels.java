/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.UnaryOp;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 functions whose scalar code computes in double, on the Vector API in double lanes with
 * the scalar code's operations in its order: the float32 erf ({@link ErfFunctions#erf}) and log2
 * ({@code StrictMath.log(x) / ln 2}, with {@link #log} giving {@link StrictMath#log}'s bits).
 * Every operation is one IEEE operation, exactly rounded, or a fused multiply-add where the scalar
 * code has {@link Math#fma}, so each lane's double is the scalar code's double and its float the
 * scalar code's float, with no rounding test. Each branch of the scalar code runs in every lane
 * that may need it and each lane keeps the one its scalar code takes; a step with a lane outside
 * the vector forms (NaN, infinities, zero or negative logarithms, erf beyond 4, a logarithm's
 * argument within 2^-20 of a power of two) takes the scalar code. {@code DoubleLanesAgreement}
 * checked every float32 input of both (0 differences); {@code DoubleLanesTest} samples them.
 *
 * <p>Each function runs in passes over blocks of {@link #RUN} elements, through double scratch:
 * one loop with all of a function's operations grew past C2's node budget
 * ({@code NodeCountInliningCutoff}), and a vector passed to or returned from a method it did not
 * inline was boxed — 48 to 94 bytes allocated an element, slower than the scalar code. Nor does
 * this JDK's compiler intrinsify the long-to-double conversion or a mask's cast between long and
 * double lanes: {@link #exact} stands in for both. Loaded only when {@link Simd} finds the module.
 */
final class DoubleLaneKernels {

    /**
     * Doubles of the machine's widest vectors (eight with AVX-512: for gelu 25% faster than four,
     * its arithmetic being long dependent chains), the floats they widen from, and longs for bits.
     */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> FW =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.length() * Float.SIZE));
    static final VectorSpecies<Long> LS = VectorSpecies.of(long.class, D.vectorShape());
    static final int DL = D.length();
    /**
     * Whether the machine's vectors hold four doubles or more. With two (no AVX) the floats widen
     * from a 64-bit species this JDK's compiler does not intrinsify: erf over every float did not
     * finish in five minutes there, so the callers keep the scalar code ({@link Simd#DOUBLE_LANES}).
     */
    static final boolean WIDE = DL >= 4;
    /** The exact vector classes: see {@link VectorKernels#load}. */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VFW = (Class<FloatVector>) (Class<?>) FW.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<DoubleVector> VD = (Class<DoubleVector>) (Class<?>) D.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<LongVector> VL = (Class<LongVector>) (Class<?>) LS.vectorType();
    /** 1.5 · 2^52: a double in [-2^51, 2^51] added to it is rounded to an integer, held in the low bits. */
    static final double RND = 0x1.8p52;
    static final long RND_BITS = Double.doubleToRawLongBits(RND);

    /** fdlibm's log: ln 2 in two parts (k · LN2_HI exact) and the polynomial of s² in (f / (2 + f))². */
    private static final double LN2_HI = ErfFunctions.LN2_HI;
    private static final double LN2_LO = ErfFunctions.LN2_LO;
    /** Where erf's small form ends. */
    private static final double SMALL = 0.46875;
    /** Elements a pass covers, through scratch of this many doubles. */
    static final int RUN = 1024;
    private static final double LG1 = 6.666666666666735130e-01;
    private static final double LG6 = 1.531383769920937332e-01;
    private static final double LG7 = 1.479819860511658591e-01;
    /** Lg4, Lg2 and Lg5, Lg3: the coefficients Horner's steps add after Lg6 and Lg7. */
    private static final double[] LG_EVEN = {2.222219843214978396e-01, 3.999999999940941908e-01};
    private static final double[] LG_ODD = {1.818357216161805012e-01, 2.857142874366239149e-01};

    private DoubleLaneKernels() {}

    /**
     * {@code o[oOff + i] = Elementwise.apply(op, x[off + i])} for i in [0, n), for the functions
     * computed in double lanes.
     *
     * @param op erf, log2, sin or cos
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void run(UnaryOp op, float[] x, int off, int n, float[] o, int oOff) {
        switch (op) {
            case ERF:
                erf(x, off, n, o, oOff);
                break;
            case LOG2:
                log2(x, off, n, o, oOff);
                break;
            case SIN:
                TrigLaneKernels.sin(x, off, n, o, oOff);
                break;
            case COS:
                TrigLaneKernels.cos(x, off, n, o, oOff);
                break;
            default:
                throw new IllegalArgumentException("not a double-lane function: " + op);
        }
    }

    /**
     * {@code o[oOff + i] = Elementwise.log2(x[off + i])}, the float32 log2 of {@link
     * Elementwise#apply(ai.djl.batchinvariant.backend.UnaryOp, float)}, for i in [0, n).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void log2(float[] x, int off, int n, float[] o, int oOff) {
        double[] d = new double[Math.min(n, RUN)];
        double[][] scratch = logScratch(n);
        for (int from = 0; from < n; from += RUN) {
            int len = Math.min(RUN, n - from);
            int i = 0;
            for (; i + DL <= len; i += DL) {
                widen(x, off + from + i).intoArray(d, i);
            }
            for (; i < len; i++) {
                d[i] = x[off + from + i];
            }
            logRun(d, 0, len, d, 0, scratch);
            i = 0;
            for (; i + DL <= len; i += DL) {
                VFW.cast(VD.cast(VD.cast(DoubleVector.fromArray(D, d, i)).div(Elementwise.LN2))
                        .convertShape(VectorOperators.D2F, FW, 0)).intoArray(o, oOff + from + i);
            }
            for (; i < len; i++) {
                o[oOff + from + i] = (float) (d[i] / Elementwise.LN2);
            }
        }
    }

    /**
     * {@link StrictMath#log} of every lane, by fdlibm's algorithm (the one {@code StrictMath}
     * specifies): x = 2^k (1 + f) with 1 + f in [√2/2, √2), s = f / (2 + f), log(1 + f) = f - s (f
     * - R) with R a polynomial in s², one of four final forms by whether k is 0 and where f lies.
     * A step with a lane that is not a positive normal finite double, or whose f is within 2^-20
     * of 0 (fdlibm's separate branch there), takes {@code StrictMath.log}.
     *
     * @param in the arguments
     * @param off the first argument
     * @param n the count
     * @param out the logarithms (may be in)
     * @param oOff the first logarithm
     */
    static void log(double[] in, int off, int n, double[] out, int oOff) {
        double[][] scratch = logScratch(n);
        for (int from = 0; from < n; from += RUN) {
            logRun(in, off + from, Math.min(RUN, n - from), out, oOff + from, scratch);
        }
    }

    /** Scratch for {@link #logRun} over up to n elements. */
    private static double[][] logScratch(int n) {
        int len = Math.min(n, RUN);
        return new double[][] {new double[len], new double[len], new double[len]};
    }

    /** {@link #log} of at most {@link #RUN} elements, in two passes through scratch. */
    private static void logRun(double[] in, int off, int len, double[] out, int oOff, double[][] scratch) {
        int steps = len - len % DL;
        logReduce(in, off, steps, out, oOff, scratch[0], scratch[1], scratch[2]);
        logFinish(steps, out, oOff, scratch[0], scratch[1], scratch[2]);
        for (int i = steps; i < len; i++) {
            out[oOff + i] = StrictMath.log(in[off + i]);
        }
    }

    /**
     * {@link #log}'s first pass over n arguments (n a multiple of the lanes): f, k and the high
     * mantissa bits (as a double) of each, or, for a step with a lane outside the vector form,
     * {@code StrictMath.log} into out and NaN into k.
     */
    private static void logReduce(double[] in, int off, int n, double[] out, int oOff, double[] f, double[] k,
            double[] mOut) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector x = VD.cast(DoubleVector.fromArray(D, in, off + i));
            LongVector bits = VL.cast(x.reinterpretAsLongs());
            LongVector hi = VL.cast(bits.lanewise(VectorOperators.LSHR, 32));
            LongVector m = VL.cast(hi.and(0xfffffL));
            // fdlibm's own branch for |f| < 2^-20: (m + 2) mod 2^20 < 3
            if (!x.compare(VectorOperators.GE, Double.MIN_NORMAL).and(x.compare(VectorOperators.LT, Double.POSITIVE_INFINITY))
                    .and(exact(VL.cast(VL.cast(m.add(2L)).and(0xfffffL))).compare(VectorOperators.GE, 3.0))
                    .allTrue()) {
                for (int j = i; j < i + DL; j++) {
                    out[oOff + j] = StrictMath.log(in[off + j]);
                    k[j] = Double.NaN;
                }
                continue;
            }
            // mantissas above √2's take the exponent one up and f from x / 2: up is 2^20 for those
            LongVector up = VL.cast(VL.cast(m.add(0x95f64L)).and(0x100000L));
            exact(VL.cast(VL.cast(VL.cast(hi.lanewise(VectorOperators.LSHR, 20)).sub(1023L))
                    .add(VL.cast(up.lanewise(VectorOperators.LSHR, 20))))).intoArray(k, i);
            LongVector nhi = VL.cast(m.or(VL.cast(up.lanewise(VectorOperators.XOR, 0x3ff00000L))));
            VD.cast(VD.cast(VL.cast(VL.cast(nhi.lanewise(VectorOperators.LSHL, 32))
                    .or(VL.cast(bits.and(0xffffffffL)))).reinterpretAsDoubles()).sub(1.0)).intoArray(f, i);
            exact(m).intoArray(mOut, i);
        }
    }

    /**
     * {@link #log}'s second pass: s = f / (2 + f), R = t2 + t1 by fdlibm's two polynomials, and
     * the final form of the lane's branch (k zero or not; m within fdlibm's middle range, where
     * (m - 0x6147a) | (0x6b851 - m) is positive, or not), for every step the first pass did not
     * finish.
     */
    private static void logFinish(int n, double[] out, int oOff, double[] fIn, double[] kIn, double[] mIn) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector dk = VD.cast(DoubleVector.fromArray(D, kIn, i));
            if (done(dk)) {
                continue;
            }
            DoubleVector f = VD.cast(DoubleVector.fromArray(D, fIn, i));
            DoubleVector mm = VD.cast(DoubleVector.fromArray(D, mIn, i));
            DoubleVector s = VD.cast(f.div(VD.cast(f.add(2.0))));
            DoubleVector z = VD.cast(s.mul(s));
            DoubleVector w = VD.cast(z.mul(z));
            // t1 = w (Lg2 + w (Lg4 + w Lg6)), t2 = z (Lg1 + w (Lg3 + w (Lg5 + w Lg7)))
            DoubleVector p1 = VD.cast(DoubleVector.broadcast(D, LG6));
            DoubleVector p2 = VD.cast(DoubleVector.broadcast(D, LG7));
            for (int j = 0; j < 2; j++) {
                p1 = VD.cast(VD.cast(w.mul(p1)).add(LG_EVEN[j]));
                p2 = VD.cast(VD.cast(w.mul(p2)).add(LG_ODD[j]));
            }
            p2 = VD.cast(VD.cast(w.mul(p2)).add(LG1));
            DoubleVector r = VD.cast(VD.cast(z.mul(p2)).add(VD.cast(w.mul(p1))));
            DoubleVector khi = VD.cast(dk.mul(LN2_HI));
            DoubleVector klo = VD.cast(dk.mul(LN2_LO));
            VectorMask<Double> mid = mm.compare(VectorOperators.GE, (double) 0x6147a)
                    .and(mm.compare(VectorOperators.LE, (double) 0x6b851));
            VectorMask<Double> k0 = dk.compare(VectorOperators.EQ, 0.0);
            DoubleVector hfsq = VD.cast(VD.cast(f.mul(0.5)).mul(f));
            DoubleVector shr = VD.cast(s.mul(VD.cast(hfsq.add(r))));
            DoubleVector sfr = VD.cast(s.mul(VD.cast(f.sub(r))));
            // middle, k = 0: f - (hfsq - s (hfsq + R)); k not 0: k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
            // outside, k = 0: f - s (f - R); k not 0: k ln2_hi - ((s (f - R) - k ln2_lo) - f)
            DoubleVector inner = VD.cast(hfsq.sub(shr)).blend(VD.cast(sfr), mid.not());
            DoubleVector withK = VD.cast(VD.cast(hfsq.sub(VD.cast(shr.add(klo)))).blend(VD.cast(sfr.sub(klo)), mid.not()));
            DoubleVector viaK = VD.cast(khi.sub(VD.cast(withK.sub(f))));
            VD.cast(viaK.blend(VD.cast(f.sub(VD.cast(inner))), k0)).intoArray(out, oOff + i);
        }
    }

    /**
     * {@code o[oOff + i] = ErfFunctions.erf(x[off + i])} for i in [0, n): Cody's erf below 0.46875,
     * 1 - erfc to 4 (e^(-y²) from the same table entry and Taylor polynomial); lanes beyond 4, and
     * NaN, by the scalar code.
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void erf(float[] x, int off, int n, float[] o, int oOff) {
        int len0 = Math.min(n, RUN);
        double[] y = new double[len0];
        double[] small = new double[len0];
        double[] rat = new double[len0];
        double[] table = new double[len0];
        for (int from = 0; from < n; from += RUN) {
            int len = Math.min(RUN, n - from);
            int steps = len - len % DL;
            erfArguments(x, off + from, steps, o, oOff + from, y);
            erfSmall(y, steps, small);
            erfcRational(y, steps, rat, table);
            erfFinish(x, off + from, steps, o, oOff + from, y, small, rat, table);
            for (int i = steps; i < len; i++) {
                o[oOff + from + i] = ErfFunctions.erf(x[off + from + i]);
            }
        }
    }

    /**
     * erf's first pass: y = |x| widened, or, for a step with a lane beyond 4 or NaN, the scalar
     * code's results into o and NaN into y.
     */
    private static void erfArguments(float[] x, int off, int n, float[] o, int oOff, double[] y) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector a = VD.cast(widen(x, off + i).abs());
            // false for NaN too
            if (!a.compare(VectorOperators.LE, 4.0).allTrue()) {
                for (int j = i; j < i + DL; j++) {
                    o[oOff + j] = ErfFunctions.erf(x[off + j]);
                    y[j] = Double.NaN;
                }
                continue;
            }
            a.intoArray(y, i);
        }
    }

    /** True where a first pass finished the step (its NaN marker in the scratch read). */
    static boolean done(DoubleVector y) {
        return y.compare(VectorOperators.NE, y).anyTrue();
    }

    /** {@code ErfFunctions.small} times y, for steps with a lane at or below 0.46875. */
    private static void erfSmall(double[] yIn, int n, double[] out) {
        double[] a = ErfFunctions.A;
        double[] b = ErfFunctions.B;
        for (int i = 0; i < n; i += DL) {
            DoubleVector y = VD.cast(DoubleVector.fromArray(D, yIn, i));
            if (done(y) || !y.compare(VectorOperators.LE, SMALL).anyTrue()) {
                continue;
            }
            DoubleVector ysq = VD.cast(y.mul(y));
            DoubleVector num = VD.cast(ysq.mul(a[4]));
            DoubleVector den = ysq;
            for (int j = 0; j < 3; j++) {
                num = VD.cast(VD.cast(num.add(a[j])).mul(ysq));
                den = VD.cast(VD.cast(den.add(b[j])).mul(ysq));
            }
            VD.cast(y.mul(VD.cast(VD.cast(num.add(a[3])).div(VD.cast(den.add(b[3])))))).intoArray(out, i);
        }
    }

    /**
     * {@code ErfFunctions.erfcAbove}'s rational function of y (to 4) and its table entry e^(-h²),
     * h = floor(16 y) / 16, for steps with a lane above 0.46875.
     */
    private static void erfcRational(double[] yIn, int n, double[] out, double[] table) {
        double[] c = ErfFunctions.C;
        double[] d = ErfFunctions.D;
        for (int i = 0; i < n; i += DL) {
            DoubleVector y = VD.cast(DoubleVector.fromArray(D, yIn, i));
            if (done(y) || y.compare(VectorOperators.LE, SMALL).allTrue()) {
                continue;
            }
            DoubleVector num = VD.cast(y.mul(c[8]));
            DoubleVector den = y;
            for (int j = 0; j < 7; j++) {
                num = VD.cast(VD.cast(num.add(c[j])).mul(y));
                den = VD.cast(VD.cast(den.add(d[j])).mul(y));
            }
            VD.cast(VD.cast(num.add(c[7])).div(VD.cast(den.add(d[7])))).intoArray(out, i);
            for (int j = i; j < i + DL; j++) {
                // y ≤ 4 here, 16 y exact and not negative: the cast's truncation is the scalar floor
                table[j] = ErfFunctions.EXP_NEG_H2[(int) (yIn[j] * 16.0)];
            }
        }
    }

    /**
     * erf's last pass: erfc = e^(-h²) · e^(-(y - h)(y + h)) · the rational function (e^t by {@code
     * ErfFunctions.expNeg}'s steps), 1 - erfc or the small form per lane, x's sign, rounded to float.
     */
    private static void erfFinish(float[] x, int off, int n, float[] o, int oOff, double[] yIn, double[] smallIn,
            double[] ratIn, double[] table) {
        double[] ex = ErfFunctions.EXP_TAYLOR;
        for (int i = 0; i < n; i += DL) {
            DoubleVector y = VD.cast(DoubleVector.fromArray(D, yIn, i));
            if (done(y)) {
                continue;
            }
            VectorMask<Double> small = y.compare(VectorOperators.LE, SMALL);
            DoubleVector r;
            if (small.allTrue()) {
                r = VD.cast(DoubleVector.fromArray(D, smallIn, i));
            } else {
                // h = floor(16 y) / 16: 16 y rounded to an integer by 1.5 · 2^52, less one where that rose
                DoubleVector y16 = VD.cast(y.mul(16.0));
                DoubleVector near = VD.cast(VD.cast(y16.add(RND)).sub(RND));
                DoubleVector h = VD.cast(VD.cast(near.sub(VD.cast(DoubleVector.zero(D))
                        .blend(1.0, near.compare(VectorOperators.GT, y16)))).mul(0.0625));
                DoubleVector t = VD.cast(VD.cast(VD.cast(y.sub(h)).neg()).mul(VD.cast(y.add(h))));
                // t = k ln 2 + r, k = rint(t log2 e) by 1.5 · 2^52 (round half even, as rint)
                DoubleVector sk = VD.cast(VD.cast(t.mul(ErfFunctions.LOG2E)).add(RND));
                DoubleVector k = VD.cast(sk.sub(RND));
                DoubleVector rr = VD.cast(VD.cast(t.sub(VD.cast(k.mul(LN2_HI)))).sub(VD.cast(k.mul(LN2_LO))));
                DoubleVector p = VD.cast(DoubleVector.broadcast(D, ex[0]));
                for (int j = 1; j < ex.length; j++) {
                    p = VD.cast(p.fma(rr, VD.cast(DoubleVector.broadcast(D, ex[j]))));
                }
                DoubleVector e = VD.cast(VD.cast(DoubleVector.fromArray(D, table, i)).mul(VD.cast(p.mul(VD.cast(
                        VL.cast(VL.cast(sk.reinterpretAsLongs()).add(1023 - RND_BITS))
                                .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles())))));
                DoubleVector erfc = VD.cast(e.mul(VD.cast(DoubleVector.fromArray(D, ratIn, i))));
                r = VD.cast(DoubleVector.broadcast(D, 1.0).sub(erfc));
                if (small.anyTrue()) {
                    r = VD.cast(r.blend(VD.cast(DoubleVector.fromArray(D, smallIn, i)), small));
                }
            }
            // erf is odd and r is +0 or above: the sign bit of x, -0 included
            DoubleVector v = widen(x, off + i);
            DoubleVector signed = VD.cast(VL.cast(VL.cast(r.reinterpretAsLongs())
                    .or(VL.cast(VL.cast(v.reinterpretAsLongs()).and(Long.MIN_VALUE)))).reinterpretAsDoubles());
            VFW.cast(signed.convertShape(VectorOperators.D2F, FW, 0)).intoArray(o, oOff + i);
        }
    }

    /**
     * Integers below 2^51 in magnitude as doubles, exactly: their bits added to 1.5 · 2^52's read
     * as that double plus the integer.
     */
    static DoubleVector exact(LongVector v) {
        return VD.cast(VD.cast(VL.cast(v.add(RND_BITS)).reinterpretAsDoubles()).sub(RND));
    }

    /** L floats of x from off, widened to doubles (exact). */
    static DoubleVector widen(float[] x, int off) {
        return VD.cast(VFW.cast(FloatVector.fromArray(FW, x, off)).convertShape(VectorOperators.F2D, D, 0));
    }



}
