/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * DJL's own blocks on {@code Device.gpu(0)}: the same parameters as on the CPU backend, outputs
 * within float32 tolerances of it, each batch row's bits equal to that row run alone, and no
 * host trip (Linear, LayerNorm, attention, TransformerEncoderBlock, MLP, ResNet).
 */
@Tag("gpu")
class GpuBlocksTest {

    private static final String DEFAULT_ENGINE = "ai.djl.default_engine";
    private static NDManager cpu;
    private static NDManager gpu;
    private static String defaultEngine;

    @BeforeAll
    static void setUp() {
        assumeTrue(Backends.gpuCount() > 0, "no CUDA device: " + Backends.gpuUnavailableReason());
        // DJL's LambdaBlock infers output shapes on a manager of the default engine
        defaultEngine = System.getProperty(DEFAULT_ENGINE);
        System.setProperty(DEFAULT_ENGINE, "BatchInvariant");
        cpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu());
        gpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0));
    }

    @AfterAll
    static void tearDown() {
        if (cpu != null) {
            cpu.close();
            gpu.close();
            if (defaultEngine == null) {
                System.clearProperty(DEFAULT_ENGINE);
            } else {
                System.setProperty(DEFAULT_ENGINE, defaultEngine);
            }
        }
    }

    private static NDArray input(Shape shape, long seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return cpu.create(v, shape);
    }

    /**
     * Runs a block on both devices with the same parameters; returns the GPU's host trips.
     *
     * @param tol absolute tolerance against the CPU backend, relative to the output's scale
     */
    private static long check(String name, Supplier<Block> make, Shape shape, double tol) throws Exception {
        Block onCpu = make.get();
        Blocks.initRandom(onCpu, cpu, 7, shape);
        byte[] params = Blocks.save(onCpu);
        Block onGpu = make.get();
        Blocks.load(onGpu, gpu, params, shape);
        NDArray x = input(shape, 11);
        float[] want = Blocks.forward(onCpu, cpu, x).toFloatArray();
        long before = Backends.hostTrips();
        Map<String, Long> tripsBefore = Backends.hostTripsByOp();
        NDArray xg = x.toDevice(Device.gpu(0), true);
        NDArray yg = Blocks.forward(onGpu, gpu, xg);
        assertEquals(Device.gpu(0), yg.getDevice(), name + " output stays on the GPU");
        long trips = Backends.hostTrips() - before;
        float[] got = yg.toFloatArray();
        assertEquals(want.length, got.length);
        double scale = 1e-6;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= tol * scale)) {
                fail(name + " [" + i + "]: GPU " + got[i] + " vs CPU " + want[i] + " (scale " + scale + ")");
            }
        }
        // each row alone gives the bits it has in the batch
        long rows = shape.get(0);
        int per = got.length / (int) rows;
        for (long r = 0; r < rows; r++) {
            NDArray one = xg.get(r + ":" + (r + 1));
            float[] alone = Blocks.forward(onGpu, gpu, one).toFloatArray();
            for (int i = 0; i < per; i++) {
                if (Float.floatToRawIntBits(alone[i]) != Float.floatToRawIntBits(got[(int) r * per + i])) {
                    fail(name + ": row " + r + " element " + i + " alone " + alone[i] + " vs in batch "
                            + got[(int) r * per + i]);
                }
            }
        }
        System.out.printf("[gpu-blocks] %s: max |GPU-CPU| within %.1g of scale %.3g; host trips %d%s%n", name, tol,
                scale, trips, trips == 0 ? "" : " " + diff(tripsBefore, Backends.hostTripsByOp()));
        return trips;
    }

    private static String diff(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder b = new StringBuilder("{");
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                b.append(b.length() > 1 ? ", " : "").append(k).append('=').append(d);
            }
        });
        return b.append('}').toString();
    }

    @Test
    void blocksWithKernelsStayOnTheDevice() throws Exception {
        assertEquals(0, check("Linear", () -> Linear.builder().setUnits(300).build(), new Shape(5, 700), 1e-5));
        assertEquals(0, check("LayerNorm", () -> LayerNorm.builder().build(), new Shape(4, 3, 96), 1e-5));
        assertEquals(0, check("ScaledDotProductAttentionBlock",
                () -> ScaledDotProductAttentionBlock.builder().setEmbeddingSize(64).setHeadCount(4).build(),
                new Shape(3, 11, 64), 1e-4));
        assertEquals(0, check("TransformerEncoderBlock",
                () -> new TransformerEncoderBlock(64, 4, 128, 0.1f, Activation::gelu), new Shape(3, 11, 64), 1e-4));
        assertEquals(0, check("Mlp", () -> new Mlp(784, 10, new int[] {128, 64}), new Shape(6, 784), 1e-5));
    }

    @Test
    void resNetStaysOnTheDevice() throws Exception {
        Supplier<Block> resnet = () -> ResNetV1.builder().setImageShape(new Shape(3, 32, 32)).setNumLayers(18)
                .setOutSize(10).build();
        assertEquals(0, check("ResNetV1-18", resnet, new Shape(2, 3, 32, 32), 1e-3));
    }
}
