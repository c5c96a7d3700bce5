/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.batchinvariant.integration.RepoFiles;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.batchinvariant.zoo.TextTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the README's text example ({@link GenerateText#main}) and recomputes its line from the
 * test fixture of the same model: the prompt through the tokenizer, the {@link Generator} with the
 * example's sampling, the ids decoded.
 */
class GenerateTextTest {

    private static final Path FIXTURE = RepoFiles.root().resolve("integration-tests/src/test/resources/models/tiny-llama");
    private static final Path BUNDLED =
            RepoFiles.root().resolve("djl-attention-engine/src/main/resources/ai/djl/batchinvariant/zoo/tiny-llama");

    @Test
    void bundledModelIsTheFixture() throws Exception {
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            assertArrayEquals(Files.readAllBytes(FIXTURE.resolve(f)), Files.readAllBytes(BUNDLED.resolve(f)), f);
        }
    }

    @Test
    void mainPrintsTheGeneratorsSampledContinuation() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            GenerateText.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        String printed = buf.toString(StandardCharsets.UTF_8).trim();

        try (TextTokenizer tok = TextTokenizer.load(FIXTURE);
                ZooModel<NDList, NDList> zoo = Criteria.builder().setTypes(NDList.class, NDList.class)
                        .optEngine("BatchInvariant").optModelPath(FIXTURE).build().loadModel()) {
            LlamaModel model = ((CausalLmBlock) zoo.getBlock()).getModel();
            try (KvCacheManager cache = model.newKvCache()) {
                Generator g = new Generator(model, cache, 4, 1);
                // the example's options; the stop token is config.json's eos_token_id
                Generator.Request r = g.submit(tok.encode("bud dad big"),
                        SamplingConfig.greedy(8).withSampling(0.8f, 0, 1f, 42).withStopTokens(2), false, null);
                g.runToCompletion();
                String want = tok.decode(r.getTokens());
                assertFalse(want.isEmpty());
                assertEquals(want, printed);
            }
        }
    }
}
