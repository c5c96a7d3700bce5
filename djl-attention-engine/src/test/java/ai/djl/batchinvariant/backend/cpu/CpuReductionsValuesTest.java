/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * The reduction family through the NDArray API against sums, products and extremes computed here
 * in float64 or long arithmetic: every data type (PyTorch's int64 accumulator for boolean and
 * narrow integers), several axes at once with and without kept dimensions, negative axes, empty
 * axes, NaN; arg-extremes (first index on ties), top-k along either axis, softmax on float64 and
 * on an inner axis, cumulative sums, and the float64 layer and batch norms.
 */
class CpuReductionsValuesTest extends EngineTestBase {

    /** a[i][j][k] = ((i * 3 + j) * 4 + k) % 7 - 3 over (2, 3, 4). */
    private static double[] values() {
        double[] v = new double[24];
        for (int i = 0; i < 24; i++) {
            v[i] = i % 7 - 3;
        }
        return v;
    }

    /** Reduces (2, 3, 4) over the flagged axes with op 0 sum, 1 prod, 2 max, 3 min. */
    private static double[] reduce(double[] v, boolean[] axes, int op) {
        int[] dims = {2, 3, 4};
        int[] outDims = new int[3];
        for (int d = 0; d < 3; d++) {
            outDims[d] = axes[d] ? 1 : dims[d];
        }
        double[] out = new double[outDims[0] * outDims[1] * outDims[2]];
        java.util.Arrays.fill(out, op == 1 ? 1 : op == 2 ? Double.NEGATIVE_INFINITY : op == 3 ? Double.POSITIVE_INFINITY
                : 0);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    int o = ((axes[0] ? 0 : i) * outDims[1] + (axes[1] ? 0 : j)) * outDims[2] + (axes[2] ? 0 : k);
                    double x = v[(i * 3 + j) * 4 + k];
                    out[o] = op == 0 ? out[o] + x : op == 1 ? out[o] * x : op == 2 ? Math.max(out[o], x)
                            : Math.min(out[o], x);
                }
            }
        }
        return out;
    }

    private static double[] asDoubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    @Test
    void reductionsOverAxesForEveryType() {
        double[] v = values();
        int[][] axesSets = {{0}, {1}, {-1}, {0, 2}, {2, 1}, {0, 1, 2}};
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.INT8,
                DataType.INT32, DataType.INT64}) {
            NDArray a = manager.create(v, new Shape(2, 3, 4)).toType(t, false);
            for (int[] axes : axesSets) {
                boolean[] flags = new boolean[3];
                for (int ax : axes) {
                    flags[(ax + 3) % 3] = true;
                }
                String what = t + " axes " + java.util.Arrays.toString(axes);
                NDArray s = a.sum(axes, true);
                assertEquals(reduce(v, flags, 0).length, s.size(), what);
                assertArrayEquals(reduce(v, flags, 0), asDoubles(s), 1e-3, "sum " + what);
                assertArrayEquals(reduce(v, flags, 1), asDoubles(a.prod(axes, false)), 1e-3, "prod " + what);
                assertArrayEquals(reduce(v, flags, 2), asDoubles(a.max(axes, false)), 0, "max " + what);
                assertArrayEquals(reduce(v, flags, 3), asDoubles(a.min(axes, true)), 0, "min " + what);
                assertEquals(t, a.max(axes).getDataType());
                boolean narrow = t == DataType.INT8 || t == DataType.INT32;
                assertEquals(narrow ? DataType.INT64 : t, s.getDataType(), what);
                if (t.isFloating()) {
                    double[] mean = reduce(v, flags, 0);
                    int count = 1;
                    for (int d = 0; d < 3; d++) {
                        count *= flags[d] ? new int[] {2, 3, 4}[d] : 1;
                    }
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] /= count;
                    }
                    assertArrayEquals(mean, asDoubles(a.mean(axes, false)), 1e-3, "mean " + what);
                } else {
                    assertThrows(IllegalArgumentException.class, () -> a.mean(axes));
                }
            }
            assertEquals(new Shape(1, 1, 1), a.sum(new int[] {0, 1, 2}, true).getShape());
            assertEquals(new Shape(3), a.sum(new int[] {0, 2}).getShape());
        }
        NDArray b = manager.create(new boolean[] {true, true, false, true});
        assertEquals(DataType.INT64, b.sum().getDataType());
        assertEquals(3, b.sum().getLong());
        NDArray u = manager.create(new byte[] {(byte) 200, (byte) 100}).toType(DataType.UINT8, false);
        assertEquals(300, u.sum().getLong());
        assertEquals(20000, u.prod().getLong());
        NDArray big = manager.create(new int[] {100000, 100000});
        assertEquals(10_000_000_000L, big.prod().getLong());
    }

    @Test
    void emptyAndNaNReductions() {
        NDArray e = manager.zeros(new Shape(2, 0));
        assertArrayEquals(new float[] {0, 0}, e.sum(new int[] {1}).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, e.prod(new int[] {1}).toFloatArray());
        assertEquals(new Shape(0), e.max(new int[] {0}).getShape());
        assertThrows(IllegalArgumentException.class, () -> e.max(new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> e.min());
        NDArray n = manager.create(new float[] {1, Float.NaN, 3, -1, -2, -3}, new Shape(2, 3));
        float[] mx = n.max(new int[] {1}).toFloatArray();
        assertTrue(Float.isNaN(mx[0]));
        assertEquals(-1f, mx[1]);
        float[] mn = n.min(new int[] {1}).toFloatArray();
        assertTrue(Float.isNaN(mn[0]));
        assertEquals(-3f, mn[1]);
        NDArray d = manager.create(new double[] {-1, -7, -2});
        assertEquals(-1, d.max().getDouble());
        assertEquals(-7, d.min().getDouble());
        NDArray l = manager.create(new long[] {Long.MIN_VALUE + 5, -3, 9});
        assertEquals(9, l.max().getLong());
        assertEquals(Long.MIN_VALUE + 5, l.min().getLong());
    }

    @Test
    void argExtremesTakeTheFirstOfTies() {
        NDArray a = manager.create(new float[] {1, 5, 5, 0, 0, -2, 3, -2}, new Shape(2, 4));
        assertArrayEquals(new long[] {1, 2}, a.argMax(1).toLongArray());
        assertArrayEquals(new long[] {3, 1}, a.argMin(1).toLongArray());
        assertArrayEquals(new long[] {0, 0, 0, 0}, a.argMax(0).toLongArray());
        assertArrayEquals(new long[] {1, 1, 1, 1}, a.argMin(0).toLongArray());
        assertArrayEquals(new long[] {1, 1, 1, 1}, a.argMin(-2).toLongArray());
        assertEquals(1, a.argMax().getLong());
        assertEquals(5, a.argMin().getLong());
        assertArrayEquals(new long[] {2}, manager.create(new int[] {-4, -9, 7}, new Shape(1, 3)).argMax(1)
                .toLongArray());
        assertThrows(IllegalArgumentException.class, () -> manager.zeros(new Shape(2, 0)).argMax(1));
    }

    @Test
    void topKAlongEitherAxis() {
        NDArray a = manager.create(new float[] {4, 1, 7, 7, 2, 9, 0, 3, 5}, new Shape(3, 3));
        NDList big = a.topK(2, 1, true, true);
        assertArrayEquals(new float[] {7, 4, 9, 7, 5, 3}, big.get(0).toFloatArray());
        assertArrayEquals(new long[] {2, 0, 2, 0, 2, 1}, big.get(1).toLongArray());
        NDList small = a.topK(1, 0, false, true);
        assertEquals(new Shape(1, 3), small.get(0).getShape());
        assertArrayEquals(new float[] {0, 1, 5}, small.get(0).toFloatArray());
        assertArrayEquals(new long[] {2, 0, 2}, small.get(1).toLongArray());
        NDList ties = manager.create(new int[] {3, 3, 1, 3}).topK(3, 0, true, true);
        assertArrayEquals(new int[] {3, 3, 3}, ties.get(0).toIntArray());
        assertArrayEquals(new long[] {0, 1, 3}, ties.get(1).toLongArray());
        assertEquals(0, a.topK(0, 1, true, true).get(0).size());
        assertThrows(IllegalArgumentException.class, () -> a.topK(4, 1, true, true));
        assertThrows(IllegalArgumentException.class, () -> a.topK(-1, 1, true, true));
    }

    @Test
    void softmaxInFloat64AndOnInnerAxes() {
        Random r = new Random(2);
        double[] v = new double[12];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian() * 4;
        }
        NDArray a = manager.create(v, new Shape(3, 4));
        for (boolean log : new boolean[] {false, true}) {
            double[] rows = new double[12];
            double[] cols = new double[12];
            for (int i = 0; i < 3; i++) {
                double s = 0;
                for (int j = 0; j < 4; j++) {
                    s += Math.exp(v[i * 4 + j]);
                }
                for (int j = 0; j < 4; j++) {
                    rows[i * 4 + j] = log ? v[i * 4 + j] - Math.log(s) : Math.exp(v[i * 4 + j]) / s;
                }
            }
            for (int j = 0; j < 4; j++) {
                double s = 0;
                for (int i = 0; i < 3; i++) {
                    s += Math.exp(v[i * 4 + j]);
                }
                for (int i = 0; i < 3; i++) {
                    cols[i * 4 + j] = log ? v[i * 4 + j] - Math.log(s) : Math.exp(v[i * 4 + j]) / s;
                }
            }
            NDArray sr = log ? a.logSoftmax(1) : a.softmax(-1);
            assertEquals(DataType.FLOAT64, sr.getDataType());
            assertArrayEquals(rows, sr.toDoubleArray(), 1e-13);
            assertArrayEquals(cols, (log ? a.logSoftmax(0) : a.softmax(0)).toDoubleArray(), 1e-13);
            NDArray f = a.toType(DataType.FLOAT32, false);
            assertArrayEquals(cols, asDoubles(log ? f.logSoftmax(0) : f.softmax(0)), 1e-5);
        }
        NDArray ints = manager.create(new int[] {0, 0});
        NDArray s = ints.softmax(0);
        assertEquals(DataType.FLOAT32, s.getDataType());
        assertArrayEquals(new float[] {0.5f, 0.5f}, s.toFloatArray());
        assertEquals(new Shape(2, 0), manager.zeros(new Shape(2, 0), DataType.FLOAT64).softmax(1).getShape());
    }

    @Test
    void cumulativeSums() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        assertArrayEquals(new float[] {1, 3, 6, 4, 9, 15}, a.cumSum(1).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 5, 7, 9}, a.cumSum(0).toFloatArray());
        NDArray d = manager.create(new double[] {0.1, 0.2, 0.3});
        assertArrayEquals(new double[] {0.1, 0.1 + 0.2, 0.1 + 0.2 + 0.3}, d.cumSum(0).toDoubleArray(), 0);
        NDArray i = manager.create(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE});
        NDArray ci = i.cumSum(0);
        assertEquals(DataType.INT64, ci.getDataType());
        assertArrayEquals(new long[] {Integer.MAX_VALUE, 2L * Integer.MAX_VALUE}, ci.toLongArray());
        NDArray b = manager.create(new boolean[] {true, false, true});
        assertArrayEquals(new long[] {1, 1, 2}, b.cumSum(0).toLongArray());
        NDArray l = manager.create(new long[] {5, -7});
        assertEquals(DataType.INT64, l.cumSum(0).getDataType());
        assertArrayEquals(new long[] {5, -2}, l.cumSum(0).toLongArray());
        NDArray h = manager.create(new float[] {0.5f, 0.25f, 2}).toType(DataType.FLOAT16, false).cumSum(0);
        assertEquals(DataType.FLOAT16, h.getDataType());
        assertArrayEquals(new float[] {0.5f, 0.75f, 2.75f}, h.toType(DataType.FLOAT32, false).toFloatArray());
        assertEquals(new Shape(2, 0), manager.zeros(new Shape(2, 0)).cumSum(1).getShape());
    }

    @Test
    void layerAndBatchNormInFloat64() {
        Random r = new Random(8);
        double[] x = new double[2 * 3 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian() * 2 + 1;
        }
        double[] g = {0.5, -1, 2, 1.5};
        double[] b = {0, 0.25, -1, 3};
        float eps = 1e-5f;
        double[] ln = new double[x.length];
        for (int row = 0; row < 6; row++) {
            double m = 0;
            for (int j = 0; j < 4; j++) {
                m += x[row * 4 + j] / 4;
            }
            double var = 0;
            for (int j = 0; j < 4; j++) {
                var += (x[row * 4 + j] - m) * (x[row * 4 + j] - m) / 4;
            }
            for (int j = 0; j < 4; j++) {
                ln[row * 4 + j] = (x[row * 4 + j] - m) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
        NDArray xa = manager.create(x, new Shape(2, 3, 4));
        NDArray y = xa.getNDArrayInternal().layerNorm(xa, new Shape(4), manager.create(g), manager.create(b), eps)
                .singletonOrThrow();
        assertEquals(DataType.FLOAT64, y.getDataType());
        assertArrayEquals(ln, y.toDoubleArray(), 1e-12);
        NDArray yf = xa.toType(DataType.FLOAT32, false);
        assertArrayEquals(ln, asDoubles(yf.getNDArrayInternal().layerNorm(yf, new Shape(4), manager.create(g)
                .toType(DataType.FLOAT32, false), manager.create(b).toType(DataType.FLOAT32, false), eps)
                .singletonOrThrow()), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> xa.getNDArrayInternal().layerNorm(xa, new Shape(3), null,
                null, eps));

        // batch norm over axis 1 (3 channels) with running statistics
        double[] mean = {0.5, -1, 2};
        double[] var = {1, 4, 0.25};
        double[] gam = {2, 1, -1};
        double[] bet = {0, 1, 0.5};
        double[] bn = new double[x.length];
        double[] plain = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / 4) % 3;
            plain[i] = (x[i] - mean[ch]) / Math.sqrt(var[ch] + eps);
            bn[i] = plain[i] * gam[ch] + bet[ch];
        }
        for (DataType t : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            NDArray xt = xa.toType(t, false);
            NDArray out = xt.getNDArrayInternal().batchNorm(xt, manager.create(mean).toType(t, false),
                    manager.create(var).toType(t, false), manager.create(gam).toType(t, false),
                    manager.create(bet).toType(t, false), 1, 0.9f, eps, false).singletonOrThrow();
            assertEquals(t, out.getDataType());
            assertArrayEquals(bn, asDoubles(out), t == DataType.FLOAT64 ? 1e-12 : 1e-5, t.toString());
            NDArray noAffine = xt.getNDArrayInternal().batchNorm(xt, manager.create(mean).toType(t, false),
                    manager.create(var).toType(t, false), null, null, -2, 0.9f, eps, false).singletonOrThrow();
            assertArrayEquals(plain, asDoubles(noAffine), t == DataType.FLOAT64 ? 1e-12 : 1e-5, t.toString());
        }
    }
}
