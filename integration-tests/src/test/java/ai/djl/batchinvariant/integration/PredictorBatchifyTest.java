/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * DJL's default inference path on this engine: {@code model.newPredictor(translator).predict(x)}
 * with the translator's default {@code Batchifier.STACK}, which stacks the input into a batch of
 * one and splits the output back with {@code split(batchSize)}. The values are checked against
 * the same model (same parameters) on DJL's PyTorch engine.
 */
class PredictorBatchifyTest {

    private static final int IN = 7;
    private static final int OUT = 5;

    /** float[] in, float[] out; the default batchifier (STACK) is kept on purpose. */
    private static final class Floats implements Translator<float[], float[]> {
        @Override
        public NDList processInput(TranslatorContext ctx, float[] input) {
            return new NDList(ctx.getNDManager().create(input));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }
    }

    private static Block linear() {
        return Linear.builder().setUnits(OUT).build();
    }

    private static float[] input(long seed) {
        Random r = new Random(seed);
        float[] v = new float[IN];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void predictWithDefaultBatchifierMatchesPyTorch() throws Exception {
        Shape batchOfOne = new Shape(1, IN);
        try (Model torch = Model.newInstance("linear", "PyTorch");
                Model ours = Model.newInstance("linear", "BatchInvariant")) {
            Block ref = linear();
            Blocks.initRandom(ref, torch.getNDManager(), 17, batchOfOne);
            torch.setBlock(ref);
            Block mine = linear();
            Blocks.load(mine, ours.getNDManager(), Blocks.save(ref), batchOfOne);
            ours.setBlock(mine);
            try (Predictor<float[], float[]> pt = torch.newPredictor(new Floats());
                    Predictor<float[], float[]> bi = ours.newPredictor(new Floats())) {
                for (long seed = 1; seed <= 3; seed++) {
                    float[] x = input(seed);
                    float[] expected = pt.predict(x);
                    float[] actual = bi.predict(x);
                    assertEquals(OUT, expected.length, "PyTorch output length");
                    assertArrayEquals(expected, actual, 1e-5f, "predict(" + Arrays.toString(x) + ")");
                }
                // batchPredict goes through the same STACK batchify and split
                List<float[]> xs = List.of(input(4), input(5), input(6));
                List<float[]> e = pt.batchPredict(xs);
                List<float[]> a = bi.batchPredict(xs);
                assertEquals(e.size(), a.size(), "batch size");
                for (int i = 0; i < e.size(); i++) {
                    assertArrayEquals(e.get(i), a.get(i), 1e-5f, "batchPredict element " + i);
                }
            }
        }
    }
}
