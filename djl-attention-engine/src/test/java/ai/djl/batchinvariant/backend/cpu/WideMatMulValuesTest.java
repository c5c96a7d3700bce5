/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * matMul in float64 and in the integer types (exact in the type, wrapping as PyTorch's integer
 * products do) against triple loops written here, over sizes that leave remainders after any
 * blocking, vector operands, and broadcast batch dimensions; the float64 softmax and layerNorm
 * row kernels over long rows.
 */
class WideMatMulValuesTest extends EngineTestBase {

    private static double[] matmul(double[] a, double[] b, int batchA, int batchB, int m, int k, int n) {
        int nb = Math.max(batchA, batchB);
        double[] c = new double[nb * m * n];
        for (int bi = 0; bi < nb; bi++) {
            int ao = (batchA == 1 ? 0 : bi) * m * k;
            int bo = (batchB == 1 ? 0 : bi) * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[ao + i * k + p] * b[bo + p * n + j];
                    }
                    c[(bi * m + i) * n + j] = s;
                }
            }
        }
        return c;
    }

    private static double[] ints(Random r, int n, int bound) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(2 * bound + 1) - bound;
        }
        return v;
    }

    @Test
    void float64AndIntegerProductsMatchTheTripleLoop() {
        Random r = new Random(4);
        int[][] sizes = {{1, 1, 1}, {3, 5, 2}, {7, 9, 13}, {17, 3, 33}, {5, 64, 6}, {9, 1, 70}};
        for (int[] s : sizes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            double[] a = ints(r, 2 * m * k, 9);
            double[] b = ints(r, k * n, 9);
            double[] expected = matmul(a, b, 2, 1, m, k, n);
            for (DataType t : new DataType[] {DataType.FLOAT64, DataType.INT32, DataType.INT64, DataType.INT8}) {
                NDArray x = manager.create(a, new Shape(2, m, k)).toType(t, false);
                NDArray y = manager.create(b, new Shape(k, n)).toType(t, false);
                NDArray c = x.matMul(y);
                assertEquals(t, c.getDataType());
                assertEquals(new Shape(2, m, n), c.getShape());
                double[] got = c.toType(DataType.FLOAT64, false).toDoubleArray();
                if (t == DataType.INT8) {
                    // int8 products wrap as in the type
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals((byte) (long) expected[i], (long) got[i], "int8 " + m + "x" + k + "x" + n);
                    }
                } else {
                    assertArrayEquals(expected, got, 0, t + " " + m + "x" + k + "x" + n);
                }
            }
            // real-valued float64: the same sums up to rounding
            double[] fa = new double[m * k];
            double[] fb = new double[2 * k * n];
            for (int i = 0; i < fa.length; i++) {
                fa[i] = r.nextGaussian();
            }
            for (int i = 0; i < fb.length; i++) {
                fb[i] = r.nextGaussian();
            }
            NDArray c = manager.create(fa, new Shape(1, m, k)).matMul(manager.create(fb, new Shape(2, k, n)));
            assertArrayEquals(matmul(fa, fb, 1, 2, m, k, n), c.toDoubleArray(), 1e-12);
        }
    }

    @Test
    void vectorsAndWrapping() {
        NDArray v = manager.create(new long[] {1, 2, 3});
        NDArray m = manager.create(new long[] {1, 0, 2, 1, 0, -1}, new Shape(3, 2));
        assertArrayEquals(new long[] {5, -1}, v.matMul(m).toLongArray());
        assertEquals(new Shape(2), v.matMul(m).getShape());
        NDArray w = manager.create(new double[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        assertArrayEquals(new double[] {14, 32}, w.matMul(manager.create(new double[] {1, 2, 3})).toDoubleArray());
        assertEquals(new Shape(), manager.create(new double[] {1, 2}).matMul(manager.create(new double[] {3, 4}))
                .getShape());
        assertEquals(11.0, manager.create(new double[] {1, 2}).matMul(manager.create(new double[] {3, 4})).getDouble());
        NDArray big = manager.create(new int[] {65536, 65536}, new Shape(1, 2));
        NDArray col = manager.create(new int[] {65536, 65536}, new Shape(2, 1));
        // 2 * 2^32 wraps to 0 in int32, as PyTorch's int32 matmul
        assertArrayEquals(new int[] {0}, big.matMul(col).toIntArray());
        assertArrayEquals(new long[] {1L << 33}, big.toType(DataType.INT64, false).matMul(col.toType(DataType.INT64,
                false)).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> w.matMul(w));
        assertThrows(IllegalArgumentException.class, () -> manager.create(1.0).matMul(w));
    }

    @Test
    void float64RowKernelsOnLongRows() {
        Random r = new Random(6);
        int n = 301;
        double[] x = new double[2 * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian() * 10;
        }
        double[] sm = x.clone();
        WideKernels.softmaxRows(sm, 2, n, false);
        double[] lsm = x.clone();
        WideKernels.softmaxRows(lsm, 2, n, true);
        for (int row = 0; row < 2; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[row * n + i]);
            }
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += Math.exp(x[row * n + i] - max);
            }
            for (int i = 0; i < n; i++) {
                double z = x[row * n + i] - max;
                assertEquals(Math.exp(z) / s, sm[row * n + i], 1e-15);
                assertEquals(z - Math.log(s), lsm[row * n + i], 1e-12);
            }
        }
        double[] out = new double[2 * n];
        double[] g = new double[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = 1 + i % 3;
            b[i] = i % 5 - 2;
        }
        WideKernels.layerNormRows(x, out, 2, n, g, b, 1e-5);
        double[] plain = new double[2 * n];
        WideKernels.layerNormRows(x, plain, 2, n, null, null, 1e-5);
        for (int row = 0; row < 2; row++) {
            double m = 0;
            for (int i = 0; i < n; i++) {
                m += x[row * n + i];
            }
            m /= n;
            double v = 0;
            for (int i = 0; i < n; i++) {
                v += (x[row * n + i] - m) * (x[row * n + i] - m);
            }
            v /= n;
            for (int i = 0; i < n; i++) {
                double y = (x[row * n + i] - m) / Math.sqrt(v + 1e-5);
                assertEquals(y * g[i] + b[i], out[row * n + i], 1e-12);
                assertEquals(y, plain[row * n + i], 1e-12);
            }
        }
    }
}
