/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static ai.djl.batchinvariant.integration.model.Fixtures.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.GreedyPicks;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Decode steps through the fixed-capacity step that is recorded as a CUDA graph on a GPU (here
 * on the CPU with {@code decode_graph=true}, where the same padded step runs eagerly; {@link
 * GpuDecodeGraphModelTest} replays real graphs): over several steps of growing lengths and batch
 * sizes that fill a bucket or leave padding rows, every request's logits are the eager step's
 * bits, and so are the greedy tokens and log-probabilities picked on the device; the inverse
 * case changes one request's token and sees only that request's row change. The greedy picks are
 * checked against the host argmax and a float64 log-softmax of the logits, and a generator with
 * graphs on gives every request the bits of its solo run.
 */
class DecodeGraphModelTest {

    static ZooModel<NDList, NDList> zoo;
    /** Graphs on. */
    static LlamaModel model;
    /** The same weights, graphs off. */
    static LlamaModel eager;

    static ZooModel<NDList, NDList> load(Device device, String dtype, String compute) throws Exception {
        return Fixtures.loadWith(Fixtures.dir("tiny-llama"), device, "dtype", dtype, "compute_dtype", compute,
                "decode_graph", "true");
    }

    /** Loads the fixture with graphs on into {@link #model} and the same weights with graphs off. */
    static void open(Device device, String dtype, String compute) throws Exception {
        zoo = load(device, dtype, compute);
        model = Fixtures.model(zoo);
        eager = model.withDecodeGraphs(false);
    }

    @BeforeAll
    static void setUp() throws Exception {
        open(Device.cpu(), "bfloat16", "bfloat16");
    }

    @AfterAll
    static void tearDown() {
        if (zoo != null) {
            zoo.close();
            zoo = null;
        }
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    static double logprob(float[] row, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : row) {
            sum += Math.exp(x - max);
        }
        return row[token] - max - Math.log(sum);
    }

    private static List<int[]> single(int[] next) {
        List<int[]> t = new ArrayList<>();
        for (int id : next) {
            t.add(new int[] {id});
        }
        return t;
    }

    @Test
    void replayedDecodeStepsHaveTheEagerBits() {
        assertTrue(model.usesDecodeGraphs());
        int vocab = model.getConfig().getVocabSize();
        Random rnd = new Random(7);
        for (int b : new int[] {1, 3, 8, 13}) {
            try (KvCacheManager cg = model.newKvCache(96); KvCacheManager ce = model.newKvCache(96)) {
                List<KvCacheManager.Sequence> sg = new ArrayList<>();
                List<KvCacheManager.Sequence> se = new ArrayList<>();
                List<int[]> prompts = new ArrayList<>();
                for (int r = 0; r < b; r++) {
                    sg.add(cg.open());
                    se.add(ce.open());
                    prompts.add(GenerationInvarianceTest.prompt(rnd, 1 + rnd.nextInt(20)));
                }
                float[][][] lg = model.forward(cg, sg, prompts, null);
                float[][][] le = eager.forward(ce, se, prompts, null);
                int[] next = new int[b];
                for (int r = 0; r < b; r++) {
                    assertArrayEquals(bits(le[r][0]), bits(lg[r][0]), "prefill, batch " + b + " request " + r);
                    next[r] = argmax(le[r][0]);
                }
                for (int step = 0; step < 5; step++) {
                    lg = model.forward(cg, sg, single(next), null);
                    le = eager.forward(ce, se, single(next), null);
                    for (int r = 0; r < b; r++) {
                        assertEquals(vocab, lg[r][0].length);
                        assertArrayEquals(bits(le[r][0]), bits(lg[r][0]),
                                "decode step " + step + ", batch " + b + " request " + r);
                        next[r] = argmax(le[r][0]);
                    }
                }
                // the steps above were replays, not an eager fallback
                assertEquals(1, model.recordedDecodeSteps(cg), "batch " + b);
                assertEquals(0, eager.recordedDecodeSteps(ce));
                // greedy picks on the device: the host argmax, and the float64 log-softmax within float32 rounding
                float[][][] before = eager.forward(ce, se, single(next), null);
                GreedyPicks g = model.forwardGreedy(cg, sg, single(next));
                assertEquals(2, model.recordedDecodeSteps(cg));
                for (int r = 0; r < b; r++) {
                    int t = g.getTokens()[r];
                    assertEquals(argmax(before[r][0]), t, "greedy token, batch " + b + " request " + r);
                    double want = logprob(before[r][0], t);
                    assertEquals(want, g.getLogprobs()[r], 1e-5 * Math.max(1, Math.abs(want)), "logprob, request " + r);
                    next[r] = t;
                }
                // the inverse: request 0 fed another token changes its row only
                int[] other = next.clone();
                other[0] = (next[0] + 1) % vocab;
                float[][][] changed = model.forward(cg, sg, single(other), null);
                float[][][] same = eager.forward(ce, se, single(next), null);
                assertFalse(Arrays.equals(bits(same[0][0]), bits(changed[0][0])), "a different token, batch " + b);
                for (int r = 1; r < b; r++) {
                    assertArrayEquals(bits(same[r][0]), bits(changed[r][0]), "batch " + b + " request " + r);
                }
            }
        }
    }

    @Test
    void aGeneratorWithGraphsGivesEachRequestItsSoloBits() {
        Random rnd = new Random(11);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(GenerationInvarianceTest.prompt(rnd, 2 + rnd.nextInt(15)));
        }
        for (boolean keep : new boolean[] {true, false}) {
            List<Generator.Request> batched = run(prompts, keep, 6);
            for (int i = 0; i < prompts.size(); i++) {
                Generator.Request solo = run(List.of(prompts.get(i)), keep, 1).get(0);
                assertArrayEquals(solo.getTokens(), batched.get(i).getTokens(), "request " + i + " keep " + keep);
                assertArrayEquals(bits(solo.getLogprobs()), bits(batched.get(i).getLogprobs()),
                        "request " + i + " keep " + keep);
                assertEquals(8, solo.getTokens().length);
            }
            if (!keep) {
                // the device's picks are the host's greedy tokens
                List<Generator.Request> host = run(prompts, true, 6);
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(host.get(i).getTokens(), batched.get(i).getTokens(), "request " + i);
                    float[] a = host.get(i).getLogprobs();
                    float[] d = batched.get(i).getLogprobs();
                    for (int j = 0; j < a.length; j++) {
                        assertEquals(a[j], d[j], 1e-5 * Math.max(1, Math.abs(a[j])), "request " + i + " token " + j);
                    }
                }
            }
        }
    }

    private static List<Generator.Request> run(List<int[]> prompts, boolean keep, int maxBatch) {
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 4, maxBatch).setKeepLogits(keep);
            List<Generator.Request> out = new ArrayList<>();
            for (int[] p : prompts) {
                out.add(g.submit(p, SamplingConfig.greedy(8), false, null));
            }
            g.runToCompletion();
            assertTrue(model.recordedDecodeSteps(cache) > 0, "decode steps were replayed");
            return out;
        }
    }
}
