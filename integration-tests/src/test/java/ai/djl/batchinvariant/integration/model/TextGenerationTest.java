/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.batchinvariant.zoo.CausalLmTranslatorFactory;
import ai.djl.batchinvariant.zoo.TextTokenizer;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Text in and out: tokenizer.json (made by tools/make_tiny_tokenizer.py) encodes as the
 * generator's own plain lookup says and as the Hugging Face tokenizers library does, decodes back,
 * and text generation equals the id path and the {@link Generator}, greedy and sampled.
 */
class TextGenerationTest {

    private static final Path DIR = Fixtures.dir("tiny-llama");

    private static int[] ints(JsonElement a) {
        return a.getAsJsonArray().asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    @Test
    void tokenizerMatchesReferenceAndLibraryAndRoundTrips() throws Exception {
        JsonObject exp = JsonParser.parseString(Files.readString(DIR.resolve("tokenizer-expected.json")))
                .getAsJsonObject();
        int checked = 0;
        try (TextTokenizer ours = TextTokenizer.load(DIR);
                HuggingFaceTokenizer lib = HuggingFaceTokenizer.newInstance(DIR.resolve("tokenizer.json"), Map.of())) {
            for (JsonElement e : exp.getAsJsonArray("texts")) {
                String text = e.getAsJsonObject().get("text").getAsString();
                int[] want = ints(e.getAsJsonObject().get("ids"));
                int[] got = ours.encode(text);
                assertArrayEquals(want, got, text);
                long[] libIds = lib.encode(text).getIds();
                assertArrayEquals(want, java.util.Arrays.stream(libIds).mapToInt(Math::toIntExact).toArray(), text);
                String normalized = String.join(" ", text.trim().split("\\s+"));
                if (!text.contains("qqq")) {
                    assertEquals(normalized, ours.decode(got), text);
                    assertEquals(lib.decode(libIds, true), ours.decode(got), text);
                } else {
                    assertTrue(java.util.Arrays.stream(got).anyMatch(id -> id == 0), "unknown word gives <unk>");
                }
                checked++;
            }
        }
        assertEquals(6, checked);
    }

    private static <I, O> O predict(Class<I> in, Class<O> out, I input, Map<String, String> args) throws Exception {
        Criteria.Builder<I, O> b = Criteria.builder().setTypes(in, out).optEngine("BatchInvariant").optModelPath(DIR)
                .optTranslatorFactory(new CausalLmTranslatorFactory());
        args.forEach(b::optArgument);
        try (ZooModel<I, O> m = b.build().loadModel(); Predictor<I, O> p = m.newPredictor()) {
            return p.predict(input);
        }
    }

    private static int[] generator(int[] prompt, SamplingConfig config) throws Exception {
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(DIR)) {
            LlamaModel model = Fixtures.model(zoo);
            try (KvCacheManager cache = model.newKvCache()) {
                Generator g = new Generator(model, cache, 3, 4);
                Generator.Request r = g.submit(prompt, config, false, null);
                g.runToCompletion();
                return r.getTokens();
            }
        }
    }

    @Test
    void textGenerationEqualsIdPathAndGenerator() throws Exception {
        String prompt = "dol bad biv bud dad";
        int[] ids;
        try (TextTokenizer tok = TextTokenizer.load(DIR)) {
            ids = tok.encode(prompt);
            assertEquals(6, ids.length);
            for (Map<String, String> args : new Map[] {
                    Map.of("max_new_tokens", "10", "stop_token_ids", ""),
                    Map.of("max_new_tokens", "12", "temperature", "0.9", "top_k", "20", "top_p", "0.9", "seed", "7"),
                    Map.of("max_new_tokens", "12", "temperature", "1.5", "seed", "42", "stop_token_ids", "")}) {
                int[] viaIds = predict(int[].class, int[].class, ids, args);
                String text = predict(String.class, String.class, prompt, args);
                SamplingConfig c = SamplingConfig.greedy(Integer.parseInt(args.get("max_new_tokens")));
                if (args.containsKey("temperature")) {
                    c = c.withSampling(Float.parseFloat(args.get("temperature")),
                            Integer.parseInt(args.getOrDefault("top_k", "0")),
                            Float.parseFloat(args.getOrDefault("top_p", "1")), Long.parseLong(args.get("seed")));
                }
                // the default stop token is config.json's eos_token_id (2)
                c = c.withStopTokens(args.containsKey("stop_token_ids") ? new int[0] : new int[] {2});
                assertArrayEquals(generator(ids, c), viaIds, args.toString());
                assertEquals(tok.decode(viaIds), text, args.toString());
                assertFalse(text.isEmpty() && viaIds.length > 0 && viaIds[0] > 2, args.toString());
            }
        }
    }

    @Test
    void sampledTextDependsOnTheSeed() throws Exception {
        Map<String, String> a = Map.of("max_new_tokens", "12", "temperature", "2", "seed", "1", "stop_token_ids", "");
        Map<String, String> b = Map.of("max_new_tokens", "12", "temperature", "2", "seed", "2", "stop_token_ids", "");
        assertFalse(predict(String.class, String.class, "dis", a).equals(predict(String.class, String.class, "dis", b)));
        assertEquals(predict(String.class, String.class, "dis", a), predict(String.class, String.class, "dis", a));
    }

    @Test
    void textWithoutTokenizerJsonSaysWhatIsMissing() {
        Criteria<String, String> c = Criteria.builder().setTypes(String.class, String.class).optEngine("BatchInvariant")
                .optModelPath(Fixtures.dir("tiny-qwen2")).optTranslatorFactory(new CausalLmTranslatorFactory()).build();
        Exception e = assertThrows(Exception.class, c::loadModel);
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t.getMessage()).append('\n');
        }
        assertTrue(s.toString().contains("tokenizer.json"), s.toString());
    }
}
