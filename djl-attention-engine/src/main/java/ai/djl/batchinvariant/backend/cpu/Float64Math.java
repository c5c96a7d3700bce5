/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.UnaryOp;

/**
 * Element-wise functions in double precision: the float64 path of every unary op (float64 arrays
 * stay float64 end to end, as in PyTorch), and an accurate erf/erfc that the float32 erf and gelu
 * round once. Everything is built from {@link StrictMath} and plain double arithmetic, so the bits
 * are the same on every machine and in every JIT tier.
 */
public final class Float64Math {

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private Float64Math() {}

    /**
     * Applies a unary op in double precision.
     *
     * @param op the operation (not a boolean-valued one)
     * @param x the argument
     * @return the result
     */
    public static double apply(UnaryOp op, double x) {
        switch (op) {
            case NEG:
                return -x;
            case ABS:
                return Math.abs(x);
            case EXP:
                return StrictMath.exp(x);
            case LOG:
                return StrictMath.log(x);
            case LOG2:
                return log2(x);
            case LOG10:
                return StrictMath.log10(x);
            case SQRT:
                return StrictMath.sqrt(x);
            case SQUARE:
                return x * x;
            case TANH:
                return StrictMath.tanh(x);
            case SIGMOID:
                return 1.0 / (1.0 + StrictMath.exp(-x));
            case RELU:
                // x < 0 rather than max(x, 0): -0.0 and NaN pass through, as in PyTorch
                return x < 0 ? 0.0 : x;
            case GELU:
                return gelu(x);
            case SIN:
                return StrictMath.sin(x);
            case COS:
                return StrictMath.cos(x);
            case TAN:
                return StrictMath.tan(x);
            case FLOOR:
                return Math.floor(x);
            case CEIL:
                return Math.ceil(x);
            case ROUND:
                return Math.rint(x);
            case TRUNC:
                return x < 0 ? Math.ceil(x) : Math.floor(x);
            case SIGN:
                return sign(x);
            case ERF:
                return erf(x);
            case SOFTPLUS:
                return x > 20 ? x : StrictMath.log1p(StrictMath.exp(x));
            case CBRT:
                return StrictMath.cbrt(x);
            case SELU:
                return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * StrictMath.expm1(x));
            default:
                throw new IllegalArgumentException("not a numeric unary op: " + op);
        }
    }

    /**
     * The sign as PyTorch computes it, (0 &lt; x) - (x &lt; 0): +0.0 for both zeros and for NaN.
     *
     * @param x the argument
     * @return -1, 0 or 1
     */
    public static double sign(double x) {
        return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    }

    private static double log2(double x) {
        // exact for powers of two, so log2(8) is 3 and not 2.9999999999999996
        if (x > 0 && x < Double.POSITIVE_INFINITY) {
            int e = Math.getExponent(x);
            if (x == Math.scalb(1.0, e)) {
                return e;
            }
        }
        return StrictMath.log(x) / 0.6931471805599453;
    }

    /**
     * GELU with the exact erf: x/2 * erfc(-x/sqrt 2), which has no cancellation for negative x;
     * +infinity at +infinity and NaN at -infinity (-infinity times erfc's vanishing tail), as
     * PyTorch's own kernel gives.
     *
     * @param x the argument
     * @return gelu(x)
     */
    public static double gelu(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? x : Double.NaN;
        }
        return 0.5 * x * erfc(-x * SQRT1_2);
    }

    /**
     * The error function to within a few ulp over the whole double range.
     *
     * @param x the argument
     * @return erf(x)
     */
    public static double erf(double x) {
        if (x != x) {
            return x;
        }
        double z = Math.abs(x);
        double r;
        if (z < 2.5) {
            r = erfSeries(z);
        } else if (z < 6.0) {
            r = 1.0 - erfcFraction(z);
        } else {
            r = 1.0;
        }
        // the sign of x, -0 included (erf is odd): erf(-0) = -0, as IEEE libraries and PyTorch give
        return Math.copySign(r, x);
    }

    /**
     * The complementary error function 1 - erf(x), accurate in relative terms in its tail.
     *
     * @param x the argument
     * @return erfc(x)
     */
    public static double erfc(double x) {
        if (x != x) {
            return x;
        }
        if (x < 0) {
            return 1.0 + erf(-x);
        }
        if (x < 0.5) {
            return 1.0 - erfSeries(x);
        }
        if (x > 27.3) {
            return 0.0;
        }
        if (x < 2.0) {
            // erfc(x) >= 4.7e-3 here, so the subtraction loses fewer than 8 bits; the series
            // itself is accurate to an ulp
            return 1.0 - erfSeries(x);
        }
        return erfcFraction(x);
    }

    /**
     * erf(z) = 2/sqrt(pi) e^{-z^2} sum_n 2^n z^{2n+1} / (1*3*...*(2n+1)): every term positive, so no
     * cancellation; about 2 z^2 + 20 terms.
     */
    private static double erfSeries(double z) {
        double z2 = z * z;
        double term = z;
        double sum = z;
        for (int n = 1; n < 200; n++) {
            term *= 2 * z2 / (2 * n + 1);
            double next = sum + term;
            if (next == sum) {
                break;
            }
            sum = next;
        }
        return TWO_OVER_SQRT_PI * expMinusSquare(z) * sum;
    }

    /**
     * erfc(z) for z &gt;= 2 by the continued fraction e^{-z^2}/sqrt(pi) / (z + 1/2 / (z + 1 / (z +
     * 3/2 / (z + ...)))), evaluated bottom-up with a fixed depth (no data-dependent order).
     */
    private static double erfcFraction(double z) {
        double f = z;
        for (int k = 120; k >= 1; k--) {
            f = z + (k * 0.5) / f;
        }
        return ONE_OVER_SQRT_PI * expMinusSquare(z) / f;
    }

    /** e^{-z^2} without the rounding error of z*z: z is split into a 26-bit head and a tail. */
    private static double expMinusSquare(double z) {
        double hi = Double.longBitsToDouble(Double.doubleToRawLongBits(z) & 0xfffffffff8000000L);
        double lo = z - hi;
        // z^2 = hi^2 + lo*(z + hi), and hi^2 is exact
        return StrictMath.exp(-hi * hi) * StrictMath.exp(-lo * (z + hi));
    }
}
