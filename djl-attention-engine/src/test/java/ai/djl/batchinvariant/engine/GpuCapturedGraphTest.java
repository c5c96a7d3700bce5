/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaAttention;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

/**
 * {@link CapturedGraph} on a GPU: a chain of ops (GEMM, element-wise, reductions, softmax,
 * scalar operands) and DJL's TransformerEncoderBlock recorded once and replayed on new values
 * with the bits of eager runs; the outputs are the same arrays each replay; a step that reads to
 * the host or uses an op without a kernel is refused by name, and the device keeps working.
 */
@Tag("gpu")
class GpuCapturedGraphTest {

    private static NDManager gpu;
    private static String defaultEngine;

    @BeforeAll
    static void setUp() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
        defaultEngine = System.getProperty("ai.djl.default_engine");
        System.setProperty("ai.djl.default_engine", "BatchInvariant");
        gpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0));
    }

    @AfterAll
    static void tearDown() {
        if (gpu != null) {
            gpu.close();
            if (defaultEngine == null) {
                System.clearProperty("ai.djl.default_engine");
            } else {
                System.setProperty("ai.djl.default_engine", defaultEngine);
            }
        }
    }

    private static NDArray random(Shape s, long seed) {
        try (NDManager host = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu())) {
            java.util.Random r = new java.util.Random(seed);
            float[] v = new float[(int) s.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            NDArray a = host.create(v, s).toDevice(Device.gpu(0), true);
            a.attach(gpu);
            return a;
        }
    }

    private static void assertSameBits(NDList eager, NDList replayed, String what) {
        for (int i = 0; i < eager.size(); i++) {
            assertArrayEquals(CapturedGraphTest.bits(eager.get(i)), CapturedGraphTest.bits(replayed.get(i)),
                    what + ": output " + i);
        }
    }

    @Test
    void aChainOfOpsReplaysWithTheBitsOfEagerRuns() {
        Function<NDList, NDList> step = in -> {
            NDArray h = in.get(0).matMul(in.get(1)).add(0.5f).mul(in.get(2)).tanh();
            NDArray n = h.getNDArrayInternal().layerNorm(h, new Shape(64), null, null, 1e-5f).singletonOrThrow();
            return new NDList(n.softmax(-1), h.max(new int[] {1}), h.toType(DataType.BFLOAT16, false));
        };
        NDList example = new NDList(random(new Shape(33, 128), 1), random(new Shape(128, 64), 2),
                random(new Shape(64), 3));
        try (CapturedGraph g = CapturedGraph.capture(gpu, step, example)) {
            assertTrue(g.getDeviceBytes() > 0, "the graph owns the memory it recorded");
            NDList first = null;
            for (int t = 0; t < 3; t++) {
                NDList in = new NDList(random(new Shape(33, 128), 10 + t), random(new Shape(128, 64), 20 + t),
                        random(new Shape(64), 30 + t));
                NDList out = g.replay(in);
                if (first == null) {
                    first = out;
                }
                assertSame(first.get(0), out.get(0), "replay overwrites the same output arrays");
                assertSameBits(step.apply(in), out, "trial " + t);
            }
        }
    }

    @Test
    void aTransformerEncoderBlockReplaysWithTheBitsOfEagerRuns() {
        Block block = new TransformerEncoderBlock(64, 4, 128, 0.1f, Activation::gelu);
        Shape shape = new Shape(3, 11, 64);
        block.initialize(gpu, DataType.FLOAT32, shape);
        ParameterStore ps = new ParameterStore(gpu, false);
        Function<NDList, NDList> step = in -> block.forward(ps, in, false);
        try (CapturedGraph g = CapturedGraph.capture(gpu, step, new NDList(random(shape, 5)))) {
            for (int t = 0; t < 2; t++) {
                NDArray x = random(shape, 40 + t);
                assertSameBits(step.apply(new NDList(x)), g.replay(new NDList(x)), "TransformerEncoderBlock trial " + t);
            }
        }
    }

    @Test
    void hostReadsAndOpsWithoutKernelsAreRefusedByName() {
        NDList example = new NDList(random(new Shape(4, 8), 7));
        IllegalStateException read = assertThrows(IllegalStateException.class, () -> CapturedGraph.capture(gpu,
                in -> new NDList(gpu.create(in.get(0).exp().toFloatArray())), example));
        assertTrue(read.getMessage().contains("captured CUDA graph"), read.getMessage());
        IllegalStateException cpuOnly = assertThrows(IllegalStateException.class, () -> CapturedGraph.capture(gpu,
                in -> new NDList(in.get(0).cumSum(1)), example));
        assertTrue(cpuOnly.getMessage().contains("cumSum") && cpuOnly.getMessage().contains("captured"),
                cpuOnly.getMessage());
        // the device is unharmed: eager work goes on
        assertArrayEquals(new float[] {2f, 4f}, gpu.create(new float[] {1f, 2f}).mul(2).toFloatArray());
    }
}
