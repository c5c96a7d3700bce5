/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * erf and gelu for float32 (and the half types), in double arithmetic rounded once: W. J. Cody's
 * rational Chebyshev approximations (Math. Comp. 23, 1969: erf on |y| ≤ 0.46875, erfc on
 * [0.46875, 4] and beyond 4, each to about 18 digits), with e^(-y²) from a polynomial of this
 * class's own. Only +, −, ×, ÷ and {@link Math#rint} (all exactly specified), so the bits are the
 * same in the interpreter, in every JIT tier and on every machine, unlike {@link Math#exp}. The
 * double result is within a few 1e-15 of the exact value, so its float rounding is the exactly
 * rounded float but where the exact value lies that close to a rounding boundary.
 *
 * <p>{@link Float64Math}'s series and continued fraction (hundreds of dependent divisions) stay
 * the float64 path; as the float32 path they took 170–450 ns an element.
 */
final class ErfFunctions {

    static final double SQRT1_2 = 0.7071067811865476;
    /** 1 / sqrt(pi). */
    private static final double SQRPI = 0.56418958354775628695;
    /** Past this, erfc(y) is below the smallest double. */
    private static final double BIG = 26.543;
    static final double[] A = {
        3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
        1.85777706184603153e-1
    };
    static final double[] B = {
        2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03
    };
    static final double[] C = {
        5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
        8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
        2.15311535474403846e-8
    };
    static final double[] D = {
        1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
        3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03
    };
    private static final double[] P = {
        3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
        6.58749161529837803e-4, 1.63153871373020978e-2
    };
    private static final double[] Q = {
        2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
        2.33520497626869185e-3
    };
    static final double LOG2E = 1.4426950408889634;
    /** ln 2 in two parts, the first with trailing zeros so that k · LN2_HI is exact (fdlibm's). */
    static final double LN2_HI = 6.93147180369123816490e-01;
    static final double LN2_LO = 1.90821492927058770002e-10;

    /** 1/13!, 1/12!, …, 1/2!, 1, 1: e^r's Taylor polynomial, highest degree first. */
    static final double[] EXP_TAYLOR = {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0
    };

    /**
     * erfcx(y) = e^(y²) erfc(y) on [0, 4] as a polynomial in u = y / 2 - 1, highest degree first:
     * the vector gelu's ({@code VectorElementwiseKernels.gelu}), within 2.3e-13 relative (fitted and
     * measured by tools/fit_gelu_erfcx.py).
     */
    static final double[] ERFCX = {
        -0x1.1de848b83c000p-20, 0x1.8663f35954000p-19, -0x1.163731e408000p-21, -0x1.784b6d87f4000p-20,
        -0x1.8e4e7aa10e000p-17, 0x1.0805f583ce200p-15, -0x1.7b5908ab5b200p-15, 0x1.6693dcac0e625p-14,
        -0x1.92f5a0222c613p-13, 0x1.9737e10fdbe8fp-12, -0x1.86098c7c798a8p-11, 0x1.71a326f2ed95bp-10,
        -0x1.576d07025c1f1p-9, 0x1.36a2a4e61006fp-8, -0x1.115dd065362a2p-7, 0x1.d37ab2be6f1eep-7,
        -0x1.83820fb00647ep-6, 0x1.36a000053193cp-5, -0x1.e028e96fbaf5bp-5, 0x1.649071eefa2cdp-4,
        -0x1.fa9d3ac54d5f6p-4, 0x1.5672b9ea74433p-3, -0x1.b57034efd9e86p-3, 0x1.058671b52c4e5p-2,
    };

    /** e^(-h²) for h = m / 16, m from 0 to 16 · {@link #BIG}, by {@link #expNeg}. */
    static final double[] EXP_NEG_H2 = new double[(int) (16 * BIG) + 1];

    static {
        for (int m = 0; m < EXP_NEG_H2.length; m++) {
            double h = m / 16.0;
            EXP_NEG_H2[m] = expNeg(-h * h);
        }
    }

    private ErfFunctions() {}

    /**
     * gelu(x) = x · Φ(x) = x / 2 · erfc(-x / √2), rounded once; NaN at -infinity (0 · infinity), x
     * at +infinity.
     *
     * @param x the argument
     * @return gelu(x)
     */
    static float gelu(float x) {
        if (x != x) {
            return x;
        }
        if (Float.isInfinite(x)) {
            return x > 0 ? x : Float.NaN;
        }
        double d = x;
        return (float) (0.5 * d * erfc(-d * SQRT1_2));
    }

    /**
     * erf(x), rounded once; erf(-0) = -0.
     *
     * @param x the argument
     * @return erf(x)
     */
    static float erf(float x) {
        if (x != x) {
            return x;
        }
        double d = x;
        double y = Math.abs(d);
        double r;
        if (y <= 0.46875) {
            r = y * small(y);
        } else {
            r = 1.0 - erfcAbove(y);
        }
        return (float) Math.copySign(r, d);
    }

    /** erfc(z) for any double z (NaN propagates). */
    static double erfc(double z) {
        double y = Math.abs(z);
        if (y <= 0.46875) {
            return 1.0 - z * small(y);
        }
        double e = erfcAbove(y);
        return z < 0 ? 2.0 - e : e;
    }

    /** erf(y) / y for 0 ≤ y ≤ 0.46875. */
    private static double small(double y) {
        double ysq = y * y;
        double num = A[4] * ysq;
        double den = ysq;
        for (int i = 0; i < 3; i++) {
            num = (num + A[i]) * ysq;
            den = (den + B[i]) * ysq;
        }
        return (num + A[3]) / (den + B[3]);
    }

    /** erfc(y) for y > 0.46875 (NaN for NaN). */
    private static double erfcAbove(double y) {
        if (y >= BIG) {
            return 0.0;
        }
        double r;
        if (y <= 4.0) {
            double num = C[8] * y;
            double den = y;
            for (int i = 0; i < 7; i++) {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }
            r = (num + C[7]) / (den + D[7]);
        } else {
            double ysq = 1.0 / (y * y);
            double num = P[5] * ysq;
            double den = ysq;
            for (int i = 0; i < 4; i++) {
                num = (num + P[i]) * ysq;
                den = (den + Q[i]) * ysq;
            }
            r = (SQRPI - ysq * (num + P[4]) / (den + Q[4])) / y;
        }
        return expNegSquare(y) * r;
    }

    /**
     * e^(-y²) for 0 ≤ y < {@link #BIG}: y² split as h² + (y - h)(y + h) with h = y to 1/16 (so h² is
     * exact and the rounding of y² does not reach the result): e^(-h²) from {@link #EXP_NEG_H2},
     * the other part's exponential by {@link #expNeg}.
     */
    private static double expNegSquare(double y) {
        int m = (int) Math.floor(y * 16.0);
        double h = m / 16.0;
        return EXP_NEG_H2[m] * expNeg(-(y - h) * (y + h));
    }

    /**
     * e^t for -709 ≤ t ≤ 0: t = k ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor polynomial to r^13
     * (truncation below 2e-17 relative), times 2^k from the bits.
     */
    private static double expNeg(double t) {
        double k = Math.rint(t * LOG2E);
        double r = (t - k * LN2_HI) - k * LN2_LO;
        double p = EXP_TAYLOR[0];
        for (int j = 1; j < EXP_TAYLOR.length; j++) {
            p = Math.fma(p, r, EXP_TAYLOR[j]);
        }
        return p * Double.longBitsToDouble((long) ((int) k + 1023) << 52);
    }
}
