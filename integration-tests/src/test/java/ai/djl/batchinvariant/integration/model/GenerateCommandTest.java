/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.cli.Generate;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.batchinvariant.zoo.TextTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code generate} command: its tokens are transformers' greedy continuation and the {@link
 * Generator}'s (sampled too), its JSON log-probabilities are a float64 log-softmax of the
 * Generator's logits, and each usage mistake is named with its flag and value.
 */
class GenerateCommandTest {

    private static final String DIR = Fixtures.dir("tiny-llama").toString();

    /** Runs {@code main}, returning what it printed. */
    private static String main(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            Generate.main(args);
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static int[] tokensLine(String printed) {
        String line = printed.lines().filter(l -> l.startsWith("tokens:")).findFirst().orElseThrow(
                () -> new AssertionError("no tokens line in:\n" + printed));
        String rest = line.substring("tokens:".length()).trim();
        return rest.isEmpty() ? new int[0] : Arrays.stream(rest.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static Generator.Request generator(int[] prompt, SamplingConfig config) throws Exception {
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-llama"))) {
            LlamaModel model = Fixtures.model(zoo);
            try (KvCacheManager cache = model.newKvCache()) {
                Generator g = new Generator(model, cache, 2, 1);
                Generator.Request r = g.submit(prompt, config, false, null);
                g.runToCompletion();
                return r;
            }
        }
    }

    @Test
    void greedyIdsAreTransformersContinuation() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        String out = main("--model", DIR, "--prompt-ids", csv(f.prompt), "--max-new-tokens", "12", "--stop-ids", "");
        assertArrayEquals(f.greedy, tokensLine(out), out);
        assertArrayEquals(generator(f.prompt, SamplingConfig.greedy(12)).getTokens(), tokensLine(out), out);
    }

    @Test
    void jsonStepsCarryTheGeneratorsTokensAndLogprobs() throws Exception {
        int[] prompt = {1, 40, 41, 42};
        String out = main("--model", DIR, "--prompt-ids", csv(prompt), "--max-new-tokens", "9", "--temperature",
                "0.9", "--seed", "5", "--json");
        Generator.Request r = generator(prompt,
                SamplingConfig.greedy(9).withSampling(0.9f, 0, 1f, 5).withStopTokens(2));
        int[] want = r.getTokens();
        List<float[]> logits = r.getLogits();
        List<String> lines = out.lines().filter(l -> l.startsWith("{")).collect(Collectors.toList());
        assertEquals(want.length, lines.size(), out);
        for (int i = 0; i < want.length; i++) {
            JsonObject o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            assertEquals(i, o.get("step").getAsInt());
            assertEquals(want[i], o.get("token").getAsInt(), lines.get(i));
            double max = Double.NEGATIVE_INFINITY;
            for (float x : logits.get(i)) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (float x : logits.get(i)) {
                sum += Math.exp(x - max);
            }
            double lp = logits.get(i)[want[i]] - max - Math.log(sum);
            assertEquals(lp, o.get("logprob").getAsDouble(), 1e-5 * Math.max(1, Math.abs(lp)), lines.get(i));
        }
    }

    @Test
    void textPromptIsTokenizedAndDecoded() throws Exception {
        String out = main("--model", DIR, "--prompt", "bud dad big", "--max-new-tokens", "6", "--stop-ids", "");
        try (TextTokenizer tok = TextTokenizer.load(Fixtures.dir("tiny-llama"))) {
            int[] want = generator(tok.encode("bud dad big"), SamplingConfig.greedy(6)).getTokens();
            assertArrayEquals(want, tokensLine(out), out);
            assertTrue(out.contains("\ntext: " + tok.decode(want) + "\n"), out);
        }
    }

    @Test
    void djlUrlWorksLikeADirectory() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        String out = main("--model", "djl://ai.djl.batchinvariant/tiny-llama", "--prompt-ids", csv(f.prompt),
                "--max-new-tokens", "12", "--stop-ids", "");
        assertArrayEquals(f.greedy, tokensLine(out), out);
    }

    private static String usageError(int wantRc, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Generate.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(wantRc, rc, err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void usageErrorsNameFlagAndValue() {
        String[][] cases = {
            {"--max-new-tokens 'abc'", "--model", DIR, "--prompt-ids", "1,2", "--max-new-tokens", "abc"},
            {"--max-new-tokens '0'", "--model", DIR, "--prompt-ids", "1,2", "--max-new-tokens", "0"},
            {"--temperature '-1'", "--model", DIR, "--prompt-ids", "1", "--max-new-tokens", "2", "--temperature", "-1"},
            {"--top-p '1.5'", "--model", DIR, "--prompt-ids", "1", "--max-new-tokens", "2", "--top-p", "1.5"},
            {"--seed 'x'", "--model", DIR, "--prompt-ids", "1", "--max-new-tokens", "2", "--seed", "x"},
            {"--prompt-ids=1,a", "--model", DIR, "--prompt-ids", "1,a", "--max-new-tokens", "2"},
            {"--model '/no/such/dir'", "--model", "/no/such/dir", "--prompt-ids", "1", "--max-new-tokens", "2"},
            {"exactly one of --prompt and --prompt-ids", "--model", DIR, "--max-new-tokens", "2"},
            {"exactly one of --prompt and --prompt-ids", "--model", DIR, "--prompt", "a", "--prompt-ids", "1",
                "--max-new-tokens", "2"},
            {"unknown argument '--temp'", "--model", DIR, "--prompt-ids", "1", "--max-new-tokens", "2", "--temp", "1"},
            {"--max-new-tokens needs a value", "--model", DIR, "--prompt-ids", "1", "--max-new-tokens"},
            {"--max-new-tokens is required", "--model", DIR, "--prompt-ids", "1"},
            {"--model is required", "--prompt-ids", "1", "--max-new-tokens", "2"},
        };
        for (String[] c : cases) {
            String err = usageError(2, Arrays.copyOfRange(c, 1, c.length));
            assertTrue(err.contains(c[0]), "expected '" + c[0] + "' in:\n" + err);
            assertTrue(err.contains("usage: generate"), err);
        }
        // a token id outside the vocabulary is the model's refusal, named by the generator
        String err = usageError(1, "--model", DIR, "--prompt-ids", "1,500", "--max-new-tokens", "2");
        assertTrue(err.contains("500") && err.contains("vocabulary"), err);
        err = usageError(2, "--model", Fixtures.dir("tiny-qwen2").toString(), "--prompt", "hi", "--max-new-tokens", "2");
        assertTrue(err.contains("--prompt needs tokenizer.json"), err);
    }
}
