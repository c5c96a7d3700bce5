/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;

/**
 * Attention run from a worker of an explicit four-thread fork-join pool, whose work items then
 * spread over that pool's threads even on a machine with few cores (where the common pool may run
 * everything on the caller): runs are bitwise equal to each other and to the run from an ordinary
 * thread, and match {@link RefAttention}. The pool's steal count shows the work really was split.
 */
class ForcedParallelAttentionTest {

    private static ForkJoinPool pool;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        pool = new ForkJoinPool(4);
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        pool.shutdownNow();
    }

    private static <T> T inPool(Callable<T> work) throws Exception {
        return pool.submit(work).get();
    }

    private static void check(AttentionSpec spec, RefAttention ref, int[] lens) throws Exception {
        try (Workload w = new Workload(manager, spec, DataType.FLOAT32, lens, 16, KvLayout.NHD, 8, 13)) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> segs = Workload.fullPrefill(lens, 0, 1, 2);
            Workload.Result plain = w.run(attn, segs, null);
            double[] e = ref.errors(w, plain, segs);
            assertTrue(e[0] < RefAttention.TOL && e[2] < 1e-4, "relative L2 " + e[0] + ", lse " + e[2]);
            long steals = pool.getStealCount();
            // stealing is up to the scheduler: repeat (bounded) until items did run on other threads
            int runs = 0;
            for (int run = 0; run < 3 || pool.getStealCount() <= steals + runs && run < 100; run++) {
                runs++;
                // bitwise equal to the value-checked run, so value-checked too
                Workload.Result par = inPool(() -> w.run(attn, segs, null));
                for (int r = 0; r < lens.length; r++) {
                    assertEquals(0, Bits.diff(plain, par, r, 0, lens[r]), "request " + r + ", pool run " + run);
                }
            }
            // each submission is taken by a worker and counts as one steal; the work items forked
            // inside attention must add more
            assertTrue(pool.getStealCount() > steals + runs, "no work item ran on another pool thread in " + runs
                    + " runs");
        }
    }

    @Test
    void pagedAttentionWithRopeUnderFourThreads() throws Exception {
        // 21 chunks of 64 over 2 KV heads: 42 work items, then 1206 rows to merge
        AttentionSpec spec = AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(64)).build();
        RefAttention ref = new RefAttention(4, 2, 64);
        ref.invFreq = RefAttention.ropeFreq(64, 10000);
        check(spec, ref, new int[] {300, 777, 129});
    }

    @Test
    void everyRunOfKvHeadsAWorkItemGivesTheSameBits() throws Exception {
        // a work item takes a run of KV heads sized from the thread count: 8 KV heads over 12
        // chunks run as 8 heads an item from one thread, fewer with 64 threads, and 2 or 1 for
        // the short request's one chunk
        AttentionSpec spec = AttentionSpec.builder().setHeads(16, 8).setHeadDim(64).optCausal(true)
                .optSplitPolicy(SplitPolicy.fixed(64)).build();
        int[] lens = {700, 33};
        assertEquals(8, ai.djl.batchinvariant.backend.cpu.CpuAttention.headsPerItem(12, 8, 1));
        assertEquals(1, ai.djl.batchinvariant.backend.cpu.CpuAttention.headsPerItem(12, 8, 64));
        try (Workload w = new Workload(manager, spec, DataType.FLOAT32, lens, 16, KvLayout.NHD, 8, 13)) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> segs = Workload.fullPrefill(lens, 0, 1);
            Workload.Result plain = w.run(attn, segs, null);
            RefAttention ref = new RefAttention(16, 8, 64);
            double[] e = ref.errors(w, plain, segs);
            assertTrue(e[0] < RefAttention.TOL && e[2] < 1e-4, "relative L2 " + e[0] + ", lse " + e[2]);
            for (int threads : new int[] {1, 3, 64}) {
                ForkJoinPool p = new ForkJoinPool(threads);
                try {
                    Workload.Result other = p.submit(() -> w.run(attn, segs, null)).get();
                    for (int r = 0; r < lens.length; r++) {
                        assertEquals(0, Bits.diff(plain, other, r, 0, lens[r]), "request " + r + ", " + threads
                                + " threads");
                    }
                } finally {
                    p.shutdownNow();
                }
            }
        }
    }

    @Test
    void gqaAlibiWindowUnderFourThreads() throws Exception {
        AttentionSpec spec = AttentionSpec.builder().setHeads(6, 2).setHeadDim(64).optCausal(true)
                .optPosEncoding(PosEncoding.ALIBI).optWindowLeft(100).optSplitPolicy(SplitPolicy.fixed(128)).build();
        RefAttention ref = new RefAttention(6, 2, 64);
        ref.alibi = RefAttention.alibiSlopes(6);
        ref.window = 100;
        check(spec, ref, new int[] {500, 64, 400});
    }
}
