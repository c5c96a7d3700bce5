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
 * The array-math family through the NDArray API against values worked out here: running products,
 * n-th differences, diagonals at offsets, p-norms ({@code (sum |x|^p)^(1/p)}, p = 0 counting
 * nonzeros), normalisation, constant padding, put, scatter along an axis and the matrix inverse
 * (checked as {@code A * inv(A) = I} in float64), over integer, boolean and floating types.
 */
class CpuArrayMathValuesTest extends EngineTestBase {

    @Test
    void cumProdAlongAxesAndTypes() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        assertArrayEquals(new float[] {1, 2, 6, 4, 20, 120}, a.cumProd(1).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 10, 18}, a.cumProd(0).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 6, 4, 20, 120}, a.cumProd(-1).toFloatArray());
        NDArray i = manager.create(new int[] {2, -3, 4, 100000});
        NDArray ip = i.cumProd(0);
        // integer inputs accumulate in int64, so the last product does not wrap at 2^31
        assertEquals(DataType.INT64, ip.getDataType());
        assertArrayEquals(new long[] {2, -6, -24, -2400000}, ip.toLongArray());
        NDArray d = i.cumProd(0, DataType.FLOAT64);
        assertEquals(DataType.FLOAT64, d.getDataType());
        assertArrayEquals(new double[] {2, -6, -24, -2400000}, d.toDoubleArray());
        // float16 rounds every factor, the products stay exact here
        NDArray h = manager.create(new float[] {0.5f, 3, 2}).toType(DataType.FLOAT16, false).cumProd(0);
        assertEquals(DataType.FLOAT16, h.getDataType());
        assertArrayEquals(new float[] {0.5f, 1.5f, 3}, h.toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Test
    void diffTakesRepeatedDifferences() {
        NDArray a = manager.create(new float[] {1, 4, 9, 16, 25, 2, 2, 5, 5, 0}, new Shape(2, 5));
        assertArrayEquals(new float[] {3, 5, 7, 9, 0, 3, 0, -5}, a.diff(1, 1).toFloatArray());
        assertArrayEquals(new float[] {2, 2, 2, 3, -3, -5}, a.diff(2, 1).toFloatArray());
        assertEquals(new Shape(2, 3), a.diff(2, -1).getShape());
        assertArrayEquals(new float[] {1, -2, -4, -11, -25}, a.diff(1, 0).toFloatArray());
        assertEquals(new Shape(2, 0), a.diff(7, 1).getShape());
        assertArrayEquals(a.toFloatArray(), a.diff(0, 1).toFloatArray());
        NDArray l = manager.create(new long[] {10, 7, 7, 20});
        assertArrayEquals(new long[] {-3, 0, 13}, l.diff(1, 0).toLongArray());
        NDArray b = manager.create(new boolean[] {true, true, false, true});
        assertArrayEquals(new boolean[] {false, true, true}, b.diff(1, 0).toBooleanArray());
        assertThrows(IllegalArgumentException.class, () -> manager.create(1f).diff(1, 0));
        assertThrows(IllegalArgumentException.class, () -> a.diff(-1, 0));
    }

    @Test
    void diagonalAtOffsets() {
        NDArray a = manager.arange(12f).reshape(3, 4);
        assertArrayEquals(new float[] {0, 5, 10}, a.diagonal().toFloatArray());
        assertArrayEquals(new float[] {1, 6, 11}, a.diagonal(1).toFloatArray());
        assertArrayEquals(new float[] {3}, a.diagonal(3).toFloatArray());
        assertEquals(0, a.diagonal(4).size());
        assertArrayEquals(new float[] {4, 9}, a.diagonal(-1).toFloatArray());
        assertArrayEquals(new float[] {8}, a.diagonal(-2).toFloatArray());
        assertEquals(0, a.diagonal(-3).size());
        // the transpose's diagonal: axes swapped
        assertArrayEquals(new float[] {4, 9}, a.diagonal(1, 1, 0).toFloatArray());
        NDArray b = manager.arange(24f).reshape(2, 3, 4);
        NDArray d = b.diagonal(0, 1, 2);
        assertEquals(new Shape(2, 3), d.getShape());
        assertArrayEquals(new float[] {0, 5, 10, 12, 17, 22}, d.toFloatArray());
        NDArray e = b.diagonal(1, 0, 2);
        assertEquals(new Shape(3, 2), e.getShape());
        assertArrayEquals(new float[] {1, 14, 5, 18, 9, 22}, e.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> manager.arange(3f).diagonal());
        assertThrows(IllegalArgumentException.class, () -> a.diagonal(0, 1, -1));
    }

    private static double pnorm(double[] v, int p) {
        double s = 0;
        for (double x : v) {
            s += p == 0 ? (x != 0 ? 1 : 0) : Math.pow(Math.abs(x), p);
        }
        return p == 0 ? s : Math.pow(s, 1.0 / p);
    }

    @Test
    void pNormsOverAxes() {
        Random r = new Random(3);
        double[] v = new double[12];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 5 == 0 ? 0 : r.nextGaussian() * 3;
        }
        NDArray a = manager.create(v, new Shape(3, 4));
        for (int p : new int[] {0, 1, 2, 3}) {
            double[] rows = new double[3];
            for (int i = 0; i < 3; i++) {
                rows[i] = pnorm(java.util.Arrays.copyOfRange(v, 4 * i, 4 * i + 4), p);
            }
            double[] got = a.norm(p, new int[] {1}, false).toDoubleArray();
            assertArrayEquals(rows, got, 1e-12, "p=" + p);
            NDArray kept = a.norm(p, new int[] {-1}, true);
            assertEquals(new Shape(3, 1), kept.getShape());
            assertEquals(pnorm(v, p), a.norm(p, null, false).getDouble(), 1e-12, "p=" + p);
            NDArray all = a.norm(p, new int[] {0, 1}, true);
            assertEquals(new Shape(1, 1), all.getShape());
            assertEquals(pnorm(v, p), all.toDoubleArray()[0], 1e-12);
        }
        assertEquals(5f, manager.create(new float[] {3, -4}).norm().getFloat(), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> manager.create(new int[] {3, 4}).norm());
    }

    @Test
    void normalizeDividesByTheClampedNorm() {
        NDArray a = manager.create(new double[] {3, 4, 0, 0, 1, -1}, new Shape(3, 2));
        double s = Math.sqrt(2);
        assertArrayEquals(new double[] {0.6, 0.8, 0, 0, 1 / s, -1 / s}, a.normalize(2, 1, 1e-12).toDoubleArray(), 1e-15);
        // p = 1 and a clamp larger than the norm
        assertArrayEquals(new double[] {3 / 7.0, 4 / 7.0, 0, 0, 0.5, -0.5}, a.normalize(1, -1, 1e-12).toDoubleArray(),
                1e-15);
        assertArrayEquals(new double[] {0.3, 0.4, 0, 0, 0.1, -0.1}, a.normalize(2, 1, 10).toDoubleArray(), 1e-15);
        // along axis 0: the columns (3, 0, 1) and (4, 0, -1)
        assertArrayEquals(new double[] {3 / Math.sqrt(10), 4 / Math.sqrt(17)},
                java.util.Arrays.copyOf(a.normalize(2, 0, 1e-12).toDoubleArray(), 2), 1e-15);
    }

    @Test
    void padWithAConstant() {
        NDArray a = manager.create(new int[] {1, 2, 3, 4}, new Shape(2, 2));
        NDArray p = a.pad(new Shape(1, 0), 9);
        assertEquals(new Shape(2, 3), p.getShape());
        assertArrayEquals(new int[] {9, 1, 2, 9, 3, 4}, p.toIntArray());
        NDArray q = a.pad(new Shape(0, 1, 1, 1), -1);
        assertEquals(new Shape(4, 3), q.getShape());
        assertArrayEquals(new int[] {-1, -1, -1, 1, 2, -1, 3, 4, -1, -1, -1, -1}, q.toIntArray());
        // negative padding crops
        NDArray f = manager.create(new float[] {1, 2, 3, 4, 5});
        assertArrayEquals(new float[] {2, 3, 4, 0.5f}, f.pad(new Shape(-1, 0), 0.5f).pad(new Shape(0, 0), 0)
                .pad(new Shape(0, -1), 0).pad(new Shape(0, 1), 0.5f).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> a.pad(new Shape(1), 0));
        assertThrows(IllegalArgumentException.class, () -> a.pad(new Shape(1, 1, 1, 1, 1, 1), 0));
        assertThrows(IllegalArgumentException.class, () -> a.pad(new Shape(-2, -1), 0));
    }

    @Test
    void putAndScatter() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        NDArray put = a.put(manager.create(new long[] {0, 5, 3}), manager.create(new float[] {-1, -6, -4}));
        assertArrayEquals(new float[] {-1, 2, 3, -4, 5, -6}, put.toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
        assertThrows(RuntimeException.class, () -> a.put(manager.create(new long[] {6}), manager.create(new float[] {0})));
        assertThrows(IllegalArgumentException.class,
                () -> a.put(manager.create(new long[] {0, 1}), manager.create(new float[] {0})));
        NDArray ip = manager.create(new int[] {1, 2, 3}).put(manager.create(new long[] {1}), manager.create(new int[] {9}));
        assertArrayEquals(new int[] {1, 9, 3}, ip.toIntArray());

        NDArray z = manager.zeros(new Shape(3, 3));
        NDArray idx = manager.create(new long[] {2, 0, 1, 0}, new Shape(2, 2));
        NDArray vals = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        // axis 0: out[idx[i][j]][j] = vals[i][j]
        NDArray idx0 = manager.create(new long[] {2, 0, 1, 1}, new Shape(2, 2));
        assertArrayEquals(new float[] {0, 2, 0, 4, 5, 0, 1, 0, 0}, z.scatter(idx0, vals, 0).toFloatArray());
        // axis 1: out[i][idx[i][j]] = vals[i][j]
        assertArrayEquals(new float[] {2, 0, 1, 5, 4, 0, 0, 0, 0}, z.scatter(idx, vals, 1).toFloatArray());
        assertThrows(IllegalArgumentException.class,
                () -> z.scatter(manager.create(new long[] {3}, new Shape(1, 1)), vals, 0));
        assertThrows(IllegalArgumentException.class,
                () -> z.scatter(manager.create(new long[] {0}, new Shape(1)), vals, 0));
        assertThrows(IllegalArgumentException.class,
                () -> z.scatter(manager.zeros(new Shape(4, 1), DataType.INT64), vals, 1));
    }

    @Test
    void inverseTimesTheMatrixIsTheIdentity() {
        Random r = new Random(9);
        for (int n : new int[] {1, 2, 3, 5, 8}) {
            double[] m = new double[2 * n * n];
            for (int i = 0; i < m.length; i++) {
                m[i] = r.nextGaussian() + ((i % (n * n)) % (n + 1) == 0 ? 3 : 0);
            }
            for (DataType t : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
                NDArray a = manager.create(m, new Shape(2, n, n)).toType(t, false);
                double[] inv = a.inverse().toType(DataType.FLOAT64, false).toDoubleArray();
                double[] am = a.toType(DataType.FLOAT64, false).toDoubleArray();
                double tol = t == DataType.FLOAT64 ? 1e-10 : 1e-4;
                for (int b = 0; b < 2; b++) {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int k = 0; k < n; k++) {
                                s += am[b * n * n + i * n + k] * inv[b * n * n + k * n + j];
                            }
                            assertEquals(i == j ? 1 : 0, s, tol, "n=" + n + " " + t + " (" + i + "," + j + ")");
                        }
                    }
                }
            }
        }
        assertArrayEquals(new double[] {0.6, -0.7, -0.2, 0.4},
                manager.create(new double[] {4, 7, 2, 6}, new Shape(2, 2)).inverse().toDoubleArray(), 1e-12);
        // a zero leading entry needs a row swap: [[0, 2], [4, 0]]^-1 = [[0, 1/4], [1/2, 0]]
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0},
                manager.create(new double[] {0, 2, 4, 0}, new Shape(2, 2)).inverse().toDoubleArray(), 0);
        // the larger pivot is chosen: [[1, 2], [3, 4]]^-1 = [[-2, 1], [1.5, -0.5]]
        assertArrayEquals(new double[] {-2, 1, 1.5, -0.5},
                manager.create(new double[] {1, 2, 3, 4}, new Shape(2, 2)).inverse().toDoubleArray(), 1e-15);
        assertThrows(IllegalArgumentException.class,
                () -> manager.create(new double[] {1, 2, 2, 4}, new Shape(2, 2)).inverse());
        assertThrows(IllegalArgumentException.class,
                () -> manager.create(new double[] {Double.NaN, 1, 0, 1}, new Shape(2, 2)).inverse());
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(2, 3)).inverse());
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(3)).inverse());
        assertEquals(new Shape(2, 0, 0), manager.zeros(new Shape(2, 0, 0)).inverse().getShape());
        assertThrows(IllegalArgumentException.class, () -> manager.eye(2).toType(DataType.FLOAT16, false).inverse());
        assertThrows(IllegalArgumentException.class, () -> manager.create(new int[] {1, 0, 0, 1}, new Shape(2, 2)).inverse());
    }
}
