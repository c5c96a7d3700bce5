/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Values of the special functions, order statistics and array math that DJL's PyTorch engine does
 * not run (so the differential suite cannot check them) against float64 formulas written here:
 * asinh/acosh/atanh, gammaln against a shifted Stirling series, trace, batchDot and percentile
 * with interpolation. Also checks that each lane-wise op gives every row the bits it gets alone
 * (sort, median, cumProd, norm, normalize, inverse), and that ties sort by index.
 */
class MathCoverageTest extends EngineTestBase {

    private final Random rnd = new Random(23);

    private double[] uniform(int n, double lo, double hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return x;
    }

    private static double[] floats(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) x[i];
        }
        return x;
    }

    private static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static void close(double[] want, double[] got, double rtol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            double tol = rtol * Math.max(1, Math.abs(want[i]));
            assertTrue(Math.abs(want[i] - got[i]) <= tol, "at " + i + ": want " + want[i] + ", got " + got[i]);
        }
    }

    @Test
    void inverseHyperbolicFunctionsMatchTheirLogFormulas() {
        double[] x = uniform(200, -30, 30);
        double[] y = uniform(200, 1, 40);
        double[] z = uniform(200, -0.999, 0.999);
        double[] as = new double[200];
        double[] ac = new double[200];
        double[] at = new double[200];
        for (int i = 0; i < 200; i++) {
            as[i] = Math.log(Math.abs(x[i]) + Math.sqrt(x[i] * x[i] + 1)) * Math.signum(x[i]);
            ac[i] = Math.log(y[i] + Math.sqrt(y[i] * y[i] - 1));
            at[i] = 0.5 * Math.log((1 + z[i]) / (1 - z[i]));
        }
        close(as, manager.create(x).asinh().toDoubleArray(), 1e-13);
        close(ac, manager.create(y).acosh().toDoubleArray(), 1e-12);
        close(at, manager.create(z).atanh().toDoubleArray(), 1e-12);
        assertTrue(Double.isNaN(manager.create(0.5).acosh().getDouble()));
        assertTrue(Double.isNaN(manager.create(1.5).atanh().getDouble()));
        assertEquals(Double.POSITIVE_INFINITY, manager.create(1.0).atanh().getDouble());
        assertEquals(Double.NEGATIVE_INFINITY, manager.create(Double.NEGATIVE_INFINITY).asinh().getDouble());
        float[] f = manager.create(new float[] {0.5f, -2f}).asinh().toFloatArray();
        assertEquals((float) Math.log(0.5 + Math.sqrt(1.25)), f[0], 1e-7f);
    }

    /** log Gamma by the recurrence up to x >= 30, then the Stirling series (error below 1e-16 there). */
    private static double lgammaRef(double x) {
        double shift = 0;
        while (x < 30) {
            shift += Math.log(x);
            x += 1;
        }
        double inv = 1 / x;
        double inv2 = inv * inv;
        double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)));
        return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
    }

    @Test
    void gammalnMatchesStirlingWithRecurrence() {
        double[] x = uniform(300, 0.05, 60);
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = lgammaRef(x[i]);
        }
        close(want, manager.create(x).gammaln().toDoubleArray(), 1e-12);
        // reflection: log|Gamma(-2.5)| = log(pi / |sin(-2.5 pi)|) - lgamma(3.5)
        double neg = Math.log(Math.PI / Math.abs(Math.sin(-2.5 * Math.PI))) - lgammaRef(3.5);
        assertEquals(neg, manager.create(-2.5).gammaln().getDouble(), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, manager.create(-3.0).gammaln().getDouble());
    }

    @Test
    void traceSumsTheDiagonalAndBatchDotMultipliesEachBatch() {
        // float32 operands: the float64 sum and matMul currently compute in float32 (a known divergence)
        double[] a = floats(uniform(2 * 3 * 4, -2, 2));
        NDArray arr = manager.create(a, new Shape(2, 3, 4)).toType(DataType.FLOAT32, false);
        // trace(1, 1, 2): per batch b, sum_i a[b][i][i+1]
        double[] want = new double[2];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 3; i++) {
                want[b] += i + 1 < 4 ? a[b * 12 + i * 4 + i + 1] : 0;
            }
        }
        close(want, doubles(arr.trace(1, 1, 2)), 1e-6);
        double[] b = floats(uniform(2 * 4 * 5, -2, 2));
        double[] c = new double[2 * 3 * 5];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 5; j++) {
                    for (int p = 0; p < 4; p++) {
                        c[k * 15 + i * 5 + j] += a[k * 12 + i * 4 + p] * b[k * 20 + p * 5 + j];
                    }
                }
            }
        }
        NDArray prod = arr.batchDot(manager.create(b, new Shape(2, 4, 5)).toType(DataType.FLOAT32, false));
        assertEquals(new Shape(2, 3, 5), prod.getShape());
        close(c, doubles(prod), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> arr.batchDot(manager.create(b, new Shape(1, 8, 5))));
    }

    @Test
    void percentileInterpolatesBetweenRanks() {
        NDArray a = manager.create(new double[] {7, 1, 3, 5, 9, 2}, new Shape(2, 3));
        // rows sorted: [1,3,7] and [2,5,9]; q=25 -> rank 0.5
        assertArrayEquals(new double[] {2, 3.5}, a.percentile(25, new int[] {1}).toDoubleArray(), 0);
        assertArrayEquals(new double[] {3, 5}, a.median(new int[] {1}).toDoubleArray(), 0);
        // all six: sorted 1,2,3,5,7,9; q=40 -> rank 2 -> 3
        assertEquals(3.0, a.percentile(40, new int[] {0, 1}).getDouble(), 0);
    }

    @Test
    void tiesSortByIndexInBothDirections() {
        NDArray a = manager.create(new float[] {2, 1, 2, 1, 3});
        assertArrayEquals(new long[] {1, 3, 0, 2, 4}, a.argSort().toLongArray());
        assertArrayEquals(new long[] {4, 0, 2, 1, 3}, a.argSort(0, false).toLongArray());
        NDList u = a.unique(true, true, true);
        assertArrayEquals(new float[] {1, 2, 3}, u.get(0).toFloatArray());
        assertArrayEquals(new long[] {1, 0, 1, 0, 2}, u.get(1).toLongArray());
        assertArrayEquals(new long[] {2, 2, 1}, u.get(2).toLongArray());
    }

    /** Each row of a batch gets the bits it gets when it is the only row. */
    @Test
    void laneOpsGiveEveryRowItsOwnBits() {
        int rows = 9;
        int n = 6;
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() + (i % n == i / n % n ? 4 : 0);
        }
        NDArray batch = manager.create(x, new Shape(rows, n));
        NDArray mats = manager.create(x, new Shape(rows / 3 * 2, 3, 3)).add(manager.eye(3).mul(4));
        for (int r = 0; r < rows; r++) {
            NDArray one = batch.get(new NDIndex("{}:{}", r, r + 1));
            assertSameRow(batch.sort(-1), one.sort(-1), r);
            assertSameRow(batch.argSort(-1), one.argSort(-1), r);
            assertSameRow(batch.median(new int[] {-1}).expandDims(-1), one.median(new int[] {-1}).expandDims(-1), r);
            assertSameRow(batch.cumProd(1), one.cumProd(1), r);
            assertSameRow(batch.norm(3, new int[] {1}, true), one.norm(3, new int[] {1}, true), r);
            assertSameRow(batch.normalize(2, 1, 1e-12), one.normalize(2, 1, 1e-12), r);
        }
        for (int m = 0; m < mats.getShape().get(0); m++) {
            NDArray one = mats.get(new NDIndex("{}:{}", m, m + 1));
            assertArrayEquals(mats.inverse().get(m).toFloatArray(), one.inverse().get(0).toFloatArray());
        }
    }

    private static void assertSameRow(NDArray batch, NDArray one, int r) {
        assertArrayEquals(doubles(one), doubles(batch.get(r)), "row " + r);
    }
}
