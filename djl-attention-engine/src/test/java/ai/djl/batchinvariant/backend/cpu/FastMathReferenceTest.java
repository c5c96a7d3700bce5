/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * FastMath against float64 values computed here ({@link Math#exp}, {@link Math#log}, {@link
 * Math#tanh} in double, and a float64 erf series written in this test): the documented error
 * bounds over the whole float range, the range ends (overflow to infinity, underflow to zero,
 * subnormal results and arguments) and the special values, so a changed constant, branch or
 * operator in a polynomial shows as an error far beyond the bound.
 */
class FastMathReferenceTest {

    private final Random rnd = new Random(29);

    /** |got - want| in units of the float ulp at want (at least the smallest subnormal). */
    private static double ulps(float got, double want) {
        double ulp = Math.max(Math.ulp((float) want), Float.MIN_VALUE);
        return Math.abs(got - want) / ulp;
    }

    private static void assertUlps(double maxUlps, float got, double want, String what) {
        double u = ulps(got, want);
        assertTrue(u <= maxUlps, what + ": got " + got + ", want " + want + " (" + u + " ulp)");
    }

    @Test
    void expWithinTwoUlpOverTheFloatRange() {
        for (int i = 0; i < 20_000; i++) {
            float x = (float) (-103.0 + rnd.nextDouble() * (88.7 + 103.0));
            assertUlps(2, FastMath.exp(x), Math.exp(x), "exp(" + x + ")");
        }
        // small arguments, where the polynomial alone decides the result
        for (int i = 0; i < 5_000; i++) {
            float x = (float) ((rnd.nextDouble() - 0.5) * 1.4);
            assertUlps(2, FastMath.exp(x), Math.exp(x), "exp(" + x + ")");
        }
        assertEquals(1f, FastMath.exp(0f));
        assertEquals(1f, FastMath.exp(-0f));
    }

    @Test
    void expAtTheEndsOfItsRange() {
        // results above 2^127 (the k > 127 branch) and the largest finite result
        for (float x : new float[] {88.0f, 88.4f, 88.6f, 88.7f, 88.72283f}) {
            float got = FastMath.exp(x);
            assertTrue(Float.isFinite(got), "exp(" + x + ") = " + got + " must be finite");
            assertUlps(2, got, Math.exp(x), "exp(" + x + ")");
        }
        assertEquals(Float.POSITIVE_INFINITY, FastMath.exp(88.72284f));
        assertEquals(Float.POSITIVE_INFINITY, FastMath.exp(100f));
        assertEquals(Float.POSITIVE_INFINITY, FastMath.exp(Float.POSITIVE_INFINITY));
        // subnormal results (the k < -126 branch), rounded once
        for (float x : new float[] {-87.5f, -88f, -90f, -95f, -100f, -102f, -103f, -103.2f}) {
            float got = FastMath.exp(x);
            double want = Math.exp(x);
            assertTrue(Math.abs(got - want) <= Math.max(2 * Math.ulp((float) want), Float.MIN_VALUE),
                    "exp(" + x + ") = " + got + ", want " + want);
            assertTrue(got > 0f, "exp(" + x + ") must not underflow to 0");
        }
        assertEquals(0f, FastMath.exp(-103.98f));
        assertEquals(0f, FastMath.exp(-200f));
        assertEquals(0f, FastMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FastMath.exp(Float.NaN)));
    }

    @Test
    void logWithinTwoUlpIncludingSubnormals() {
        for (int i = 0; i < 20_000; i++) {
            // log-uniform over the normal range
            float x = (float) Math.exp((rnd.nextDouble() - 0.5) * 2 * 87);
            assertUlps(2, FastMath.log(x), Math.log(x), "log(" + x + ")");
        }
        for (int i = 0; i < 5_000; i++) {
            // near 1, both sides of the sqrt(2) fold
            float x = (float) (0.5 + rnd.nextDouble() * 1.5);
            assertUlps(2, FastMath.log(x), Math.log(x), "log(" + x + ")");
        }
        for (float x : new float[] {Float.MIN_VALUE, 3 * Float.MIN_VALUE, 1e-44f, 1e-40f, 5e-39f,
            Float.MIN_NORMAL, Float.MIN_NORMAL * 1.5f, 1.4142135f, 1.4142137f, 0.70710677f, 2f, 0.5f,
            Float.MAX_VALUE}) {
            assertUlps(2, FastMath.log(x), Math.log(x), "log(" + x + ")");
        }
        assertEquals(0f, FastMath.log(1f));
        assertEquals(Float.NEGATIVE_INFINITY, FastMath.log(0f));
        assertEquals(Float.NEGATIVE_INFINITY, FastMath.log(-0f));
        assertEquals(Float.POSITIVE_INFINITY, FastMath.log(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(FastMath.log(-1f)));
        assertTrue(Float.isNaN(FastMath.log(-Float.MIN_VALUE)));
        assertTrue(Float.isNaN(FastMath.log(Float.NEGATIVE_INFINITY)));
        assertTrue(Float.isNaN(FastMath.log(Float.NaN)));
    }

    /**
     * 2 ulp in the small-argument series; elsewhere 1 - 2/(e^2|x| + 1) loses up to about 1e-7
     * absolute to cancellation, so 2e-7 more.
     */
    private static double tanhTol(float x, double t) {
        double ulp2 = 2 * Math.ulp((float) t);
        return Math.abs(x) < 0.0625f ? ulp2 : ulp2 + 2e-7;
    }

    @Test
    void tanhAndSigmoidAgainstFloat64() {
        for (int i = 0; i < 20_000; i++) {
            float x = (float) ((rnd.nextDouble() - 0.5) * 24);
            double t = Math.tanh(x);
            assertTrue(Math.abs(FastMath.tanh(x) - t) <= tanhTol(x, t),
                    "tanh(" + x + ") = " + FastMath.tanh(x) + ", want " + t);
            double s = 1 / (1 + Math.exp(-(double) x));
            assertTrue(Math.abs(FastMath.sigmoid(x) - s) <= 4 * Math.ulp((float) s),
                    "sigmoid(" + x + ") = " + FastMath.sigmoid(x) + ", want " + s);
        }
        // the small-argument series, on both sides of its cut
        for (float x : new float[] {1e-30f, 1e-8f, 1e-3f, 0.01f, 0.05f, 0.0624f, 0.0625f, 0.0626f, 0.07f, 0.5f,
            8.9f, 9f, 9.1f}) {
            for (float sx : new float[] {x, -x}) {
                double t = Math.tanh(sx);
                assertTrue(Math.abs(FastMath.tanh(sx) - t) <= tanhTol(sx, t),
                        "tanh(" + sx + ") = " + FastMath.tanh(sx) + ", want " + t);
            }
        }
        assertEquals(1f, FastMath.tanh(20f));
        assertEquals(-1f, FastMath.tanh(-20f));
        assertEquals(1f, FastMath.tanh(Float.POSITIVE_INFINITY));
        assertEquals(0.5f, FastMath.sigmoid(0f));
        assertEquals(1f, FastMath.sigmoid(100f));
        assertEquals(0f, FastMath.sigmoid(-200f));
    }

    /** erf = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (2n+1)!! (positive terms only); +-1 beyond 6. */
    private static double erfSeries(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double term = x;
        double sum = 0;
        for (int n = 0; n < 400; n++) {
            sum += term;
            term *= 2 * x * x / (2 * n + 3);
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }
}
