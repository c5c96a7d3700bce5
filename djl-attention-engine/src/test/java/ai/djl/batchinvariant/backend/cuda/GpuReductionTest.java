/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.GpuCompare.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Reductions, arg-extremes, softmax and norms on a GPU: values against float64 formulas written
 * here, rows bitwise equal to their solo result whatever the row count (row lengths on both
 * sides of the warp/block switch), rank 0, empty and strided axes; an inverse case shows the
 * bitwise check sees a changed reduction order.
 */
@Tag("gpu")
class GpuReductionTest {

    private static final int[] LENGTHS = {1, 31, 1024, 1025, 5000};
    private static final int[] ROW_COUNTS = {1, 3, 64, 1000};
    private static NDManager gpu;
    private static NDManager host;

    @BeforeAll
    static void setUp() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
        gpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0));
        host = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        if (gpu != null) {
            gpu.close();
            host.close();
        }
    }

    /** Host values in a type (rounded there), and their exact doubles. */
    private static NDArray onGpu(double[] v, Shape shape, DataType type) {
        NDArray d = host.create(v, shape);
        NDArray t = d.toType(type, true);
        NDArray g = t.toDevice(Device.gpu(0), true);
        d.close();
        t.close();
        g.attach(gpu);
        return g;
    }

    private static double[] values(NDArray a) {
        NDArray h = a.toDevice(Device.cpu(), true);
        NDArray d = h.toType(DataType.FLOAT64, true);
        double[] out = d.toDoubleArray();
        h.close();
        d.close();
        return out;
    }

    private static long[] bits(NDArray a) {
        double[] d = values(a);
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    private static double ulp(DataType t) {
        switch (t) {
            case FLOAT16: return Math.scalb(1.0, -10);
            case BFLOAT16: return Math.scalb(1.0, -7);
            case FLOAT64: return Math.scalb(1.0, -44);
            default: return Math.scalb(1.0, -22);
        }
    }

    /** Each op, rows of every length and count: bitwise equal to the row alone, near float64. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT16", "BFLOAT16", "FLOAT64"})
    void rowOpsAreInvariantAndMatchFloat64(DataType type) {
        checkRowOps(type, LENGTHS, ROW_COUNTS);
    }

    /**
     * Rows past the 256-thread kernel's longest (8192), vocabulary-sized among them: the
     * 1024-thread kernel, the same checks.
     */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "BFLOAT16", "FLOAT64"})
    void longRowOpsAreInvariantAndMatchFloat64(DataType type) {
        checkRowOps(type, new int[] {8192, 8193, 128256}, new int[] {1, 3, 8});
    }

    private void checkRowOps(DataType type, int[] lengths, int[] rowCounts) {
        String[] ops = {"sum", "mean", "max", "min", "softmax", "logSoftmax", "layerNorm", "rmsNorm", "argMax"};
        for (int n : lengths) {
            int rowsMax = rowCounts[rowCounts.length - 1];
            double[] v = randoms(n, rowsMax * n, 4);
            for (String op : ops) {
                Function<NDArray, NDArray> f = opOf(op, n, type);
                NDArray all = onGpu(v, new Shape(rowsMax, n), type);
                long[] full = bits(f.apply(all));
                int per = full.length / rowsMax;
                double[] got = values(f.apply(all));
                double[] exact = values(all);
                for (int r : new int[] {0, rowsMax - 1}) {
                    double[] ref = reference(op, exact, r * n, n, type);
                    for (int j = 0; j < ref.length; j++) {
                        double tol = op.equals("sum") || op.equals("mean")
                                ? ulp(type) * 4 * rowAbs(exact, r * n, n) / (op.equals("mean") ? n : 1) + 1e-300
                                : ulp(type) * 8 * Math.max(1, Math.abs(ref[j]));
                        if (!(Math.abs(got[r * per + j] - ref[j]) <= tol)) {
                            fail(op + " " + type + " n=" + n + " row " + r + " [" + j + "]: " + got[r * per + j]
                                    + " vs float64 " + ref[j] + " (tolerance " + tol + ")");
                        }
                    }
                }
                for (int rows : rowCounts) {
                    double[] part = new double[rows * n];
                    System.arraycopy(v, (rowsMax - rows) * n, part, 0, part.length);
                    long[] b = bits(f.apply(onGpu(part, new Shape(rows, n), type)));
                    for (int i = 0; i < b.length; i++) {
                        if (b[i] != full[(rowsMax - rows) * per + i]) {
                            fail(op + " " + type + " n=" + n + ": row " + (rowsMax - rows + i / per) + " differs in a "
                                    + rows + "-row call");
                        }
                    }
                }
            }
        }
    }

    private static double rowAbs(double[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.abs(x[off + i]);
        }
        return s;
    }

    private static Function<NDArray, NDArray> opOf(String op, int n, DataType type) {
        switch (op) {
            case "sum": return a -> a.sum(new int[] {1});
            case "mean": return a -> a.mean(new int[] {1});
            case "max": return a -> a.max(new int[] {1});
            case "min": return a -> a.min(new int[] {1});
            case "softmax": return a -> a.softmax(1);
            case "logSoftmax": return a -> a.logSoftmax(1);
            case "argMax": return a -> a.argMax(1);
            case "layerNorm": return a -> a.getNDArrayInternal()
                    .layerNorm(a, new Shape(n), weights(n, type, 1), weights(n, type, 2), 1e-5f).singletonOrThrow();
            default: return a -> new RmsNorm(weights(n, type, 3), 1e-6f).forward(a);
        }
    }

    private static NDArray weights(int n, DataType type, long seed) {
        return onGpu(randoms(seed, n, 1), new Shape(n), type);
    }

    private static double[] reference(String op, double[] x, int off, int n, DataType type) {
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
            if (x[off + i] > max) {
                max = x[off + i];
                arg = i;
            }
            min = Math.min(min, x[off + i]);
        }
        double[] out = new double[op.equals("softmax") || op.equals("logSoftmax") || op.endsWith("Norm") ? n : 1];
        switch (op) {
            case "sum": out[0] = sum; break;
            case "mean": out[0] = sum / n; break;
            case "max": out[0] = max; break;
            case "min": out[0] = min; break;
            case "argMax": out[0] = arg; break;
            case "softmax":
            case "logSoftmax": {
                double z = 0;
                for (int i = 0; i < n; i++) {
                    z += Math.exp(x[off + i] - max);
                }
                for (int i = 0; i < n; i++) {
                    out[i] = op.equals("softmax") ? Math.exp(x[off + i] - max) / z : x[off + i] - max - Math.log(z);
                }
                break;
            }
            default:
                // norms: compared only for their normalised part by the weights' own formula below
                return normReference(op, x, off, n, type);
        }
        return out;
    }

    /** The norms by their formulas, with the weights as opOf makes them (same seeds, same rounding). */
    private static double[] normReference(String op, double[] x, int off, int n, DataType type) {
        double[] out = new double[n];
        double mean = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            mean += x[off + i];
            sq += x[off + i] * x[off + i];
        }
        mean /= n;
        if (op.equals("rmsNorm")) {
            double[] w = values(weights(n, type, 3));
            double denom = Math.sqrt(sq / n + 1e-6);
            for (int i = 0; i < n; i++) {
                out[i] = x[off + i] / denom * w[i];
            }
            return out;
        }
        double var = 0;
        for (int i = 0; i < n; i++) {
            var += (x[off + i] - mean) * (x[off + i] - mean);
        }
        double rstd = 1 / Math.sqrt(var / n + 1e-5);
        double[] g = values(weights(n, type, 1));
        double[] b = values(weights(n, type, 2));
        for (int i = 0; i < n; i++) {
            out[i] = (x[off + i] - mean) * rstd * g[i] + b[i];
        }
        return out;
    }

    @Test
    void integerAndBooleanReductionsAreExact() {
        long[] v = new long[3 * 700];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(-50, 50);
        }
        NDArray h = host.create(v, new Shape(3, 700));
        for (DataType t : new DataType[] {DataType.INT32, DataType.INT64, DataType.INT8}) {
            NDArray ht = h.toType(t, true);
            NDArray g = ht.toDevice(Device.gpu(0), true);
            g.attach(gpu);
            assertArrayEquals(ht.sum(new int[] {1}).toLongArray(), g.sum(new int[] {1}).toLongArray(), "sum " + t);
            assertEquals(DataType.INT64, g.sum(new int[] {1}).getDataType(), "integer sums widen to int64");
            assertArrayEquals(values(ht.max(new int[] {0})), values(g.max(new int[] {0})), "max over rows " + t);
            assertArrayEquals(values(ht.min(new int[] {1})), values(g.min(new int[] {1})), "min " + t);
            assertArrayEquals(ht.argMin(0).toLongArray(), g.argMin(0).toLongArray(), "argMin " + t);
            assertThrows(IllegalArgumentException.class, () -> g.mean(), "mean of integers names its type");
        }
        NDArray b = host.create(new boolean[] {true, false, true, true, false, true}, new Shape(2, 3));
        NDArray gb = b.toDevice(Device.gpu(0), true);
        gb.attach(gpu);
        assertArrayEquals(new long[] {2, 2}, gb.sum(new int[] {1}).toLongArray(), "booleans count");
    }

    @Test
    void edgeShapesAndAxes() {
        double[] v = randoms(9, 2 * 3 * 4 * 5, 2);
        Shape s = new Shape(2, 3, 4, 5);
        NDArray hx = host.create(v, s).toType(DataType.FLOAT32, true);
        NDArray g = hx.toDevice(Device.gpu(0), true);
        g.attach(gpu);
        // middle, leading, non-adjacent and all axes; keepDims; values against the CPU backend
        int[][] axesList = {{1}, {0}, {1, 2}, {0, 2}, {1, 3}, {0, 1, 2, 3}, {-1}};
        for (int[] axes : axesList) {
            for (boolean keep : new boolean[] {false, true}) {
                NDArray want = hx.sum(axes, keep);
                NDArray got = g.sum(axes, keep);
                assertEquals(want.getShape(), got.getShape(), "sum shape");
                double[] w = values(want);
                double[] o = values(got);
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], o[i], 1e-4, "sum over axes " + java.util.Arrays.toString(axes));
                }
                assertArrayEquals(values(hx.max(axes, keep)), values(g.max(axes, keep)), "max is exact");
            }
        }
        assertArrayEquals(values(hx.softmax(1)), values(g.softmax(1)), 1e-6, "softmax over a middle axis");
        assertArrayEquals(hx.argMax(2).toLongArray(), g.argMax(2).toLongArray(), "argMax over a middle axis");
        assertEquals(hx.argMax().getLong(), g.argMax().getLong(), "argMax of the flattened array");
        NDArray scalar = gpu.create(3.5f);
        assertEquals(3.5f, scalar.sum().getFloat());
        assertEquals(3.5f, scalar.max().getFloat());
        assertEquals(0L, scalar.argMax().getLong());
        NDArray empty = gpu.zeros(new Shape(4, 0));
        assertArrayEquals(new float[] {0, 0, 0, 0}, empty.sum(new int[] {1}).toFloatArray(), "an empty sum is 0");
        assertArrayEquals(new float[] {1, 1, 1, 1}, empty.prod(new int[] {1}).toFloatArray(), "an empty product is 1");
        assertEquals(new Shape(0), empty.sum(new int[] {0}).getShape());
        assertThrows(IllegalArgumentException.class, () -> empty.max(new int[] {1}));
        // NaN propagates through max; argMax skips it unless it comes first (the CPU's scan)
        NDArray nan = gpu.create(new float[] {1, Float.NaN, 3, 2});
        assertTrue(Float.isNaN(nan.max().getFloat()));
        assertEquals(2L, nan.argMax().getLong());
        assertEquals(0L, gpu.create(new float[] {Float.NaN, 5, 1}).argMax().getLong());
        // large logits: exp(x - max) must not overflow
        float[] sm = gpu.create(new float[] {1000f, 999f, -1000f}).softmax(0).toFloatArray();
        assertEquals(1 / (1 + Math.exp(-1)), sm[0], 1e-6);
    }

    /** Batch norm with running statistics: the CPU backend's bits, every element on its own. */
    @Test
    void batchNormHasTheCpusBits() {
        Shape s = new Shape(2, 5, 3, 4);
        NDArray hx = host.create(randoms(21, (int) s.size(), 3), s).toType(DataType.FLOAT32, true);
        NDArray[] stats = new NDArray[4];
        for (int i = 0; i < 4; i++) {
            double[] v = randoms(30 + i, 5, 1);
            if (i == 1) {
                for (int j = 0; j < v.length; j++) {
                    v[j] = 0.5 + Math.abs(v[j]);
                }
            }
            stats[i] = host.create(v, new Shape(5)).toType(DataType.FLOAT32, true);
        }
        NDArray want = hx.getNDArrayInternal().batchNorm(hx, stats[0], stats[1], stats[2], stats[3], 1, 0.9f, 1e-5f,
                false).singletonOrThrow();
        NDArray[] g = new NDArray[5];
        g[0] = hx.toDevice(Device.gpu(0), true);
        for (int i = 0; i < 4; i++) {
            g[i + 1] = stats[i].toDevice(Device.gpu(0), true);
        }
        for (NDArray a : g) {
            a.attach(gpu);
        }
        NDArray got = g[0].getNDArrayInternal().batchNorm(g[0], g[1], g[2], g[3], g[4], 1, 0.9f, 1e-5f, false)
                .singletonOrThrow();
        assertArrayEquals(bits(want), bits(got), "batchNorm on the GPU has the CPU's bits");
    }

    /** Inverse case: the same values summed in another order (as columns) show different bits. */
    @Test
    void aChangedOrderIsSeen() {
        int n = 5000;
        double[] v = randoms(17, 64 * n, 1);
        NDArray rows = onGpu(v, new Shape(64, n), DataType.FLOAT32);
        long[] byRows = bits(rows.sum(new int[] {1}));
        NDArray cols = rows.toDevice(Device.cpu(), true).transpose().toDevice(Device.gpu(0), true);
        cols.attach(gpu);
        long[] byColumns = bits(cols.sum(new int[] {0}));
        int differ = 0;
        for (int i = 0; i < byRows.length; i++) {
            differ += byRows[i] != byColumns[i] ? 1 : 0;
        }
        System.out.println("[reduce] tree vs sequential order: " + differ + " of 64 sums differ in their bits");
        assertTrue(differ > 0, "a changed reduction order must show in the bits");
    }
}
