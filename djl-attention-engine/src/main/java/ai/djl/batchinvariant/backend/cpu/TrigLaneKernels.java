/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.D;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.DL;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.FW;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.RND;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.RND_BITS;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.RUN;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VD;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VFW;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.VL;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.done;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.exact;
import static ai.djl.batchinvariant.backend.cpu.DoubleLaneKernels.widen;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The float32 sin and cos, {@code (float) StrictMath.sin(x)} and {@code cos}, in double lanes with
 * the operations of fdlibm's algorithm (the one {@code StrictMath} specifies): x reduced to y0 + y1
 * = x - n π/2 with π/2 in 33-bit parts, then the sine or cosine kernel polynomial of the reduced
 * argument by n mod 4. Four passes through scratch, as {@link DoubleLaneKernels} (and for its
 * reasons): the reduction, the sine kernel, the cosine kernel, the quadrant's choice.
 *
 * <p>fdlibm reduces |x| below 3π/4 by one subtraction and larger |x| by n = round(|x| 2/π) with a
 * second and third correction where cancellation took more than 16 bits; the two agree but at
 * |x| whose high word is π/2's, and the corrections change nothing where the cancellation is
 * smaller. So a lane runs the one medium-range form, and a step with a lane at π/2's high word,
 * a cancellation past 16 bits, |x| beyond 2^19 π/2 (fdlibm's large-argument reduction), NaN or an
 * infinity takes {@code StrictMath}. {@code DoubleLanesAgreement} checked every float32 argument
 * below 2^19 π/2 of both functions against {@code StrictMath}. Loaded only when {@link Simd} finds
 * the module.
 */
final class TrigLaneKernels {

    /** 2/π to 53 bits, and π/2 as pio2_1 + pio2_1t (33 bits and the rest). */
    private static final double INVPIO2 = 6.36619772367581382433e-01;
    private static final double PIO2_1 = 1.57079632673412561417e+00;
    private static final double PIO2_1T = 6.07710050650619224932e-11;
    /** fdlibm's high-word bounds: π/4, π/2's own word, 2^19 π/2. */
    private static final long PIO4_HI = 0x3fe921fbL;
    private static final long PIO2_HI = 0x3ff921fbL;
    private static final long MEDIUM_HI = 0x413921fbL;
    /** The sine kernel's coefficients S1 and S6, S5 … S2 (Horner's order). */
    private static final double S1 = -1.66666666666666324348e-01;
    private static final double[] S = {
        1.58969099521155010221e-10, -2.50507602534068634195e-08, 2.75573137070700676789e-06,
        -1.98412698298579493134e-04, 8.33333333332248946124e-03
    };
    /** The cosine kernel's coefficients C6, C5 … C1. */
    private static final double[] C = {
        -1.13596475577881948265e-11, 2.08757232129817482790e-09, -2.75573143513906633035e-07,
        2.48015872894767294178e-05, -1.38888888888741095749e-03, 4.16666666666666019037e-02
    };
    /** Below 2^-27 the kernels return x and 1. */
    private static final double TINY = 0x1p-27;
    /** The cosine kernel's bounds on the high word: 0x3fd33333 (about 0.3) and above 0x3fe90000 (0.78125). */
    private static final double COS_SMALL = Double.longBitsToDouble(0x3fd33333L << 32);
    private static final double COS_QX_CONST = Double.longBitsToDouble(0x3fe90001L << 32);

    private TrigLaneKernels() {}

    /**
     * {@code o[oOff + i] = (float) StrictMath.sin(x[off + i])} for i in [0, n).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void sin(float[] x, int off, int n, float[] o, int oOff) {
        run(false, x, off, n, o, oOff);
    }

    /**
     * {@code o[oOff + i] = (float) StrictMath.cos(x[off + i])} for i in [0, n).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void cos(float[] x, int off, int n, float[] o, int oOff) {
        run(true, x, off, n, o, oOff);
    }

    private static void run(boolean cos, float[] x, int off, int n, float[] o, int oOff) {
        int len0 = Math.min(n, RUN);
        double[] y0 = new double[len0];
        double[] y1 = new double[len0];
        double[] q = new double[len0];
        double[] ks = new double[len0];
        for (int from = 0; from < n; from += RUN) {
            int len = Math.min(RUN, n - from);
            int steps = len - len % DL;
            reduce(cos, x, off + from, steps, o, oOff + from, y0, y1, q);
            sineKernel(steps, y0, y1, q, ks);
            cosineKernel(steps, y0, y1, q);
            choose(cos, steps, q, ks, y1, o, oOff + from);
            for (int i = steps; i < len; i++) {
                o[oOff + from + i] = scalar(cos, x[off + from + i]);
            }
        }
    }

    private static float scalar(boolean cos, float x) {
        return (float) (cos ? StrictMath.cos(x) : StrictMath.sin(x));
    }

    /**
     * The first pass: y0, y1 and the signed n of each lane (n = 0 and y1 = 0 for |x| ≤ π/4, where
     * fdlibm calls the kernels on x itself), or, for a step with a lane outside the vector form,
     * {@code StrictMath}'s results into o and NaN into q.
     */
    private static void reduce(boolean cos, float[] x, int off, int n, float[] o, int oOff, double[] y0Out,
            double[] y1Out, double[] qOut) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector v = widen(x, off + i);
            LongVector ix = VL.cast(VL.cast(VL.cast(v.reinterpretAsLongs()).lanewise(VectorOperators.LSHR, 32)).and(0x7fffffffL));
            DoubleVector ixd = exact(ix);
            VectorMask<Double> small = ixd.compare(VectorOperators.LE, (double) PIO4_HI);
            DoubleVector t = VD.cast(v.abs());
            // n = (int) (t 2/π + 1/2): the sum's integer part, by 1.5 · 2^52 and one less where that rose
            DoubleVector u = VD.cast(VD.cast(t.mul(INVPIO2)).add(0.5));
            DoubleVector near = VD.cast(VD.cast(u.add(RND)).sub(RND));
            DoubleVector fn = VD.cast(near.sub(VD.cast(DoubleVector.zero(D)).blend(1.0, near.compare(VectorOperators.GT, u))));
            DoubleVector r = VD.cast(t.sub(VD.cast(fn.mul(PIO2_1))));
            DoubleVector w = VD.cast(fn.mul(PIO2_1T));
            DoubleVector y0 = VD.cast(r.sub(w));
            // bits lost to cancellation: x's exponent less y0's
            DoubleVector lost = exact(VL.cast(VL.cast(ix.lanewise(VectorOperators.LSHR, 20)).sub(VL.cast(VL.cast(
                    VL.cast(y0.reinterpretAsLongs()).lanewise(VectorOperators.LSHR, 52)).and(0x7ffL)))));
            if (!ixd.compare(VectorOperators.LE, (double) MEDIUM_HI)
                    .and(ixd.compare(VectorOperators.NE, (double) PIO2_HI))
                    .and(lost.compare(VectorOperators.LE, 16.0).or(small))
                    .allTrue()) {
                for (int j = i; j < i + DL; j++) {
                    o[oOff + j] = scalar(cos, x[off + j]);
                    qOut[j] = Double.NaN;
                }
                continue;
            }
            DoubleVector y1 = VD.cast(VD.cast(r.sub(y0)).sub(w));
            VectorMask<Double> negative = v.compare(VectorOperators.LT, 0.0);
            VD.cast(VD.cast(y0.blend(VD.cast(y0.neg()), negative)).blend(v, small)).intoArray(y0Out, i);
            VD.cast(VD.cast(y1.blend(VD.cast(y1.neg()), negative)).blend(0.0, small)).intoArray(y1Out, i);
            VD.cast(VD.cast(fn.blend(VD.cast(fn.neg()), negative)).blend(0.0, small)).intoArray(qOut, i);
        }
    }

    /**
     * fdlibm's sine kernel of y0 + y1: y0 + v (S1 + z r) for |x| ≤ π/4 (its y1 is 0 and fdlibm
     * calls the kernel's first form), y0 - ((z (y1/2 - v r) - y1) - v S1) after a reduction, y0
     * itself below 2^-27.
     */
    private static void sineKernel(int n, double[] y0In, double[] y1In, double[] qIn, double[] out) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector q = VD.cast(DoubleVector.fromArray(D, qIn, i));
            if (done(q)) {
                continue;
            }
            DoubleVector x = VD.cast(DoubleVector.fromArray(D, y0In, i));
            DoubleVector y = VD.cast(DoubleVector.fromArray(D, y1In, i));
            DoubleVector z = VD.cast(x.mul(x));
            DoubleVector v = VD.cast(z.mul(x));
            DoubleVector r = VD.cast(DoubleVector.broadcast(D, S[0]));
            for (int j = 1; j < S.length; j++) {
                r = VD.cast(VD.cast(z.mul(r)).add(S[j]));
            }
            DoubleVector first = VD.cast(x.add(VD.cast(v.mul(VD.cast(VD.cast(z.mul(r)).add(S1))))));
            DoubleVector second = VD.cast(x.sub(VD.cast(VD.cast(VD.cast(z.mul(VD.cast(VD.cast(y.mul(0.5))
                    .sub(VD.cast(v.mul(r)))))).sub(y)).sub(VD.cast(v.mul(S1))))));
            VD.cast(VD.cast(second.blend(first, q.compare(VectorOperators.EQ, 0.0)))
                    .blend(x, VD.cast(x.abs()).compare(VectorOperators.LT, TINY))).intoArray(out, i);
        }
    }

    /**
     * fdlibm's cosine kernel of y0 + y1 (1 below 2^-27; 1 - (z/2 - (z r - y0 y1)) below the high
     * word 0x3fd33333; else with qx = y0/4 to its high word, or 0.28125 above 0.78125, (1 - qx) -
     * ((z/2 - qx) - (z r - y0 y1))), written over y1.
     */
    private static void cosineKernel(int n, double[] y0In, double[] y1InOut, double[] qIn) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector nq = VD.cast(DoubleVector.fromArray(D, qIn, i));
            if (done(nq)) {
                continue;
            }
            DoubleVector x = VD.cast(DoubleVector.fromArray(D, y0In, i));
            DoubleVector y = VD.cast(DoubleVector.fromArray(D, y1InOut, i));
            DoubleVector ax = VD.cast(x.abs());
            DoubleVector z = VD.cast(x.mul(x));
            DoubleVector p = VD.cast(DoubleVector.broadcast(D, C[0]));
            for (int j = 1; j < C.length; j++) {
                p = VD.cast(VD.cast(z.mul(p)).add(C[j]));
            }
            DoubleVector zr = VD.cast(VD.cast(VD.cast(z.mul(p)).mul(z)).sub(VD.cast(x.mul(y))));
            DoubleVector hz = VD.cast(z.mul(0.5));
            // qx: |y0| / 4 to its high word (its high word less 2^21), or 0.28125
            DoubleVector qx = VD.cast(VD.cast(VL.cast(VL.cast(VL.cast(VL.cast(ax.reinterpretAsLongs())
                    .lanewise(VectorOperators.LSHR, 32)).sub(0x200000L)).lanewise(VectorOperators.LSHL, 32))
                    .reinterpretAsDoubles()).blend(0.28125, ax.compare(VectorOperators.GE, COS_QX_CONST)));
            DoubleVector near = VD.cast(DoubleVector.broadcast(D, 1.0).sub(VD.cast(hz.sub(zr))));
            DoubleVector far = VD.cast(VD.cast(DoubleVector.broadcast(D, 1.0).sub(qx))
                    .sub(VD.cast(VD.cast(hz.sub(qx)).sub(zr))));
            VD.cast(VD.cast(far.blend(near, ax.compare(VectorOperators.LT, COS_SMALL)))
                    .blend(1.0, ax.compare(VectorOperators.LT, TINY))).intoArray(y1InOut, i);
        }
    }

    /** sin(x) (cos(x): the next quadrant) from the kernels by n mod 4, rounded to float. */
    private static void choose(boolean cos, int n, double[] qIn, double[] ksIn, double[] kcIn, float[] o, int oOff) {
        for (int i = 0; i < n; i += DL) {
            DoubleVector nq = VD.cast(DoubleVector.fromArray(D, qIn, i));
            if (done(nq)) {
                continue;
            }
            DoubleVector kc = VD.cast(DoubleVector.fromArray(D, kcIn, i));
            DoubleVector ks = VD.cast(DoubleVector.fromArray(D, ksIn, i));
            // n mod 4 from the two's complement bits 1.5 · 2^52 + n holds; cos(x) is sin's quadrant + 1
            LongVector quad = VL.cast(VL.cast(VL.cast(VD.cast(nq.add(RND)).reinterpretAsLongs()).sub(RND_BITS))
                    .add(cos ? 1L : 0L));
            DoubleVector odd = exact(VL.cast(quad.and(1L)));
            DoubleVector half = exact(VL.cast(quad.and(2L)));
            DoubleVector k = VD.cast(ks.blend(kc, odd.compare(VectorOperators.NE, 0.0)));
            DoubleVector signed = VD.cast(k.blend(VD.cast(k.neg()), half.compare(VectorOperators.NE, 0.0)));
            VFW.cast(signed.convertShape(VectorOperators.D2F, FW, 0)).intoArray(o, oOff + i);
        }
    }
}
