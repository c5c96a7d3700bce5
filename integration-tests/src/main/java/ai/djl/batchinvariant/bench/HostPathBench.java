/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.Device;
import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.DecodeGraph;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * Host time of one decode attention call with a reused plan (what a model pays per layer): B1,
 * KV 5000, GQA 32/8, d128, bf16, q on the GPU. Reports the wall time per call of eager runs (the
 * caller does not wait for the GPU between calls) and of graph replays, over many calls; at KV 64 the
 * kernel is short, so the figure is the host path itself.
 */
public final class HostPathBench {

    private HostPathBench() {}

    /**
     * Entry point.
     *
     * @param args optional: number of timed calls (default 2000)
     */
    public static void main(String[] args) {
        if (Backends.gpuCount() == 0) {
            System.out.println("no CUDA device");
            return;
        }
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        // KV 5000 is the model-sized case; KV 64 makes the kernel short, so the host path shows
        for (int kvLen : new int[] {5000, 64}) {
            measure(calls, kvLen);
        }
    }

    private static void measure(int calls, int kvLen) {
        int page = 16;
        int pages = (kvLen + page - 1) / page;
        AttentionSpec spec = AttentionSpec.builder().setHeads(32, 8).setHeadDim(128).optCausal(true)
                .optSplitPolicy(SplitPolicy.fixed(1024)).build();
        BatchAttention attention = new BatchAttention(spec);
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            PagedKvCache cache = PagedKvCache.create(m, pages, page, 8, 128, KvLayout.NHD, DataType.BFLOAT16);
            int[] indices = new int[pages];
            for (int i = 0; i < pages; i++) {
                indices[i] = i;
            }
            BatchPlan plan = attention.planDecode(new int[] {0, pages}, indices, new int[] {(kvLen - 1) % page + 1},
                    page);
            NDArray q = m.randomNormal(0, 1, new Shape(1, 32, 128), DataType.BFLOAT16);
            double eager = time(calls, () -> attention.run(plan, q, cache).close());
            double replay;
            try (DecodeGraph graph = attention.captureDecode(cache, 1, 8192)) {
                replay = time(calls, () -> graph.run(plan, q).close());
            }
            System.out.printf(Locale.ROOT, "host path, B1 decode L%d (plan reused): eager %.1f us/call, graph replay"
                    + " %.1f us/call (%d calls)%n", kvLen, eager, replay, calls);
        }
    }

    private static double time(int calls, Runnable call) {
        for (int i = 0; i < 200; i++) {
            call.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        // the last output's read waits for the stream, so the figure includes the queue draining
        return (System.nanoTime() - t0) / 1e3 / calls;
    }
}
