/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.AttentionWork;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * Which device work items a plan makes: a query tile of a multi-token request whose rows see
 * several chunks is one fused item per KV head (the block folds the chunk states itself, no
 * partial states, no merge); a decode request keeps one item per chunk and partial states for the
 * merge kernel unless the batch fills the device without that parallelism; head_dim 256 never
 * fuses. Worked out by hand on small plans.
 */
class FusedTilesPlanTest {

    private static List<int[]> items(AttentionWork w) {
        List<int[]> l = new ArrayList<>();
        int[] it = w.items();
        for (int i = 0; i < w.getNumItems(); i++) {
            l.add(new int[] {it[4 * i], it[4 * i + 1], it[4 * i + 2], it[4 * i + 3]});
        }
        return l;
    }

    private static AttentionWork plan(int headDim, int[] qoLens, int[] kvLens) {
        return SmallPlans.ragged(headDim, qoLens, kvLens);
    }

    @Test
    void prefillTilesFuseAndDecodeRowsSplit() {
        // request 0: 20 tokens on 150 keys, token t sees keys 0..130+t: both tiles (16 tokens per
        // tile, G = 4) span chunks 0..2; request 1: decode on 150 keys -> chunks 0, 1, 2
        AttentionWork w = plan(128, new int[] {20, 1}, new int[] {150, 150});
        List<int[]> items = items(w);
        assertArrayEquals(new int[] {0, 0, 0, AttentionWork.ALL_CHUNKS}, items.get(0));
        assertArrayEquals(new int[] {0, 0, 16, AttentionWork.ALL_CHUNKS}, items.get(1));
        assertArrayEquals(new int[] {1, 0, 0, 0}, items.get(2));
        assertArrayEquals(new int[] {1, 0, 0, 1}, items.get(3));
        assertArrayEquals(new int[] {1, 0, 0, 2}, items.get(4));
        assertEquals(5, items.size());
        // partial states only for the decode request: 1 row x 4 heads x 3 chunks
        assertArrayEquals(new int[] {0, 0, 12}, w.partIndptr());
        // merge blocks for the decode's one row, none for the 20 fused rows
        assertArrayEquals(new int[] {0, 0, 1}, w.mergeIndptr());
        assertTrue(w.hasMultiChunk());
    }

    @Test
    void mergeRowsAreTheRowsOfRequestsWithPartialStates() {
        // a fused prefill between split decodes and a one-chunk decode: merge rows for the split
        // decodes only, in request order; head_dim 256 keeps every multi-chunk row's states
        AttentionWork w = plan(128, new int[] {1, 20, 1, 1}, new int[] {150, 150, 30, 70});
        assertArrayEquals(new int[] {0, 1, 1, 1, 2}, w.mergeIndptr());
        assertEquals(2, w.getMergeRows());
        AttentionWork wide = plan(256, new int[] {1, 20, 1}, new int[] {150, 150, 30});
        assertArrayEquals(new int[] {0, 1, 21, 21}, wide.mergeIndptr());
        assertEquals(0, plan(128, new int[] {100, 3}, new int[] {100, 200}).getMergeRows());
    }

    @Test
    void prefillOnlyBatchNeedsNoMerge() {
        AttentionWork w = plan(64, new int[] {100, 3}, new int[] {100, 200});
        assertFalse(w.hasMultiChunk());
        assertArrayEquals(new int[] {0, 0, 0}, w.partIndptr());
        assertEquals(0, w.getMergeRows());
        for (int[] it : items(w)) {
            // request 0's tiles of tokens 0..63 see keys 0..63 only (chunk 0); its later tiles and
            // request 1's tile span chunks
            boolean oneChunk = it[0] == 0 && it[2] < 64;
            assertEquals(oneChunk ? 0 : AttentionWork.ALL_CHUNKS, it[3], "item " + java.util.Arrays.toString(it));
        }
    }

    @Test
    void headDim256KeepsOneItemPerChunk() {
        AttentionWork w = plan(256, new int[] {20}, new int[] {150});
        assertTrue(w.hasMultiChunk());
        assertEquals(20 * 4 * 3, w.partIndptr()[1]);
        for (int[] it : items(w)) {
            assertTrue(it[3] >= 0);
        }
    }

    @Test
    void itemsStayInRequestOrder() {
        // the device starts blocks roughly in item order: in request order the blocks running
        // together share a request's KV in L2 (longest-first was measured 5.5% slower on a causal
        // prefill with split KV)
        AttentionWork w = plan(128, new int[] {300, 1, 70, 1}, new int[] {300, 200, 500, 64});
        int lastRequest = -1;
        int lastToken = -1;
        for (int[] it : items(w)) {
            assertTrue(it[0] >= lastRequest, "request " + it[0] + " after " + lastRequest);
            if (it[0] != lastRequest) {
                lastToken = -1;
            }
            assertTrue(it[2] >= lastToken, "token " + it[2] + " after " + lastToken + " in request " + it[0]);
            lastRequest = it[0];
            lastToken = it[2];
        }
        assertEquals(3, lastRequest);
    }

    private static int[] repeat(int n, int value, int last) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, value);
        a[n - 1] = last;
        return a;
    }

    @Test
    void decodeFusesOnlyWhenTheBatchFillsTheDevice() {
        int slots = AttentionWork.FUSE_DECODE_SLOTS;
        // one KV head: `slots` decode requests of 3 tiles each give every one of `slots` blocks
        // a longest request's work -> one fused item per request, no partial states
        AttentionWork full = plan(128, repeat(slots, 1, 1), repeat(slots, 150, 150));
        assertEquals(slots, full.getNumItems());
        assertFalse(full.hasMultiChunk());
        for (int[] it : items(full)) {
            assertEquals(AttentionWork.ALL_CHUNKS, it[3]);
        }
        // one request fewer: a block per chunk and the merge
        AttentionWork under = plan(128, repeat(slots - 1, 1, 1), repeat(slots - 1, 150, 150));
        assertEquals(3 * (slots - 1), under.getNumItems());
        assertTrue(under.hasMultiChunk());
        // a long request among many short ones would straggle in one block: not fused
        AttentionWork skewed = plan(128, repeat(2 * slots, 1, 1), repeat(2 * slots, 150, 64 * 1000));
        assertTrue(skewed.hasMultiChunk());
        // head_dim 256 never fuses
        assertTrue(plan(256, repeat(slots, 1, 1), repeat(slots, 150, 150)).hasMultiChunk());
        assertTrue(AttentionWork.fusesDecode(repeat(slots, 150, 150), 1, 128));
        assertTrue(AttentionWork.fusesDecode(repeat(slots / 8, 150, 150), 8, 128));
        assertFalse(AttentionWork.fusesDecode(repeat(slots / 8 - 1, 150, 150), 8, 128));
    }
}
