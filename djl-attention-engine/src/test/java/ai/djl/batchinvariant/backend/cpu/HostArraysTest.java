/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The CPU backend's reuse of closed outputs ({@link HostArrays}): an array comes back only when
 * every tensor over it is closed and nobody was handed it, and every op that takes a reused array
 * writes all of it — checked with the arrays poisoned, against the op's output in a fresh array.
 */
class HostArraysTest {

    private static final String POISON = EngineOptions.PROPERTY_PREFIX + EngineOptions.CPU_POISON;
    private static final String LIMIT = EngineOptions.PROPERTY_PREFIX + EngineOptions.CPU_CACHE_LIMIT_MB;

    /** Rows x columns of the float inputs: 2^18 elements, 1 MiB, above the cache's floor. */
    private static final int ROWS = 256;
    private static final int COLS = 1024;

    private final Random rnd = new Random(5);

    /** The build may run every test with poisoning on; these set it themselves. */
    private String poisonBefore;

    @BeforeEach
    void fresh() {
        poisonBefore = System.clearProperty(POISON);
        HostArrays.clear();
    }

    @AfterEach
    void restore() {
        if (poisonBefore == null) {
            System.clearProperty(POISON);
        } else {
            System.setProperty(POISON, poisonBefore);
        }
        System.clearProperty(LIMIT);
        HostArrays.clear();
    }

    private Tensor floats(long... dims) {
        Shape s = new Shape(dims);
        float[] d = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        return Tensor.host(s, DataType.FLOAT32, d);
    }

    private static Tensor add(Tensor a, Tensor b) {
        return CpuElementwise.INSTANCE.binary(BinaryOp.ADD, a, b);
    }

    @Test
    void aClosedOutputIsTheNextOutputOfItsSize() {
        Tensor x = floats(ROWS, COLS);
        Tensor first = add(x, x);
        Object array = first.borrowHostData();
        assertTrue(first.isRecyclable());
        first.close();
        assertEquals(4L * ROWS * COLS, HostArrays.heldBytes());
        Tensor second = CpuReductions.INSTANCE.softmax(x, -1, false);
        assertTrue(array == second.borrowHostData());
        assertEquals(0, HostArrays.heldBytes());
    }

    @Test
    void anArrayHandedOutIsNeverReused() {
        Tensor x = floats(ROWS, COLS);
        Tensor first = add(x, x);
        Object array = first.hostData();
        assertFalse(first.isRecyclable());
        first.close();
        assertEquals(0, HostArrays.heldBytes());
        assertFalse(array == add(x, x).borrowHostData());
    }

    @Test
    void aViewKeepsTheArrayUntilItClosesToo() {
        Tensor x = floats(ROWS, COLS);
        Tensor first = add(x, x);
        Object array = first.borrowHostData();
        float kept = ((float[]) array)[7];
        Tensor view = first.view(new Shape(COLS, ROWS));
        first.close();
        Tensor second = add(x, x);
        assertFalse(array == second.borrowHostData());
        assertEquals(Float.floatToIntBits(kept), Float.floatToIntBits(((float[]) view.borrowHostData())[7]));
        view.close();
        assertTrue(array == add(x, x).borrowHostData());
    }

    @Test
    void smallOutputsAndAZeroLimitKeepNothing() {
        Tensor small = floats(16, 16);
        Tensor out = add(small, small);
        assertFalse(out.isRecyclable());
        out.close();
        assertEquals(0, HostArrays.heldBytes());
        System.setProperty(LIMIT, "0");
        Tensor x = floats(ROWS, COLS);
        add(x, x).close();
        assertEquals(0, HostArrays.heldBytes());
    }

    @Test
    void theLimitBoundsWhatIsKept() {
        System.setProperty(LIMIT, "2");
        Tensor x = floats(ROWS, COLS);
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            outs.add(add(x, x));
        }
        outs.forEach(Tensor::close);
        assertEquals(2L << 20, HostArrays.heldBytes());
    }

    /** The ops that take reused outputs, each on inputs with no NaN, so a poisoned leftover shows. */
    private Map<String, Supplier<Tensor>> ops() {
        Tensor x = floats(ROWS, COLS);
        Tensor y = floats(ROWS, COLS);
        Tensor row = floats(COLS);
        Tensor scalar = floats();
        Tensor gamma = floats(COLS);
        Tensor beta = floats(COLS);
        Tensor bf = CpuShapeOps.INSTANCE.toType(floats(ROWS, COLS), DataType.BFLOAT16);
        Tensor bfWeight = CpuShapeOps.INSTANCE.toType(floats(COLS), DataType.BFLOAT16);
        Tensor ints = CpuShapeOps.INSTANCE.toType(floats(ROWS, COLS), DataType.INT32);
        Tensor longs = CpuShapeOps.INSTANCE.toType(floats(ROWS, COLS), DataType.INT64);
        Tensor w = floats(512, COLS);
        Tensor bias = floats(512);
        Tensor gated = floats(ROWS, 2 * COLS);
        Tensor few = floats(2, 64);
        Tensor wide = floats(64, 32768);
        Map<String, Supplier<Tensor>> ops = new LinkedHashMap<>();
        ops.put("add", () -> add(x, y));
        ops.put("add a row", () -> add(x, row));
        ops.put("multiply by a scalar", () -> CpuElementwise.INSTANCE.binary(BinaryOp.MUL, scalar, x));
        ops.put("greater (boolean)", () -> CpuElementwise.INSTANCE.binary(BinaryOp.GT, x, y));
        ops.put("add int32", () -> CpuElementwise.INSTANCE.binary(BinaryOp.ADD, ints, ints));
        ops.put("add int64", () -> CpuElementwise.INSTANCE.binary(BinaryOp.ADD, longs, longs));
        ops.put("exp", () -> CpuElementwise.INSTANCE.unary(UnaryOp.EXP, x));
        ops.put("abs", () -> CpuElementwise.INSTANCE.unary(UnaryOp.ABS, x));
        ops.put("sigmoid", () -> CpuElementwise.INSTANCE.unary(UnaryOp.SIGMOID, x));
        ops.put("exp of int32", () -> CpuElementwise.INSTANCE.unary(UnaryOp.EXP, ints));
        ops.put("softmax", () -> CpuReductions.INSTANCE.softmax(x, -1, false));
        ops.put("log-softmax", () -> CpuReductions.INSTANCE.softmax(x, -1, true));
        ops.put("softmax over rows", () -> CpuReductions.INSTANCE.softmax(x, 0, false));
        ops.put("softmax, bfloat16", () -> CpuReductions.INSTANCE.softmax(bf, -1, false));
        ops.put("layerNorm", () -> CpuReductions.INSTANCE.layerNorm(x, new Shape(COLS), gamma, beta, 1e-5f));
        ops.put("rmsNorm", () -> CpuReductions.INSTANCE.rmsNorm(x, gamma, 1e-6f));
        ops.put("rmsNorm without weight", () -> CpuReductions.INSTANCE.rmsNorm(x, null, 1e-6f));
        ops.put("rmsNorm then scale, bfloat16", () -> CpuReductions.INSTANCE.rmsNormThenScale(bf, bfWeight, 1e-6f));
        ops.put("siluMul", () -> CpuElementwise.INSTANCE.siluMul(gated, 8));
        ops.put("linear", () -> CpuLinalg.INSTANCE.linear(x, w, null));
        ops.put("linear, bfloat16", () -> CpuLinalg.INSTANCE.linear(bf, w, null));
        ops.put("linear with bias", () -> CpuLinalg.INSTANCE.linear(x, w, bias));
        ops.put("matMul, packed", () -> CpuLinalg.INSTANCE.matMul(x, CpuShapes.transpose(w, new int[] {1, 0})));
        ops.put("matMul, few rows", () -> CpuLinalg.INSTANCE.matMul(few, wide));
        ops.put("toType bfloat16", () -> CpuShapeOps.INSTANCE.toType(x, DataType.BFLOAT16));
        ops.put("toType int64", () -> CpuShapeOps.INSTANCE.toType(x, DataType.INT64));
        ops.put("copy", () -> CpuBackend.INSTANCE.copy(x));
        ops.put("concat", () -> CpuShapeOps.INSTANCE.concat(new Tensor[] {x, y}, 1));
        ops.put("transpose", () -> CpuShapes.transpose(x, new int[] {1, 0}));
        return ops;
    }

    @Test
    void everyOpWritesAllOfAReusedOutput() {
        for (Map.Entry<String, Supplier<Tensor>> op : ops().entrySet()) {
            HostArrays.clear();
            System.clearProperty(POISON);
            Tensor fresh = op.getValue().get();
            assertTrue(fresh.isRecyclable(), op.getKey() + ": output not recyclable");
            Object array = fresh.borrowHostData();
            byte[] want = bytes(fresh);
            fresh.close();
            System.setProperty(POISON, "true");
            Tensor reused = op.getValue().get();
            assertTrue(array == reused.borrowHostData(), op.getKey() + ": the closed output was not reused");
            assertArrayEquals(want, bytes(reused), op.getKey() + ": differs in a reused (poisoned) array");
            reused.close();
        }
    }

    /** Inverse case: an op that leaves its last element unwritten is caught by the same check. */
    @Test
    void anOpThatLeavesAnElementIsCaught() {
        Tensor x = floats(ROWS, COLS);
        Supplier<Tensor> allButLast = () -> {
            float[] src = (float[]) x.borrowHostData();
            float[] o = HostArrays.floats(src.length);
            System.arraycopy(src, 0, o, 0, src.length - 1);
            return HostArrays.wrap(x.getShape(), DataType.FLOAT32, o);
        };
        Tensor fresh = allButLast.get();
        byte[] want = bytes(fresh);
        fresh.close();
        System.setProperty(POISON, "true");
        Tensor reused = allButLast.get();
        assertFalse(java.util.Arrays.equals(want, bytes(reused)));
        assertTrue(Float.isNaN(((float[]) reused.borrowHostData())[ROWS * COLS - 1]));
    }

    /** Threads computing and closing at once each get their own serial answer, bit for bit. */
    @Test
    void threadsNeverSeeEachOthersArrays() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Tensor x = floats(ROWS, COLS);
                Tensor y = floats(ROWS, COLS);
                Supplier<Tensor> op = () -> {
                    Tensor s = add(x, y);
                    Tensor r = CpuReductions.INSTANCE.softmax(s, -1, false);
                    s.close();
                    return r;
                };
                Tensor first = op.get();
                byte[] want = bytes(first);
                first.close();
                runs.add(pool.submit(() -> {
                    boolean same = true;
                    for (int i = 0; i < 30; i++) {
                        Tensor out = op.get();
                        same &= java.util.Arrays.equals(want, bytes(out));
                        out.close();
                    }
                    return same;
                }));
            }
            for (Future<Boolean> r : runs) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] bytes(Tensor t) {
        ByteBuffer bb = HostData.toByteBuffer(t.borrowHostData(), t.getDataType(), t.size32());
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        return b;
    }
}
