/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.batchinvariant.engine.BiModel;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bad options reach the user as an {@link IllegalArgumentException} naming the key, the value and
 * what is allowed (or the closest valid key for a misspelt one), whichever way they were given:
 * {@code Criteria.optOption}, {@code option.<key>} in {@code serving.properties}, or a system
 * property; and a fixed system property works again in the same JVM.
 */
class OptionErrorsTest {

    private static final Shape IN = new Shape(1, 6, 64);
    private static final String SPLIT_PROPERTY = "ai.djl.batchinvariant.fixed_split_size";

    @AfterEach
    void clearProperty() {
        System.clearProperty(SPLIT_PROPERTY);
    }

    private static Block block() {
        return Linear.builder().setUnits(64).build();
    }

    /** Saves a small model with this engine, so no other engine is needed. */
    private static Path save(Path dir) throws Exception {
        try (Model m = Model.newInstance("attn", Device.cpu(), "BatchInvariant")) {
            Block b = block();
            b.initialize(m.getNDManager(), DataType.FLOAT32, IN);
            m.setBlock(b);
            m.save(dir, "attn");
        }
        return dir;
    }

    private static Criteria.Builder<NDList, NDList> criteria(Path dir) {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(dir)
                .optModelName("attn")
                .optEngine("BatchInvariant")
                .optBlock(block())
                .optTranslator(new NoopTranslator());
    }

    private static String failure(Executable load) {
        Throwable t = assertThrows(Exception.class, load);
        while (t.getCause() != null && !(t instanceof IllegalArgumentException)) {
            t = t.getCause();
        }
        assertTrue(t instanceof IllegalArgumentException, "not an IllegalArgumentException: " + t);
        return t.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void badOptOptionValue(@TempDir Path dir) throws Exception {
        save(dir);
        assertMentions(failure(() -> criteria(dir).optOption("dtype", "int8").build().loadModel()),
                "option dtype=int8 is invalid", "float32, float16 or bfloat16");
        assertMentions(failure(() -> criteria(dir).optOption("disable_split_kv", "maybe").build().loadModel()),
                "option disable_split_kv=maybe is invalid", "true or false");
    }

    @Test
    void badServingPropertiesValue(@TempDir Path dir) throws Exception {
        save(dir);
        Files.writeString(dir.resolve("serving.properties"), "option.page_size=0\n");
        assertMentions(failure(() -> criteria(dir).build().loadModel()),
                "option page_size=0 is invalid", "an integer from 1 to 1024");
    }

    @Test
    void misspeltKeyNamesTheClosestValidKey(@TempDir Path dir) throws Exception {
        save(dir);
        assertMentions(failure(() -> criteria(dir).optOption("fixed_split_sise", "512").build().loadModel()),
                "unknown option fixed_split_sise=512", "did you mean fixed_split_size?");
        Files.writeString(dir.resolve("serving.properties"), "option.page_sise=8\n");
        assertMentions(failure(() -> criteria(dir).build().loadModel()),
                "unknown option page_sise=8", "did you mean page_size?");
    }

    @Test
    void badSystemPropertyFailsTheLoadAndWorksOnceFixed(@TempDir Path dir) throws Exception {
        save(dir);
        System.setProperty(SPLIT_PROPERTY, "abc");
        assertMentions(failure(() -> criteria(dir).build().loadModel()),
                "system property ai.djl.batchinvariant.fixed_split_size=abc is invalid",
                "a positive multiple of the KV tile (64) in tokens");
        System.setProperty(SPLIT_PROPERTY, "128");
        Files.writeString(dir.resolve("serving.properties"), "option.page_size=8\n");
        try (ZooModel<NDList, NDList> model = criteria(dir).build().loadModel();
                Predictor<NDList, NDList> p = model.newPredictor()) {
            BiModel bm = (BiModel) model.getWrappedModel();
            assertEquals(128, bm.getOptions().getFixedSplitSize());
            assertEquals(8, bm.getOptions().getPageSize());
            NDList out = p.predict(new NDList(model.getNDManager().randomUniform(-1, 1, IN)));
            assertEquals(IN, out.head().getShape());
        }
    }
}
