/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.config.EngineOptions;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The invariant GEMM on a GPU: row i of an M-row product has the same bits as its solo result for
 * M ∈ {1, 2, 3, 7, 16, 64, 255, 1024, 4097}, for every dtype, both weight layouts and shapes that
 * do and do not split k; values within a float64 reference's error bound; an inverse case shows
 * the same bitwise check catches a product whose split count changed.
 */
@Tag("gpu")
class GpuGemmTest {

    private static final int[] ROWS = {1, 2, 3, 7, 16, 64, 255, 1024, 4097};
    private static NDManager manager;
    private static NDManager host;

    @BeforeAll
    static void setUp() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
        manager = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0));
        host = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
            host.close();
        }
        CudaGemm.splitOverride = 0;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        // (n, k): 512 x 8192 and 512 x 8200 split k in four on the Hopper family (a block each for
        // few rows, inside each block for many; 8200 on the threads' copies: no whole stages)
        int[][] shapes = {{64, 64}, {600, 96}, {1000, 4096}, {2048, 2048}, {13, 1037}, {512, 8192}, {512, 8200}};
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16, DataType.FLOAT64}) {
            for (int[] s : shapes) {
                for (boolean linear : new boolean[] {true, false}) {
                    out.add(Arguments.of(t, s[0], s[1], linear));
                }
            }
        }
        return out.stream();
    }

    /** Random values in [-1, 1) on the host, in the given type. */
    private static NDArray hostRandom(long seed, DataType type, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = (int) new Shape(shape).size();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() * 2 - 1;
        }
        NDArray d = host.create(v, new Shape(shape));
        if (type == DataType.FLOAT64) {
            return d;
        }
        NDArray t = d.toType(type, true);
        d.close();
        return t;
    }

    /** Random values in [-1, 1) on the device, in the given type. */
    private static NDArray random(long seed, DataType type, long... shape) {
        NDArray h = hostRandom(seed, type, shape);
        NDArray g = h.toDevice(Device.gpu(0), true);
        h.close();
        return g;
    }

    /** The values as doubles (exact for every input type). */
    private static double[] values(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) {
            return a.toDoubleArray();
        }
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Raw bits of each element (float64 bits; other types through their exact float32 value). */
    private static long[] bits(NDArray a) {
        double[] d = values(a);
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    /** Rows [from, to) of a host array, uploaded (the host slice is closed). */
    private static NDArray rows(NDArray hostArray, int from, int to) {
        NDArray slice = hostArray.get(from + ":" + to);
        NDArray g = slice.toDevice(Device.gpu(0), true);
        slice.close();
        return g;
    }

    private static NDArray product(NDArray x, NDArray w, boolean linear) {
        return linear ? x.getNDArrayInternal().linear(x, w, null).singletonOrThrow() : x.matMul(w);
    }

    private static double outputUlp(DataType t) {
        switch (t) {
            case FLOAT16: return Math.scalb(1.0, -11);
            case BFLOAT16: return Math.scalb(1.0, -8);
            case FLOAT64: return Math.scalb(1.0, -53);
            default: return Math.scalb(1.0, -24);
        }
    }

    @ParameterizedTest(name = "{0} n={1} k={2} linear={3}")
    @MethodSource("cases")
    void rowsMatchTheirSoloResultAndTheReference(DataType type, int n, int k, boolean linear) {
        int rowsMax = ROWS[ROWS.length - 1];
        NDArray xHost = hostRandom(11L * n + k, type, rowsMax, k);
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = xHost.toDevice(Device.gpu(0), true);
            x.attach(sub);
            // linear's weight is (n, k); matMul's right operand is (k, n)
            NDArray w = linear ? random(7L * n + k, type, n, k) : random(7L * n + k, type, k, n);
            w.attach(sub);
            NDArray full = product(x, w, linear);
            assertEquals(type, full.getDataType());
            assertEquals(new Shape(rowsMax, n), full.getShape());
            long[] fullBits = bits(full);
            double[] xv = values(x);
            double[] wv = values(w);
            double[] yv = values(full);
            for (int r : new int[] {0, 1, rowsMax / 2, rowsMax - 1}) {
                for (int c = 0; c < n; c++) {
                    double ref = 0;
                    double mag = 0;
                    for (int i = 0; i < k; i++) {
                        double p = xv[r * k + i] * (linear ? wv[c * k + i] : wv[i * n + c]);
                        ref += p;
                        mag += Math.abs(p);
                    }
                    double tol = k * Math.scalb(1.0, type == DataType.FLOAT64 ? -52 : -23) * mag
                            + outputUlp(type) * Math.abs(ref) + 1e-300;
                    double got = yv[r * n + c];
                    if (!(Math.abs(got - ref) <= tol)) {
                        fail(type + " row " + r + " col " + c + ": " + got + " vs float64 " + ref + " (tolerance " + tol + ")");
                    }
                }
            }
            for (int m : ROWS) {
                NDArray xm = rows(xHost, 0, m);
                xm.attach(sub);
                long[] got = bits(product(xm, w, linear));
                for (int i = 0; i < m * n; i++) {
                    if (got[i] != fullBits[i]) {
                        fail(type + " M=" + m + ": row " + i / n + " col " + i % n + " differs from the 4097-row product");
                    }
                }
                // the last row alone
                NDArray last = rows(xHost, m - 1, m);
                last.attach(sub);
                long[] solo = bits(product(last, w, linear));
                for (int c = 0; c < n; c++) {
                    assertEquals(fullBits[(m - 1) * n + c], solo[c], type + " row " + (m - 1) + " alone, col " + c);
                }
            }
        } finally {
            xHost.close();
        }
    }

    @Test
    void biasAndBatchedBroadcastProducts() {
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = random(1, DataType.BFLOAT16, 2, 5, 96);
            NDArray w = random(2, DataType.BFLOAT16, 40, 96);
            NDArray b = random(3, DataType.BFLOAT16, 40);
            for (NDArray a : new NDArray[] {x, w, b}) {
                a.attach(sub);
            }
            NDArray y = x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
            assertEquals(new Shape(2, 5, 40), y.getShape());
            double[] xv = values(x);
            double[] wv = values(w);
            double[] bv = values(b);
            double[] yv = values(y);
            for (int r = 0; r < 10; r++) {
                for (int c = 0; c < 40; c++) {
                    double ref = bv[c];
                    for (int i = 0; i < 96; i++) {
                        ref += xv[r * 96 + i] * wv[c * 96 + i];
                    }
                    assertEquals(ref, yv[r * 40 + c], 0.02 * Math.max(1, Math.abs(ref)), "linear with bias " + r + "," + c);
                }
            }
            // (2, 1, 4, 8) x (3, 8, 6) -> (2, 3, 4, 6): the left broadcast over 3, the right over 2
            NDArray a = random(4, DataType.FLOAT32, 2, 1, 4, 8);
            NDArray c = random(5, DataType.FLOAT32, 3, 8, 6);
            a.attach(sub);
            c.attach(sub);
            NDArray p = a.matMul(c);
            assertEquals(new Shape(2, 3, 4, 6), p.getShape());
            double[] av = values(a);
            double[] cv = values(c);
            double[] pv = values(p);
            for (int z0 = 0; z0 < 2; z0++) {
                for (int z1 = 0; z1 < 3; z1++) {
                    for (int i = 0; i < 4; i++) {
                        for (int j = 0; j < 6; j++) {
                            double ref = 0;
                            for (int q = 0; q < 8; q++) {
                                ref += av[z0 * 32 + i * 8 + q] * cv[z1 * 48 + q * 6 + j];
                            }
                            assertEquals(ref, pv[((z0 * 3 + z1) * 4 + i) * 6 + j], 1e-5, "broadcast matMul");
                        }
                    }
                }
            }
            // vector operands and an empty inner dimension
            NDArray v = random(6, DataType.FLOAT32, 8);
            v.attach(sub);
            assertEquals(new Shape(3, 6), v.matMul(c).getShape());
            NDArray e = manager.zeros(new Shape(3, 0)).matMul(manager.zeros(new Shape(0, 4)));
            assertEquals(new Shape(3, 4), e.getShape());
            e.attach(sub);
            for (float f : e.toFloatArray()) {
                assertEquals(0f, f, "an empty sum is zero");
            }
        }
    }

    /** Inverse case: the bitwise check sees a product whose split count changed. */
    @Test
    void changingTheSplitCountChangesBits() {
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = random(21, DataType.FLOAT32, 64, 4096);
            NDArray w = random(22, DataType.FLOAT32, 512, 4096);
            x.attach(sub);
            w.attach(sub);
            CudaGemm.splitOverride = 1;
            long[] one = bits(x.getNDArrayInternal().linear(x, w, null).singletonOrThrow());
            CudaGemm.splitOverride = 4;
            long[] four = bits(x.getNDArrayInternal().linear(x, w, null).singletonOrThrow());
            CudaGemm.splitOverride = 0;
            int differ = 0;
            for (int i = 0; i < one.length; i++) {
                differ += one[i] != four[i] ? 1 : 0;
            }
            System.out.println("[gemm] split 1 vs 4: " + differ + " of " + one.length + " outputs differ in their bits");
            assertTrue(differ > 0, "a changed k split must show in the bits");
        }
    }
    /**
     * {@code cuda_gemm_splits=false} keeps a narrow weight long in k on one chain: rows stay
     * invariant (a row alone equals the same row among 300, which split their work otherwise), and
     * the bits differ from the default's four splits (the option is part of the configuration).
     */
    @Test
    void oneChainOptionIsInvariantAndOtherBits() {
        assumeTrue(CudaRuntime.device(0).hopperKernels(), "Hopper kernels only");
        String key = EngineOptions.PROPERTY_PREFIX + EngineOptions.CUDA_GEMM_SPLITS;
        NDArray xHost = hostRandom(41, DataType.BFLOAT16, 300, 8192);
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = rows(xHost, 0, 300);
            NDArray w = random(42, DataType.BFLOAT16, 512, 8192);
            NDArray x0 = rows(xHost, 0, 1);
            x.attach(sub);
            w.attach(sub);
            x0.attach(sub);
            long[] split = bits(x.getNDArrayInternal().linear(x, w, null).singletonOrThrow());
            System.setProperty(key, "false");
            long[] chain = bits(x.getNDArrayInternal().linear(x, w, null).singletonOrThrow());
            long[] alone = bits(x0.getNDArrayInternal().linear(x0, w, null).singletonOrThrow());
            System.clearProperty(key);
            assertArrayEquals(java.util.Arrays.copyOf(chain, 512), alone, "row 0 alone, one chain");
            int differ = 0;
            for (int i = 0; i < split.length; i++) {
                differ += split[i] != chain[i] ? 1 : 0;
            }
            System.out.println("[gemm] 4 splits vs one chain: " + differ + " of " + split.length + " outputs differ");
            assertTrue(differ > 0, "the split count is part of the bits");
        } finally {
            System.clearProperty(key);
            xHost.close();
        }
    }

    /**
     * Hopper tiles fed by the copy engine give the bits of the same tiles fed by their threads'
     * copies: ragged m, n and k, a bias, forced splits (where tensor maps can be encoded).
     */
    @Test
    void copyEngineTileGivesTheBitsOfThreadCopies() {
        assumeTrue(CudaRuntime.device(0).hopperKernels(), "Hopper kernels only");
        assumeTrue(TensorMaps.available(),
                "tensor maps need --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED");
        // m x n x k: 128 x 256, 64 x 256 and 64 x 128 tiles; the last two split k (inside each block)
        int[][] shapes = {{4096, 1024, 1024}, {1000, 1000, 1088}, {4097, 2048, 2048}, {256, 4096, 1024},
            {1024, 2000, 1032}, {2048, 512, 8192}, {4097, 1024, 8192}};
        try (NDManager sub = manager.newSubManager()) {
            for (DataType t : new DataType[] {DataType.BFLOAT16, DataType.FLOAT16}) {
                for (int[] s : shapes) {
                    for (int split : new int[] {0, 2}) {
                        NDArray x = random(31, t, s[0], s[2]);
                        NDArray w = random(32, t, s[1], s[2]);
                        NDArray bias = random(33, t, s[1]);
                        x.attach(sub);
                        w.attach(sub);
                        bias.attach(sub);
                        CudaGemm.splitOverride = split;
                        long[] engine = bits(x.getNDArrayInternal().linear(x, w, bias).singletonOrThrow());
                        CudaGemm.tmaOff = true;
                        long[] threads = bits(x.getNDArrayInternal().linear(x, w, bias).singletonOrThrow());
                        CudaGemm.tmaOff = false;
                        CudaGemm.splitOverride = 0;
                        assertArrayEquals(threads, engine, t + " " + java.util.Arrays.toString(s) + " split " + split);
                    }
                }
            }
        } finally {
            CudaGemm.tmaOff = false;
            CudaGemm.splitOverride = 0;
        }
    }
}
