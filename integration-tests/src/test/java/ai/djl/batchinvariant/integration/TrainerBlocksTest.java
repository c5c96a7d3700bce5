/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.basicmodelzoo.cv.classification.LeNet;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * DJL's stock blocks through a {@code Trainer} on this engine: initialisation, evaluation ({@code
 * trainer.evaluate} and {@code EasyTrain.validateBatch}), agreement with DJL's PyTorch engine on the
 * same parameter values (copied by name), loading {@code .params} the PyTorch engine saved, and
 * batch invariance (row i of a batch of 7 equals its solo result bitwise). Training itself is
 * refused with a message naming training.
 */
class TrainerBlocksTest {

    private static final int BATCH = 7;

    @TempDir
    Path dir;

    private static TrainingConfig config() {
        return new DefaultTrainingConfig(Loss.l2Loss()).optDevices(new Device[] {Device.cpu()});
    }

    /** Overwrites every parameter (running statistics too) with seeded values; variances stay positive. */
    private static void randomise(Block block, long seed) {
        Random r = new Random(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean variance = p.getKey().toLowerCase().contains("var");
            double scale = 1.0 / Math.sqrt(Math.max(1, a.getShape().size() / Math.max(1, a.getShape().get(0))));
            for (int i = 0; i < v.length; i++) {
                double g = r.nextGaussian();
                v[i] = (float) (variance ? 0.5 + Math.abs(g) * 0.2 : g * scale);
            }
            a.set(FloatBuffer.wrap(v));
        }
    }

    /** Copies parameter values from one engine's block to another's, matching parameters by name. */
    private static void copyByName(Block from, Block to) {
        var target = to.getParameters();
        int copied = 0;
        for (Pair<String, Parameter> p : from.getParameters()) {
            Parameter q = target.get(p.getKey());
            assertTrue(q != null, "parameter " + p.getKey() + " exists on both engines");
            q.getArray().set(FloatBuffer.wrap(p.getValue().getArray().toFloatArray()));
            copied++;
        }
        assertEquals(target.size(), copied, "every parameter copied");
    }

    private static NDArray evaluate(Trainer t, NDArray x) {
        return t.evaluate(new NDList(x)).head();
    }

    /** Rows of {@code batch}'s output that differ bitwise from the same input run alone. */
    static List<Integer> nonInvariantRows(Trainer t, NDArray batch) {
        float[] all = evaluate(t, batch).toFloatArray();
        int per = all.length / (int) batch.getShape().get(0);
        List<Integer> bad = new ArrayList<>();
        for (int i = 0; i < batch.getShape().get(0); i++) {
            float[] solo = evaluate(t, batch.get(new NDIndex(i + ":" + (i + 1)))).toFloatArray();
            for (int j = 0; j < per; j++) {
                if (Float.floatToRawIntBits(solo[j]) != Float.floatToRawIntBits(all[i * per + j])) {
                    bad.add(i);
                    break;
                }
            }
        }
        return bad;
    }

    /**
     * The whole check for one block: PyTorch initialises through its Trainer, gets seeded values and
     * saves them; ours initialises through its Trainer, receives the values by name, must match
     * PyTorch, must load PyTorch's file to the same bits, and must be batch-invariant.
     */
    private void check(String name, Supplier<Block> make, double relTol, long... sample) throws Exception {
        long[] dims = new long[sample.length + 1];
        dims[0] = BATCH;
        System.arraycopy(sample, 0, dims, 1, sample.length);
        Shape in = new Shape(dims);
        try (Model pt = Model.newInstance(name, Device.cpu(), "PyTorch");
                Model ours = Model.newInstance(name, Device.cpu(), "BatchInvariant");
                Model loaded = Model.newInstance(name, Device.cpu(), "BatchInvariant")) {
            pt.setBlock(make.get());
            ours.setBlock(make.get());
            NDArray ref;
            try (Trainer tp = pt.newTrainer(config())) {
                tp.initialize(in);
                randomise(pt.getBlock(), 42);
                ref = evaluate(tp, CrossEngine.data(tp.getManager(), 7, 1f, dims));
                ref.attach(pt.getNDManager());
            }
            pt.save(dir, name);

            try (Trainer t = ours.newTrainer(config())) {
                t.initialize(in);
                assertEquals("BatchInvariant", ours.getBlock().getParameters().valueAt(0).getArray().getManager()
                        .getEngine().getEngineName(), name + ": parameters live on our engine");
                copyByName(pt.getBlock(), ours.getBlock());
                NDArray x = CrossEngine.data(t.getManager(), 7, 1f, dims);
                NDArray out = evaluate(t, x);
                CrossEngine.assertCloseNorm(name + " vs PyTorch", out, ref, relTol);
                assertEquals(List.of(), nonInvariantRows(t, x), name + ": rows that change with the batch");

                loaded.setBlock(make.get());
                loaded.load(dir, name);
                try (Trainer tl = loaded.newTrainer(config())) {
                    NDArray y = evaluate(tl, CrossEngine.data(tl.getManager(), 7, 1f, dims));
                    assertArrayEquals(out.toFloatArray(), y.toFloatArray(),
                            name + ": PyTorch-saved .params load unchanged (same bits as copied values)");
                }
            }
        }
    }

    @Test
    void linear() throws Exception {
        check("linear", () -> Linear.builder().setUnits(5).build(), 1e-5, 6);
    }

    @Test
    void conv2d() throws Exception {
        check("conv2d", () -> Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4)
                .optStride(new Shape(2, 2)).optPadding(new Shape(1, 1)).build(), 1e-5, 3, 9, 11);
    }

    @Test
    void batchNorm() throws Exception {
        check("batchnorm", () -> BatchNorm.builder().build(), 1e-5, 4, 5, 5);
    }

    @Test
    void layerNorm() throws Exception {
        check("layernorm", () -> LayerNorm.builder().build(), 1e-5, 10);
    }

    @Test
    void mlp() throws Exception {
        check("mlp", () -> new Mlp(8, 3, new int[] {16, 8}), 1e-5, 8);
    }

    @Test
    void leNet() throws Exception {
        check("lenet", () -> LeNet.builder().setOutSize(10).build(), 1e-4, 1, 28, 28);
    }

    @Test
    void resNet18() throws Exception {
        check("resnet18", () -> ResNetV1.builder().setImageShape(new Shape(3, 32, 32)).setNumLayers(18)
                .setOutSize(10).build(), 1e-4, 3, 32, 32);
    }

    @Test
    void transformerEncoder() throws Exception {
        check("encoder", () -> new TransformerEncoderBlock(16, 2, 32, 0.1f, Activation::relu), 1e-4, 5, 16);
    }

    /** The invariance check catches an op whose row result depends on the batch (mean over the batch). */
    @Test
    void invarianceCheckCatchesBatchDependentOp() {
        try (Model m = Model.newInstance("inverse", Device.cpu(), "BatchInvariant")) {
            m.setBlock(new LambdaBlock(l -> new NDList(l.head().sub(l.head().mean(new int[] {0}, true)))));
            try (Trainer t = m.newTrainer(config())) {
                t.initialize(new Shape(BATCH, 4));
                NDArray x = CrossEngine.data(t.getManager(), 3, 1f, BATCH, 4);
                assertFalse(nonInvariantRows(t, x).isEmpty(), "a batch-mean subtraction must be reported");
            }
        }
    }

    /** EasyTrain.validateBatch runs the evaluation path (inference mode) and updates the loss evaluator. */
    @Test
    void validateBatchEvaluates() {
        try (Model m = Model.newInstance("mlp", Device.cpu(), "BatchInvariant")) {
            m.setBlock(new Mlp(8, 3, new int[] {16}));
            try (Trainer t = m.newTrainer(config())) {
                t.initialize(new Shape(BATCH, 8));
                NDManager tm = t.getManager();
                Batch b = new Batch(tm, new NDList(CrossEngine.data(tm, 5, 1f, BATCH, 8)),
                        new NDList(CrossEngine.data(tm, 6, 1f, BATCH, 3)), BATCH, Batchifier.STACK, Batchifier.STACK,
                        0, 1);
                EasyTrain.validateBatch(t, b);
                b.close();
            }
        }
    }

    /** Gradients, backward and optimizer steps are refused with a message that names training. */
    @Test
    void trainingIsRefusedByName() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Engine.getEngine("BatchInvariant").newGradientCollector());
        assertTrue(e.getMessage().contains("training"), e.getMessage());
        try (Model m = Model.newInstance("bn", Device.cpu(), "BatchInvariant")) {
            m.setBlock(BatchNorm.builder().build());
            try (Trainer t = m.newTrainer(config())) {
                t.initialize(new Shape(2, 3, 4));
                e = assertThrows(UnsupportedOperationException.class, t::newGradientCollector);
                assertTrue(e.getMessage().contains("training"), e.getMessage());
                e = assertThrows(UnsupportedOperationException.class, t::step);
                assertTrue(e.getMessage().contains("training"), e.getMessage());
                NDList x = new NDList(CrossEngine.data(t.getManager(), 1, 1f, 2, 3, 4));
                e = assertThrows(UnsupportedOperationException.class, () -> t.forward(x));
                assertTrue(e.getMessage().contains("training"), e.getMessage());
            }
        }
    }
}
