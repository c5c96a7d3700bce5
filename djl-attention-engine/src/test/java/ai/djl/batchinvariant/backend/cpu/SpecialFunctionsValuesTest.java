/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * The float64 special functions against closed forms and tabulated values written here: the
 * logarithmic forms of the inverse hyperbolic functions (with series where they cancel), erf and
 * erfinv at published values, log-gamma by Stirling's series with the recurrence
 * {@code lgamma(x) = lgamma(x + k) - log(x (x + 1) ... (x + k - 1))} and reflection, and the
 * NaN, infinity, signed-zero and out-of-domain cases; then the NDArray entry points for every
 * input type (integers give float32) and xlogy / atan2 with broadcasting.
 */
class SpecialFunctionsValuesTest extends EngineTestBase {

    private static void rel(double expected, double actual, double tol, String what) {
        assertEquals(expected, actual, tol * Math.max(1, Math.abs(expected)), what);
    }

    @Test
    void inverseHyperbolics() {
        for (double x : new double[] {-30, -2.5, -0.7, -1e-3, 0.01, 0.3, 1, 4, 1e3, 1e7, 5e8}) {
            double ax = Math.abs(x);
            double ref = Math.copySign(Math.log(ax + Math.sqrt(ax * ax + 1)), x);
            rel(ref, SpecialFunctions.asinh(x), 1e-12, "asinh " + x);
            rel(-ref, SpecialFunctions.asinh(-x), 1e-12, "asinh " + -x);
        }
        // small arguments, where the log form cancels: the series x - x^3/6
        for (double x : new double[] {1e-9, -3e-7, 2e-5}) {
            rel(x - x * x * x / 6, SpecialFunctions.asinh(x), 1e-15, "asinh " + x);
            rel(x + x * x * x / 3, SpecialFunctions.atanh(x), 1e-15, "atanh " + x);
        }
        rel(Math.log(2e12), SpecialFunctions.asinh(1e12), 1e-15, "asinh 1e12");
        rel(-Math.log(2e12), SpecialFunctions.asinh(-1e12), 1e-15, "asinh -1e12");
        assertEquals(Double.POSITIVE_INFINITY, SpecialFunctions.asinh(Double.POSITIVE_INFINITY));
        assertEquals(Double.NEGATIVE_INFINITY, SpecialFunctions.asinh(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(SpecialFunctions.asinh(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(SpecialFunctions.asinh(-0.0)));

        for (double x : new double[] {1.5, 2, 10, 1e3, 9e7, 2e8, 1e12}) {
            rel(Math.log(x) + Math.log1p(Math.sqrt(1 - 1 / (x * x))), SpecialFunctions.acosh(x), 1e-14, "acosh " + x);
        }
        // just above 1: sqrt(2e) (1 - e/12)
        for (double e : new double[] {1e-10, 1e-7}) {
            rel(Math.sqrt(2 * e) * (1 - e / 12), SpecialFunctions.acosh(1 + e), 1e-6, "acosh 1+" + e);
        }
        assertEquals(0.0, SpecialFunctions.acosh(1));
        assertTrue(Double.isNaN(SpecialFunctions.acosh(0.999)));
        assertTrue(Double.isNaN(SpecialFunctions.acosh(Double.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, SpecialFunctions.acosh(Double.POSITIVE_INFINITY));

        for (double x : new double[] {-0.99, -0.5, 0.1, 0.75, 0.999999}) {
            rel(0.5 * Math.log((1 + x) / (1 - x)), SpecialFunctions.atanh(x), 1e-9, "atanh " + x);
        }
        assertEquals(Double.POSITIVE_INFINITY, SpecialFunctions.atanh(1));
        assertEquals(Double.NEGATIVE_INFINITY, SpecialFunctions.atanh(-1));
        assertTrue(Double.isNaN(SpecialFunctions.atanh(1.0001)));
        assertTrue(Double.isNaN(SpecialFunctions.atanh(-2)));
        assertTrue(Double.isNaN(SpecialFunctions.atanh(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(SpecialFunctions.atanh(-0.0)));
    }

    @Test
    void erfAndErfinvAtPublishedValues() {
        double[][] erf = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {1.5, 0.9661051464753108}, {2, 0.9953222650189527}, {3, 0.9999779095030014},
                {4, 0.9999999845827421}, {5.9, 1 - 1.1e-17}};
        for (double[] p : erf) {
            rel(p[1], SpecialFunctions.erf(p[0]), 1e-14, "erf " + p[0]);
            rel(-p[1], SpecialFunctions.erf(-p[0]), 1e-14, "erf " + -p[0]);
        }
        assertEquals(1.0, SpecialFunctions.erf(6));
        assertEquals(-1.0, SpecialFunctions.erf(-40));
        assertEquals(0.0, SpecialFunctions.erf(0));
        assertTrue(Double.isNaN(SpecialFunctions.erf(Double.NaN)));

        double[][] inv = {{0.5, 0.4769362762044699}, {0.9, 1.1630871536766743}, {0.3, 0.2724627147267544},
                {0.999, 2.3267537655135246}, {0.1, 0.08885599049425769}, {0.99, 1.8213863677184496}};
        for (double[] p : inv) {
            rel(p[1], SpecialFunctions.erfinv(p[0]), 1e-12, "erfinv " + p[0]);
            rel(-p[1], SpecialFunctions.erfinv(-p[0]), 1e-12, "erfinv " + -p[0]);
        }
        // tiny arguments: erfinv(y) = sqrt(pi) / 2 y to first order
        rel(Math.sqrt(Math.PI) / 2 * 1e-12, SpecialFunctions.erfinv(1e-12), 1e-12, "erfinv 1e-12");
        assertEquals(Double.POSITIVE_INFINITY, SpecialFunctions.erfinv(1));
        assertEquals(Double.NEGATIVE_INFINITY, SpecialFunctions.erfinv(-1));
        assertTrue(Double.isNaN(SpecialFunctions.erfinv(1.5)));
        assertTrue(Double.isNaN(SpecialFunctions.erfinv(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(SpecialFunctions.erfinv(-0.0)));
        // deep in the tail (w >= 5): the inverse of erf
        for (double y : new double[] {0.9999, 0.999999, 1 - 1e-12}) {
            double x = SpecialFunctions.erfinv(y);
            assertTrue(x > 2.7, "erfinv " + y + " = " + x);
            rel(1 - y, erfc(x), 1e-6, "erfc(erfinv(" + y + "))");
        }
    }

    /** erfc by its continued fraction, accurate for x above 2. */
    private static double erfc(double x) {
        double f = 0;
        for (int k = 60; k >= 1; k--) {
            f = k / 2.0 / (x + f);
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
    }

    /** log Gamma by Stirling's series after shifting x above 20 with the recurrence. */
    private static double lgammaRef(double x) {
        double shift = 0;
        while (x < 20) {
            shift += Math.log(x);
            x += 1;
        }
        double s = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x)
                + 1 / (1260 * Math.pow(x, 5)) - 1 / (1680 * Math.pow(x, 7));
        return s - shift;
    }

    @Test
    void logGamma() {
        for (double x : new double[] {0.5, 0.75, 1.25, 1.5, 2.5, 3, 4.2, 7.7, 10, 33.3, 171.5}) {
            rel(lgammaRef(x), SpecialFunctions.lgamma(x), 1e-13, "lgamma " + x);
        }
        assertEquals(0.0, SpecialFunctions.lgamma(1));
        assertEquals(0.0, SpecialFunctions.lgamma(2));
        rel(Math.log(362880), SpecialFunctions.lgamma(10), 1e-14, "lgamma 10");
        // below 1/2, the reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
        for (double x : new double[] {0.25, 1e-5, -0.5, -2.5, -7.3, -0.001}) {
            double ref = Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgammaRef(1 - x);
            rel(ref, SpecialFunctions.lgamma(x), 1e-12, "lgamma " + x);
        }
        rel(Math.log(2 * Math.sqrt(Math.PI)), SpecialFunctions.lgamma(-0.5), 1e-14, "lgamma -0.5");
        for (double x : new double[] {0, -1, -4, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertEquals(Double.POSITIVE_INFINITY, SpecialFunctions.lgamma(x), "lgamma " + x);
        }
        assertTrue(Double.isNaN(SpecialFunctions.lgamma(Double.NaN)));
    }

    @Test
    void xlogyAtZero() {
        assertEquals(0.0, SpecialFunctions.xlogy(0, 0));
        assertEquals(0.0, SpecialFunctions.xlogy(0, -1));
        assertTrue(Double.isNaN(SpecialFunctions.xlogy(0, Double.NaN)));
        assertTrue(Double.isNaN(SpecialFunctions.xlogy(2, Double.NaN)));
        rel(2 * Math.log(3), SpecialFunctions.xlogy(2, 3), 1e-15, "xlogy");
        assertEquals(Double.NEGATIVE_INFINITY, SpecialFunctions.xlogy(1, 0));
    }

    @Test
    void ndarrayEntryPointsFollowTheInputType() {
        double[] v = {0.25, 0.5, 0.75};
        NDArray a = manager.create(v);
        assertArrayEquals(new double[] {Math.asin(0.25), Math.asin(0.5), Math.asin(0.75)}, a.asin().toDoubleArray(),
                1e-15);
        assertArrayEquals(new double[] {Math.acos(0.25), Math.acos(0.5), Math.acos(0.75)}, a.acos().toDoubleArray(),
                1e-15);
        assertArrayEquals(new double[] {Math.atan(0.25), Math.atan(0.5), Math.atan(0.75)}, a.atan().toDoubleArray(),
                1e-15);
        assertArrayEquals(new double[] {Math.sinh(0.25), Math.sinh(0.5), Math.sinh(0.75)}, a.sinh().toDoubleArray(),
                1e-15);
        assertArrayEquals(new double[] {Math.cosh(0.25), Math.cosh(0.5), Math.cosh(0.75)}, a.cosh().toDoubleArray(),
                1e-15);
        for (DataType t : new DataType[] {DataType.INT32, DataType.INT8, DataType.UINT8, DataType.INT64}) {
            NDArray i = manager.create(new int[] {1, 2, 3}).toType(t, false);
            NDArray g = i.gammaln();
            assertEquals(DataType.FLOAT32, g.getDataType(), t.toString());
            assertArrayEquals(new float[] {0, 0, (float) Math.log(2)}, g.toFloatArray(), 1e-7f);
            assertEquals(DataType.FLOAT32, i.asinh().getDataType());
            assertEquals((float) Math.log(3 + Math.sqrt(8)), i.acosh().toFloatArray()[2], 1e-6f);
        }
        NDArray h = manager.create(new float[] {0.5f, -0.5f}).toType(DataType.FLOAT16, false);
        NDArray e = h.erfinv();
        assertEquals(DataType.FLOAT16, e.getDataType());
        assertArrayEquals(new float[] {0.4769f, -0.4769f}, e.toType(DataType.FLOAT32, false).toFloatArray(), 1e-3f);
        assertEquals(DataType.FLOAT16, h.atanh().getDataType());

        NDArray x = manager.create(new float[] {0, 1, 2, 3, 4, 5}, new Shape(2, 3));
        NDArray y = manager.create(new float[] {2, 4, 8});
        float[] xl = x.xlogy(y).toFloatArray();
        for (int i = 0; i < 6; i++) {
            assertEquals((float) (i * Math.log(2 << (i % 3))), xl[i], 1e-5f, "xlogy " + i);
        }
        NDArray col = manager.create(new double[] {1, -1}, new Shape(2, 1));
        double[] at = col.atan2(manager.create(new double[] {1, 0, -1})).toDoubleArray();
        assertArrayEquals(new double[] {Math.atan2(1, 1), Math.PI / 2, Math.atan2(1, -1), Math.atan2(-1, 1),
                -Math.PI / 2, Math.atan2(-1, -1)}, at, 1e-15);
        NDArray ints = manager.create(new int[] {1, 2}).atan2(manager.create(new int[] {1, 1}));
        assertEquals(DataType.FLOAT32, ints.getDataType());
        assertArrayEquals(new float[] {(float) Math.atan2(1, 1), (float) Math.atan2(2, 1)}, ints.toFloatArray(), 1e-7f);
    }
}
