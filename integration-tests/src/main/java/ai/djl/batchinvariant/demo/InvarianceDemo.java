/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.demo;

import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.PageTable;
import ai.djl.batchinvariant.attention.PosEncoding;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Pushes a mix of requests of different lengths through batch prefill and decode in several random
 * batchings (batch sizes, orders, prefill chunk sizes, page placements) and prints, per request,
 * whether every batching produced identical bits, plus throughput. The same schedule under the
 * batch-sized AUTO split shows what the check catches when invariance is off.
 */
public final class InvarianceDemo {

    private static final int HQ = 8;
    private static final int HKV = 2;
    private static final int D = 128;
    private static final int PAGE = 16;
    private static final int DECODE_STEPS = 12;
    private static final int BATCHINGS = 4;

    private InvarianceDemo() {}

    /**
     * Runs the demo.
     *
     * @param args optional: number of requests (default 10)
     * @throws Exception if the digest algorithm is missing
     */
    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Random lr = new Random(2026);
        int[] prompt = new int[requests];
        for (int r = 0; r < requests; r++) {
            prompt[r] = 1 + lr.nextInt(r % 3 == 0 ? 1500 : 300);
        }
        Engine engine = Engine.getEngine("BatchInvariant");
        System.out.println("Engine " + engine.getEngineName() + " " + engine.getVersion() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");
        System.out.println("Requests (prompt lengths): " + Arrays.toString(prompt) + ", then " + DECODE_STEPS
                + " decode steps each; heads " + HQ + "/" + HKV + ", head_dim " + D + ", RoPE, causal, page " + PAGE);
        for (SplitPolicy policy : new SplitPolicy[] {SplitPolicy.fixed(256), SplitPolicy.auto()}) {
            AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(D).optCausal(true)
                    .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(policy).build();
            System.out.println();
            System.out.println("== split policy " + policy + (policy.getKind() == SplitPolicy.Kind.AUTO
                    ? " (batch-sized, NOT invariant: shown for contrast)" : " (invariant)"));
            String[][] digests = new String[BATCHINGS][];
            long tokens = 0;
            long nanos = 0;
            for (int b = 0; b < BATCHINGS; b++) {
                Random rnd = new Random(100 + b);
                long t0 = System.nanoTime();
                Run run = new Run(spec, prompt, rnd);
                digests[b] = run.execute();
                nanos += System.nanoTime() - t0;
                tokens += run.tokens;
                System.out.println("  batching " + (b + 1) + ": " + run.describe());
            }
            int same = 0;
            for (int r = 0; r < requests; r++) {
                boolean ok = true;
                for (int b = 1; b < BATCHINGS; b++) {
                    ok &= digests[b][r].equals(digests[0][r]);
                }
                same += ok ? 1 : 0;
                System.out.printf("  request %2d (prompt %4d): %s  %s%n", r, prompt[r],
                        ok ? "identical bits in all " + BATCHINGS + " batchings" : "DIFFERENT bits across batchings",
                        digests[0][r].substring(0, 16));
            }
            System.out.printf("  %d/%d requests bitwise identical; %.0f tokens/s (%d query rows through attention,"
                    + " %.2f s)%n", same, requests, tokens / (nanos / 1e9), tokens, nanos / 1e9);
        }
    }

    /** One batching of the whole workload: its own page placement, batches, orders and chunk sizes. */
    private static final class Run {
        private final AttentionSpec spec;
        private final int[] prompt;
        private final Random rnd;
        private final List<String> notes = new ArrayList<>();
        long tokens;

        Run(AttentionSpec spec, int[] prompt, Random rnd) {
            this.spec = spec;
            this.prompt = prompt;
            this.rnd = rnd;
        }

        String describe() {
            return String.join("; ", notes);
        }

        String[] execute() throws NoSuchAlgorithmException {
            int n = prompt.length;
            int totalPages = 0;
            for (int p : prompt) {
                totalPages += (p + DECODE_STEPS + PAGE - 1) / PAGE;
            }
            long placement = rnd.nextLong();
            MessageDigest[] md = new MessageDigest[n];
            for (int r = 0; r < n; r++) {
                md[r] = MessageDigest.getInstance("SHA-256");
            }
            BatchAttention attention = new BatchAttention(spec);
            try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager();
                    PagedKvCache cache = PagedKvCache.create(m, totalPages + 8, PAGE, HKV, D, KvLayout.NHD,
                            DataType.FLOAT32)) {
                PageTable table = new PageTable(totalPages + 8, PAGE, placement);
                int chunk = new int[] {Integer.MAX_VALUE, 7, 64, 100, 333}[rnd.nextInt(5)];
                int batch = 1 + rnd.nextInt(n);
                notes.add("prefill chunk " + (chunk == Integer.MAX_VALUE ? "whole" : chunk) + ", batch " + batch);
                int[] done = new int[n];
                boolean more = true;
                while (more) {
                    List<Integer> pending = new ArrayList<>();
                    for (int r = 0; r < n; r++) {
                        if (done[r] < prompt[r]) {
                            pending.add(r);
                        }
                    }
                    more = !pending.isEmpty();
                    Collections.shuffle(pending, rnd);
                    for (int i = 0; i < pending.size(); i += batch) {
                        List<Integer> group = pending.subList(i, Math.min(pending.size(), i + batch));
                        int[] to = new int[group.size()];
                        for (int g = 0; g < group.size(); g++) {
                            int r = group.get(g);
                            to[g] = (int) Math.min(prompt[r], (long) done[r] + chunk);
                        }
                        step(m, attention, cache, table, group, done, to, md);
                        for (int g = 0; g < group.size(); g++) {
                            done[group.get(g)] = to[g];
                        }
                    }
                }
                int decodeBatch = 1 + rnd.nextInt(n);
                notes.add("decode batch " + decodeBatch);
                for (int s = 0; s < DECODE_STEPS; s++) {
                    List<Integer> all = new ArrayList<>();
                    for (int r = 0; r < n; r++) {
                        all.add(r);
                    }
                    Collections.shuffle(all, rnd);
                    for (int i = 0; i < n; i += decodeBatch) {
                        List<Integer> group = all.subList(i, Math.min(n, i + decodeBatch));
                        int[] to = new int[group.size()];
                        for (int g = 0; g < group.size(); g++) {
                            to[g] = done[group.get(g)] + 1;
                        }
                        step(m, attention, cache, table, group, done, to, md);
                        for (int g = 0; g < group.size(); g++) {
                            done[group.get(g)] = to[g];
                        }
                    }
                }
            }
            String[] out = new String[n];
            for (int r = 0; r < n; r++) {
                out[r] = HexFormat.of().formatHex(md[r].digest());
            }
            return out;
        }

        /** Appends positions [from[r], to[r]) of each request in the group and attends them. */
        private void step(NDManager m, BatchAttention attention, PagedKvCache cache, PageTable table,
                List<Integer> group, int[] from, int[] to, MessageDigest[] md) {
            int b = group.size();
            int[] qo = new int[b + 1];
            int[] seqs = new int[b];
            for (int g = 0; g < b; g++) {
                int r = group.get(g);
                seqs[g] = r;
                qo[g + 1] = qo[g] + to[g] - from[r];
                table.extend(r, to[g] - from[r]);
            }
            int rows = qo[b];
            float[] q = new float[rows * HQ * D];
            float[] k = new float[rows * HKV * D];
            float[] v = new float[rows * HKV * D];
            for (int g = 0; g < b; g++) {
                int r = group.get(g);
                for (int p = from[r]; p < to[g]; p++) {
                    int row = qo[g] + p - from[r];
                    // a token's q, k, v depend on (request, position) only, as a model's would
                    Random t = new Random(r * 1_000_003L + p);
                    fill(t, q, row * HQ * D, HQ * D);
                    fill(t, k, row * HKV * D, HKV * D);
                    fill(t, v, row * HKV * D, HKV * D);
                }
            }
            int[][] pages = table.batch(seqs);
            try (NDManager s = m.newSubManager()) {
                NDArray qa = s.create(q, new Shape(rows, HQ, D));
                cache.append(s.create(k, new Shape(rows, HKV, D)), s.create(v, new Shape(rows, HKV, D)), qo,
                        pages[0], pages[1], pages[2]);
                BatchPlan plan = attention.planPrefill(qo, pages[0], pages[1], pages[2], PAGE);
                try (AttentionOutput out = attention.run(plan, qa, cache)) {
                    ByteBuffer o = out.getOutput().toByteBuffer();
                    ByteBuffer lse = out.getLse().toByteBuffer();
                    byte[] ob = new byte[HQ * D * 4];
                    byte[] lb = new byte[HQ * 4];
                    for (int g = 0; g < b; g++) {
                        // one row at a time, so the digest does not depend on how rows were chunked
                        for (int row = qo[g]; row < qo[g + 1]; row++) {
                            o.position(row * HQ * D * 4);
                            o.get(ob);
                            lse.position(row * HQ * 4);
                            lse.get(lb);
                            md[group.get(g)].update(ob);
                            md[group.get(g)].update(lb);
                        }
                    }
                }
            }
            tokens += rows;
        }

        private static void fill(Random t, float[] x, int off, int n) {
            for (int i = 0; i < n; i++) {
                x[off + i] = (float) t.nextGaussian();
            }
        }
    }
}
