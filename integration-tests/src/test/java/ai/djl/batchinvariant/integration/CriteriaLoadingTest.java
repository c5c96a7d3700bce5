/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static ai.djl.batchinvariant.integration.CrossEngine.assertCloseNorm;
import static ai.djl.batchinvariant.integration.CrossEngine.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import ai.djl.batchinvariant.engine.BiModel;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model saved from DJL's {@code ScaledDotProductAttentionBlock} on the PyTorch engine, loaded
 * through {@code Criteria} into the BatchInvariant engine with {@link FusedAttentionBlock}:
 * options by {@code optOption} and by {@code serving.properties}, validated at load.
 */
class CriteriaLoadingTest {

    private static final Shape IN = new Shape(2, 40, 256);

    private static Path saveReference(Path dir, NDArray[] out) throws Exception {
        try (Model pt = Model.newInstance("sdpa", Device.cpu(), "PyTorch")) {
            Block b = ScaledDotProductAttentionBlock.builder().setEmbeddingSize(256).setHeadCount(4).build();
            Blocks.initRandom(b, pt.getNDManager(), 23, IN);
            pt.setBlock(b);
            pt.save(dir, "sdpa");
            NDManager m = pt.getNDManager();
            out[0] = Blocks.forward(b, m, data(m, 5, 1, IN.getShape()));
            out[0].detach();
        }
        return dir;
    }

    private static Criteria.Builder<NDList, NDList> criteria(Path dir) {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(dir)
                .optModelName("sdpa")
                .optEngine("BatchInvariant")
                .optBlock(FusedAttentionBlock.builder().setEmbeddingSize(256).setHeadCount(4).build())
                .optTranslator(new NoopTranslator());
    }

    @Test
    void loadsAndPredictsWithOptOption(@TempDir Path dir) throws Exception {
        NDArray[] ref = new NDArray[1];
        saveReference(dir, ref);
        try (ZooModel<NDList, NDList> model = criteria(dir).optOption("fixed_split_size", "256").build().loadModel();
                Predictor<NDList, NDList> p = model.newPredictor()) {
            assertEquals(256, ((BiModel) model.getWrappedModel()).getOptions().getFixedSplitSize());
            NDManager m = model.getNDManager();
            NDArray out = p.predict(new NDList(data(m, 5, 1, IN.getShape()))).head();
            assertCloseNorm("Criteria-loaded FusedAttentionBlock", out, m.from(ref[0]), 1e-5);
        }
    }

    @Test
    void readsServingProperties(@TempDir Path dir) throws Exception {
        saveReference(dir, new NDArray[1]);
        Files.writeString(dir.resolve("serving.properties"), "option.fixed_split_size=128\noption.page_size=8\n");
        try (ZooModel<NDList, NDList> model = criteria(dir).build().loadModel()) {
            BiModel bm = (BiModel) model.getWrappedModel();
            assertEquals(128, bm.getOptions().getFixedSplitSize());
            assertEquals(8, bm.getOptions().getPageSize());
        }
    }

    @Test
    void rejectsInvalidOptionNamingKeyAndValue(@TempDir Path dir) throws Exception {
        saveReference(dir, new NDArray[1]);
        Exception e = assertThrows(Exception.class, () -> criteria(dir).optOption("fixed_split_size", "100").build().loadModel());
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof IllegalArgumentException)) {
            t = t.getCause();
        }
        assertTrue(t.getMessage().contains("fixed_split_size=100") && t.getMessage().contains("multiple of the KV tile"),
                t.getMessage());
    }
}
