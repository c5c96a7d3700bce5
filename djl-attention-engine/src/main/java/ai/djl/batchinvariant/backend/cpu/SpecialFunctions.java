/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Scalar special functions in float64 that {@link StrictMath} lacks: inverse hyperbolic functions,
 * erf, erfinv and log-gamma. Every type computes through these and rounds once, so float32 and
 * the half types get (nearly) correctly rounded results, identical on every call.
 */
final class SpecialFunctions {

    private static final double LN2 = 0.6931471805599453;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double HALF_LOG_2PI = 0.9189385332046728;
    private static final double[] LANCZOS = {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7
    };

    private SpecialFunctions() {}

    /** asinh, written so that neither small nor huge arguments lose precision. */
    static double asinh(double x) {
        double ax = Math.abs(x);
        if (Double.isNaN(x) || Double.isInfinite(x) || ax == 0) {
            return x;
        }
        double r;
        if (ax > 1e8) {
            r = StrictMath.log(ax) + LN2;
        } else {
            r = StrictMath.log1p(ax + ax * ax / (1 + StrictMath.sqrt(1 + ax * ax)));
        }
        return Math.copySign(r, x);
    }

    /** acosh: NaN below 1; log1p near 1 so the small result keeps its digits. */
    static double acosh(double x) {
        if (Double.isNaN(x) || x < 1) {
            return Double.NaN;
        }
        if (x > 1e8) {
            return Double.isInfinite(x) ? x : StrictMath.log(x) + LN2;
        }
        double t = x - 1;
        return StrictMath.log1p(t + StrictMath.sqrt(t * (x + 1)));
    }

    /** atanh: +-inf at +-1, NaN beyond. */
    static double atanh(double x) {
        double ax = Math.abs(x);
        if (Double.isNaN(x) || ax > 1) {
            return Double.NaN;
        }
        if (ax == 0) {
            return x;
        }
        return Math.copySign(0.5 * StrictMath.log1p(2 * ax / (1 - ax)), x);
    }

    /**
     * erf from the series {@code 2/sqrt(pi) exp(-x^2) sum (2x^2)^n x / (1*3*...*(2n+1))}, whose terms
     * are all positive (no cancellation); beyond |x| = 6 erf is 1 to double precision.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax >= 6) {
            return Math.copySign(1.0, x);
        }
        double x2 = 2 * ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 500; n++) {
            term *= x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return Math.copySign(Math.min(1.0, TWO_OVER_SQRT_PI * StrictMath.exp(-ax * ax) * sum), x);
    }

    /**
     * erfinv: Giles' single-precision approximation refined by Newton steps on {@link #erf}.
     */
    static double erfinv(double y) {
        double ay = Math.abs(y);
        if (Double.isNaN(y) || ay > 1) {
            return Double.NaN;
        }
        if (ay == 1) {
            return Math.copySign(Double.POSITIVE_INFINITY, y);
        }
        if (ay == 0) {
            return y;
        }
        double w = -StrictMath.log((1 - ay) * (1 + ay));
        double p;
        if (w < 5) {
            w -= 2.5;
            p = 2.81022636e-08;
            p = 3.43273939e-07 + p * w;
            p = -3.5233877e-06 + p * w;
            p = -4.39150654e-06 + p * w;
            p = 0.00021858087 + p * w;
            p = -0.00125372503 + p * w;
            p = -0.00417768164 + p * w;
            p = 0.246640727 + p * w;
            p = 1.50140941 + p * w;
        } else {
            w = StrictMath.sqrt(w) - 3;
            p = -0.000200214257;
            p = 0.000100950558 + p * w;
            p = 0.00134934322 + p * w;
            p = -0.00367342844 + p * w;
            p = 0.00573950773 + p * w;
            p = -0.0076224613 + p * w;
            p = 0.00943887047 + p * w;
            p = 1.00167406 + p * w;
            p = 2.83297682 + p * w;
        }
        double x = p * ay;
        for (int i = 0; i < 3; i++) {
            double step = (erf(x) - ay) / (TWO_OVER_SQRT_PI * StrictMath.exp(-x * x));
            if (!(Math.abs(step) > 0) || Double.isInfinite(step)) {
                break;
            }
            x -= step;
        }
        return Math.copySign(x, y);
    }

    /** log|Gamma(x)|: Lanczos (g = 7, 9 terms) with the reflection formula below 1/2. */
    static double lgamma(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (Double.isInfinite(x)) {
            return Double.POSITIVE_INFINITY;
        }
        if (x <= 0 && x == Math.rint(x)) {
            return Double.POSITIVE_INFINITY;
        }
        if (x < 0.5) {
            double s = Math.abs(StrictMath.sin(Math.PI * x));
            return StrictMath.log(Math.PI / s) - lgamma(1 - x);
        }
        if (x == 1 || x == 2) {
            return 0;
        }
        double z = x - 1;
        double a = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            a += LANCZOS[i] / (z + i);
        }
        double t = z + 7.5;
        return HALF_LOG_2PI + (z + 0.5) * StrictMath.log(t) - t + StrictMath.log(a);
    }

    /** xlogy: 0 where x is 0 (unless y is NaN), else x * log(y). */
    static double xlogy(double x, double y) {
        if (Double.isNaN(y)) {
            return Double.NaN;
        }
        if (x == 0) {
            return 0;
        }
        return x * StrictMath.log(y);
    }
}
