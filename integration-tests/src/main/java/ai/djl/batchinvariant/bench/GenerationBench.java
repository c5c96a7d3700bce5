/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.Device;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Greedy generation with the engine's {@link Generator} over a Hugging Face model directory
 * loaded through DJL's {@code Criteria}, timed on the host clock (every step ends with its
 * tokens on the host):
 *
 * <ul>
 *   <li>decode: {@code requests} requests of {@code prompt} random tokens, each generating {@code
 *       new} tokens, run in groups of B for every B of {@code batches}; decode tok/s = B × (new −
 *       1) per group over the time after each group's first step; TTFT = the first step (the
 *       group's prefill and first token);
 *   <li>prefill: {@code prefill_batch} requests of {@code prefill_len} tokens in one step (one
 *       new token each), prefill tok/s and TTFT, the median of {@code repeats} runs;
 *   <li>invariance: each request's tokens and log-probability bits must be the same in every
 *       batching (exit status 1 otherwise).
 * </ul>
 *
 * <p>Every group first runs once untimed with {@code warmup} new tokens (default 3; decode graphs
 * recorded, JIT warm: on the CPU, where the JIT compiles the kernels, 32 or more). The decode line
 * also gives the fastest and the median single decode step.
 * Tokens and log-probabilities are picked on the device ({@code Generator.setKeepLogits(false)}).
 * Prints {@code RESULT ours <metric> <value>} lines, which tools/llama1b_bench.sh joins with
 * transformers' figures. Usage: {@code GenerationBench DIR [key=value ...]} with keys device
 * ({@code gpu} or {@code cpu}), dtype, decode_graph, batches (comma list), requests, prompt, new,
 * prefill_batch, prefill_len, repeats, page_size, warmup.
 */
public final class GenerationBench {

    private GenerationBench() {}

    /** What one request produced. */
    private static final class Answer {
        final int[] tokens;
        final int[] logprobBits;

        Answer(Generator.Request r) {
            tokens = r.getTokens();
            float[] lp = r.getLogprobs();
            logprobBits = new int[lp.length];
            for (int i = 0; i < lp.length; i++) {
                logprobBits[i] = Float.floatToRawIntBits(lp[i]);
            }
        }

        boolean same(Answer o) {
            return Arrays.equals(tokens, o.tokens) && Arrays.equals(logprobBits, o.logprobBits);
        }
    }

    /**
     * Entry point.
     *
     * @param args the model directory, then key=value settings
     * @throws Exception if the model cannot be loaded
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.out.println("usage: GenerationBench DIR [device=gpu|cpu] [dtype=bfloat16] [batches=1,8,64]"
                    + " [requests=64] [prompt=128] [new=128] [prefill_batch=8] [prefill_len=2048] [repeats=3]");
            System.exit(2);
        }
        Path dir = Paths.get(args[0]);
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("device", "gpu");
        cfg.put("dtype", "bfloat16");
        cfg.put("decode_graph", "auto");
        cfg.put("batches", "1,8,64");
        cfg.put("requests", "64");
        cfg.put("prompt", "128");
        cfg.put("new", "128");
        cfg.put("prefill_batch", "8");
        cfg.put("prefill_len", "2048");
        cfg.put("repeats", "3");
        cfg.put("page_size", "16");
        cfg.put("warmup", "3");
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq < 0 || !cfg.containsKey(args[i].substring(0, eq))) {
                throw new IllegalArgumentException("unknown setting " + args[i] + "; settings: " + cfg.keySet());
            }
            cfg.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        int[] batches = Arrays.stream(cfg.get("batches").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int requests = Integer.parseInt(cfg.get("requests"));
        int prompt = Integer.parseInt(cfg.get("prompt"));
        int newTokens = Integer.parseInt(cfg.get("new"));
        int prefillBatch = Integer.parseInt(cfg.get("prefill_batch"));
        int prefillLen = Integer.parseInt(cfg.get("prefill_len"));
        int repeats = Integer.parseInt(cfg.get("repeats"));
        int pageSize = Integer.parseInt(cfg.get("page_size"));
        int warmup = Integer.parseInt(cfg.get("warmup"));
        int maxBatch = Arrays.stream(batches).max().orElse(1);
        // the pool holds the larger of the two phases (every request's worst case), no more: the
        // recorded attention grid grows with the pool's tokens
        int decodePages = requests * ((prompt + newTokens - 1 + pageSize - 1) / pageSize);
        int prefillPages = prefillBatch * ((prefillLen + pageSize - 1) / pageSize);
        int pages = Math.max(decodePages, prefillPages) + 16;
        Device device = "cpu".equals(cfg.get("device")) ? Device.cpu() : Device.gpu(0);
        System.out.println("GenerationBench " + dir + " " + cfg + " on " + device);
        long t0 = System.nanoTime();
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(dir)
                .optDevice(device)
                .optOption("dtype", cfg.get("dtype"))
                .optOption("decode_graph", cfg.get("decode_graph"))
                .optOption("page_size", String.valueOf(pageSize))
                .optOption("kv_cache_pages", String.valueOf(pages))
                .build();
        int status = 0;
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel()) {
            LlamaModel model = ((CausalLmBlock) zoo.getBlock()).getModel();
            System.out.printf(Locale.ROOT, "loaded in %.1f s: %d layers, hidden %d, vocab %d, compute %s, KV cache %s,"
                    + " decode graphs %s, pool %d pages of %d, weights %.2f GB%n", (System.nanoTime() - t0) / 1e9,
                    model.getConfig().getNumLayers(), model.getConfig().getHiddenSize(),
                    model.getConfig().getVocabSize(), model.getComputeType(), model.getCacheType(),
                    model.usesDecodeGraphs(), pages, pageSize, model.getWeightBytes() / 1e9);
            int vocab = model.getConfig().getVocabSize();
            List<int[]> prompts = new ArrayList<>();
            for (int r = 0; r < requests; r++) {
                prompts.add(randomTokens(new Random(1000 + r), prompt, vocab));
            }
            try (KvCacheManager cache = model.newKvCache()) {
                Map<Integer, List<Answer>> answers = new LinkedHashMap<>();
                for (int b : batches) {
                    answers.put(b, decode(model, cache, prompts, b, newTokens, warmup));
                }
                prefill(model, cache, prefillBatch, prefillLen, repeats, vocab);
                System.out.println("decode steps recorded over the pool: " + model.recordedDecodeSteps(cache));
                int bad = 0;
                List<Answer> ref = answers.get(batches[0]);
                for (int r = 0; r < requests; r++) {
                    boolean same = true;
                    for (int b : batches) {
                        if (!answers.get(b).get(r).same(ref.get(r))) {
                            same = false;
                            System.out.println("MISMATCH request " + r + ": B" + b + " differs from B" + batches[0]);
                        }
                    }
                    bad += same ? 0 : 1;
                }
                System.out.printf(Locale.ROOT, "invariance: %d of %d requests have identical tokens and logprob bits"
                        + " across batchings %s%n", requests - bad, requests, Arrays.toString(batches));
                System.out.println("RESULT ours invariant_requests " + (requests - bad) + "/" + requests);
                status = bad == 0 ? 0 : 1;
            }
        }
        System.exit(status);
    }

    private static int[] randomTokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    /** Runs every request in groups of b; prints decode tok/s and TTFT; returns each request's answer. */
    private static List<Answer> decode(LlamaModel model, KvCacheManager cache, List<int[]> prompts, int b,
            int newTokens, int warmup) {
        int n = prompts.size();
        // untimed: the graphs of this batch size get recorded, the JIT warms up
        runGroup(model, cache, prompts.subList(0, Math.min(b, n)), warmup, null, null);
        List<Answer> out = new ArrayList<>();
        double decodeSeconds = 0;
        long decodeTokens = 0;
        List<Double> ttft = new ArrayList<>();
        List<Double> steps = new ArrayList<>();
        for (int start = 0; start < n; start += b) {
            List<int[]> group = prompts.subList(start, Math.min(n, start + b));
            double[] t = new double[2];
            out.addAll(runGroup(model, cache, group, newTokens, t, steps));
            ttft.add(t[0]);
            decodeSeconds += t[1];
            decodeTokens += (long) group.size() * (newTokens - 1);
        }
        double tokS = decodeTokens / decodeSeconds;
        double ttftMs = median(ttft) * 1e3;
        System.out.printf(Locale.ROOT, "decode B%d: %d requests, %d new tokens each: %.1f tok/s decode, TTFT %.2f ms"
                + " (median over %d groups)%n", b, n, newTokens, tokS, ttftMs, ttft.size());
        System.out.printf(Locale.ROOT, "RESULT ours decode_tok_s_b%d %.1f%n", b, tokS);
        System.out.printf(Locale.ROOT, "RESULT ours ttft_ms_b%d %.2f%n", b, ttftMs);
        double fastest = steps.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "decode B%d steps: fastest %.2f ms, median %.2f ms over %d steps%n", b,
                fastest * 1e3, median(steps) * 1e3, steps.size());
        return out;
    }

    /**
     * One group from submit to its last token; times[0] = first step, times[1] = the rest, in
     * seconds; each later step's seconds added to {@code steps} when not null.
     */
    private static List<Answer> runGroup(LlamaModel model, KvCacheManager cache, List<int[]> group, int newTokens,
            double[] times, List<Double> steps) {
        Generator g = new Generator(model, cache, Integer.MAX_VALUE, group.size()).setKeepLogits(false);
        List<Generator.Request> reqs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int[] p : group) {
            reqs.add(g.submit(p, SamplingConfig.greedy(newTokens), false, null));
        }
        boolean more = g.step();
        long t1 = System.nanoTime();
        long last = t1;
        while (more) {
            more = g.step();
            long now = System.nanoTime();
            if (steps != null) {
                steps.add((now - last) / 1e9);
            }
            last = now;
        }
        long t2 = System.nanoTime();
        if (times != null) {
            times[0] = (t1 - t0) / 1e9;
            times[1] = (t2 - t1) / 1e9;
        }
        List<Answer> out = new ArrayList<>();
        for (Generator.Request r : reqs) {
            if (r.getTokens().length != newTokens) {
                throw new IllegalStateException("a request ended after " + r.getTokens().length + " of " + newTokens
                        + " tokens");
            }
            out.add(new Answer(r));
        }
        return out;
    }

    private static void prefill(LlamaModel model, KvCacheManager cache, int b, int len, int repeats, int vocab) {
        List<int[]> prompts = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            prompts.add(randomTokens(new Random(5000 + r), len, vocab));
        }
        runGroup(model, cache, prompts, 1, null, null);
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            double[] t = new double[2];
            runGroup(model, cache, prompts, 1, t, null);
            times.add(t[0] + t[1]);
        }
        double s = median(times);
        double tokS = (double) b * len / s;
        System.out.printf(Locale.ROOT, "prefill B%d x %d: %.0f tok/s, TTFT %.1f ms (median of %d)%n", b, len, tokS,
                s * 1e3, repeats);
        System.out.printf(Locale.ROOT, "RESULT ours prefill_tok_s_b%dx%d %.0f%n", b, len, tokS);
        System.out.printf(Locale.ROOT, "RESULT ours ttft_ms_b%dx%d %.1f%n", b, len, s * 1e3);
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }
}
