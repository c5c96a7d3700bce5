/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.batchinvariant.zoo.CausalLmTranslatorFactory;
import ai.djl.batchinvariant.zoo.TextTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model directory set up for DJL Serving: serving.properties names the engine and
 * {@code translatorFactory}, with {@code option.*} sampling keys; loaded as DJL Serving loads it
 * ({@code Input -> Output}, no factory in the Criteria), its answers are the {@link Generator}'s
 * under those options, and per-request JSON parameters override them.
 */
class ServingPropertiesTest {

    @TempDir
    static Path tmp;
    private static Path dir;

    @BeforeAll
    static void modelDir() throws Exception {
        dir = tmp.resolve("served");
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(Fixtures.dir("tiny-llama").resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("serving.properties"), "engine=BatchInvariant\n"
                + "translatorFactory=" + CausalLmTranslatorFactory.class.getName() + "\n"
                + "option.max_new_tokens=5\noption.temperature=0.7\noption.seed=9\n");
    }

    private static JsonObject serve(String body) throws Exception {
        try (ZooModel<Input, Output> m = Criteria.builder().setTypes(Input.class, Output.class).optModelPath(dir)
                        .build().loadModel();
                Predictor<Input, Output> p = m.newPredictor()) {
            Input in = new Input();
            in.add(body);
            Output out = p.predict(in);
            assertEquals("application/json", out.getProperty("Content-Type", null));
            return JsonParser.parseString(out.getData().getAsString()).getAsJsonObject();
        }
    }

    private static int[] generator(int[] prompt, SamplingConfig config) throws Exception {
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-llama"))) {
            LlamaModel model = Fixtures.model(zoo);
            try (KvCacheManager cache = model.newKvCache()) {
                Generator g = new Generator(model, cache, 8, 1);
                Generator.Request r = g.submit(prompt, config, false, null);
                g.runToCompletion();
                return r.getTokens();
            }
        }
    }

    private static int[] ids(JsonObject o) {
        JsonArray a = o.getAsJsonArray("token_ids");
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        assertEquals(r.length, o.getAsJsonArray("logprobs").size());
        return r;
    }

    @Test
    void plainTextUsesTheOptionsOfServingProperties() throws Exception {
        JsonObject o = serve("bud dad big");
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            int[] want = generator(tok.encode("bud dad big"),
                    SamplingConfig.greedy(5).withSampling(0.7f, 0, 1f, 9).withStopTokens(2));
            assertArrayEquals(want, ids(o), o.toString());
            assertEquals(tok.decode(want), o.get("generated_text").getAsString());
        }
    }

    @Test
    void requestParametersOverrideTheOptions() throws Exception {
        JsonObject o = serve("{\"inputs\": \"bud dad big\", \"parameters\": {\"max_new_tokens\": 3, \"temperature\": 0}}");
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            assertArrayEquals(generator(tok.encode("bud dad big"), SamplingConfig.greedy(3).withStopTokens(2)), ids(o));
        }
        Fixtures f = Fixtures.expected("tiny-llama");
        StringBuilder prompt = new StringBuilder();
        for (int id : f.prompt) {
            prompt.append(prompt.length() == 0 ? "" : ",").append(id);
        }
        o = serve("{\"inputs\": [" + prompt + "], \"parameters\": {\"max_new_tokens\": 12, \"temperature\": 0,"
                + " \"stop_token_ids\": []}}");
        assertArrayEquals(f.greedy, ids(o), "token-id input gives transformers' greedy continuation");
    }

    @Test
    void badParameterIsNamed() {
        Exception e = assertThrows(Exception.class,
                () -> serve("{\"inputs\": \"bud\", \"parameters\": {\"top_k\": \"many\"}}"));
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t.getMessage()).append('\n');
        }
        assertTrue(s.toString().contains("top_k=many"), s.toString());
    }
}
