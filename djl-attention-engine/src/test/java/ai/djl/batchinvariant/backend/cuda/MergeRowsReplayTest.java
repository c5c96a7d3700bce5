/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.attention.SmallPlans;
import ai.djl.batchinvariant.backend.AttentionWork;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * The merge kernel's block-to-row mapping (kernels/src/merge.cu) replayed in Java over the work
 * table the launcher uploads: block m of the merge grid finds its request by a binary search of
 * {@code merge_indptr} and its query row from {@code qo_indptr}; blocks past {@code
 * num_merge_rows} return. Every row of a request that keeps partial states must get exactly one
 * block, no other row any, also when a decode graph's table is padded to a larger capacity. Runs
 * without a GPU.
 */
class MergeRowsReplayTest {

    private static AttentionWork plan(int headDim, int[] qoLens, int[] kvLens) {
        return SmallPlans.ragged(headDim, qoLens, kvLens);
    }

    /** merge.cu's mapping over the encoded table: the query row of each block, -1 where it returns. */
    private static List<Integer> replay(AttentionWork work, int capacity, int blocks) {
        CudaAttention.WorkTable table = new CudaAttention.WorkTable(work, work.getNumItems(), capacity,
                work.kvIndices().length);
        return replay(table.encode(work), table, table.mergeAt, capacity, blocks);
    }

    private static List<Integer> replay(int[] m, CudaAttention.WorkTable table, int indptrAt, int batch,
            int blocks) {
        List<Integer> rows = new ArrayList<>();
        for (int block = 0; block < blocks; block++) {
            int mr = block; // one head: a block per merge row
            if (mr >= m[1]) {
                rows.add(-1);
                continue;
            }
            int lo = 0;
            int hi = batch - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) / 2;
                if (m[indptrAt + mid] <= mr) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            rows.add(m[table.qoAt + lo] + mr - m[indptrAt + lo]);
        }
        return rows;
    }

    /** The rows the merge must see: every row of each request with partial states. */
    private static List<Integer> expected(AttentionWork work) {
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < work.getBatchSize(); r++) {
            if (work.partIndptr()[r + 1] > work.partIndptr()[r]) {
                for (int t = 0; t < work.qoLen(r); t++) {
                    rows.add(work.qoStart(r) + t);
                }
            }
        }
        return rows;
    }

    private static void check(AttentionWork work, int capacity) {
        List<Integer> want = expected(work);
        assertEquals(want.size(), work.getMergeRows());
        List<Integer> got = replay(work, capacity, capacity + 3);
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i < want.size() ? want.get(i) : -1, got.get(i), "merge block " + i);
        }
    }

    @Test
    void blocksCoverExactlyTheRowsWithPartialStates() {
        // split decodes around a fused prefill, a one-chunk decode and an empty-KV-chunk request
        AttentionWork mixed = plan(128, new int[] {1, 20, 1, 1, 1}, new int[] {150, 150, 30, 70, 200});
        check(mixed, mixed.getBatchSize());
        check(mixed, 16); // a graph's table: padded past the batch
        // head dim 256 keeps partial states for multi-token requests too
        AttentionWork wide = plan(256, new int[] {3, 1, 20, 1}, new int[] {100, 150, 150, 30});
        check(wide, wide.getBatchSize());
        check(wide, 9);
        // nothing to merge: no block does anything
        AttentionWork none = plan(128, new int[] {100, 3}, new int[] {100, 200});
        assertEquals(0, none.getMergeRows());
        check(none, 4);
    }

    @Test
    void aWrongOffsetTableIsCaught() {
        // the inverse: the same replay over the partial-state offsets (a plausible mix-up of the two
        // tables) maps blocks to other rows, and the comparison used above sees it
        AttentionWork mixed = plan(128, new int[] {1, 20, 1}, new int[] {150, 150, 70});
        CudaAttention.WorkTable table = new CudaAttention.WorkTable(mixed, mixed.getNumItems(),
                mixed.getBatchSize(), mixed.kvIndices().length);
        int[] m = table.encode(mixed);
        List<Integer> right = replay(m, table, table.mergeAt, mixed.getBatchSize(), 2);
        List<Integer> wrong = replay(m, table, table.partAt, mixed.getBatchSize(), 2);
        assertEquals(expected(mixed), right);
        assertNotEquals(expected(mixed), wrong);
    }
}
