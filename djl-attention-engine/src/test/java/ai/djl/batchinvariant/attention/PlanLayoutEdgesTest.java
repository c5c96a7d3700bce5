/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A plan's layout read back against numbers worked out by hand (row and page offsets, KV lengths
 * from page counts and last-page lengths, chunk counts and the batch-wide chunk numbering, which
 * page holds a position), and every validation limit hit from both sides: the largest accepted
 * and the smallest rejected value of page size, last-page length, kv_indices length and entries,
 * query rows against KV length, ragged kv_lens and the KV length limit.
 */
class PlanLayoutEdgesTest {

    /** 2^30: the KV length limit ({@code kv_len} must stay below it). */
    private static final int LIMIT = 1 << 30;

    private final AttentionSpec causal =
            AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).optCausal(true).optSplitPolicy(SplitPolicy.fixed(64)).build();
    private final BatchAttention attn = new BatchAttention(causal);

    private static void rejects(Executable call) {
        assertThrows(IllegalArgumentException.class, call);
    }

    @Test
    void pagedLayoutByHand() {
        // request 0: 5 pages of 32, 10 in the last -> 4*32 + 10 = 138 tokens, 3 chunks of 64
        // request 1: 1 page, full -> 32 tokens, 1 chunk
        int[] indices = {9, 8, 7, 6, 5, 4, 99};
        BatchPlan p = attn.planPrefill(new int[] {0, 5, 6}, new int[] {0, 5, 6}, indices, new int[] {10, 32}, 32);
        assertSame(causal, p.getSpec());
        assertTrue(p.isPaged());
        assertEquals(2, p.getBatchSize());
        assertEquals(6, p.getTotalQo());
        assertEquals(0, p.qoStart(0));
        assertEquals(5, p.qoStart(1));
        assertEquals(5, p.qoLen(0));
        assertEquals(1, p.qoLen(1));
        assertEquals(138, p.kvLen(0));
        assertEquals(32, p.kvLen(1));
        assertEquals(32, p.getPageSize());
        assertEquals(64, p.getSplitSize());
        assertEquals(3, p.numSplits(0));
        assertEquals(1, p.numSplits(1));
        assertEquals(0, p.splitStart(0));
        assertEquals(3, p.splitStart(1));
        assertEquals(4, p.getTotalSplits());
        assertEquals(9, p.page(0, 0));
        assertEquals(9, p.page(0, 31));
        assertEquals(8, p.page(0, 32));
        assertEquals(5, p.page(0, 137));
        assertEquals(4, p.page(1, 0));
        assertEquals(4, p.page(1, 31));
        // the entries past kv_indptr[b] are not part of the plan, and the copy is the plan's own
        int[] idx = p.getKvIndices();
        assertArrayEquals(new int[] {9, 8, 7, 6, 5, 4}, idx);
        idx[0] = 1000;
        assertEquals(9, p.getKvIndices()[0]);
        indices[0] = 1000;
        assertEquals(9, p.page(0, 0));
        assertSame(p.work(), p.work());
        assertEquals(138, p.work().kvLen(0));
    }

    @Test
    void decodePlanHasOneRowPerRequest() {
        BatchPlan p = attn.planDecode(new int[] {0, 1, 3, 4}, new int[] {2, 0, 1, 3}, new int[] {1, 4, 2}, 4);
        assertEquals(3, p.getBatchSize());
        assertEquals(3, p.getTotalQo());
        for (int r = 0; r < 3; r++) {
            assertEquals(r, p.qoStart(r));
            assertEquals(1, p.qoLen(r));
        }
        assertEquals(1, p.kvLen(0));
        assertEquals(8, p.kvLen(1));
        assertEquals(2, p.kvLen(2));
        assertEquals(1, p.page(1, 4));
        rejects(() -> attn.planDecode(null, new int[] {0}, new int[] {1}, 4));
        rejects(() -> attn.planDecode(new int[] {0}, new int[] {0}, new int[] {1}, 4));
    }

    @Test
    void raggedLayoutByHand() {
        BatchPlan p = attn.planRagged(new int[] {0, 2, 5}, new int[] {0, 10, 30}, new int[] {7, 20});
        assertFalse(p.isPaged());
        assertNull(p.getKvIndices());
        assertEquals(1, p.getPageSize());
        assertEquals(0, p.kvStart(0));
        assertEquals(10, p.kvStart(1));
        assertEquals(7, p.kvLen(0));
        assertEquals(20, p.kvLen(1));
        assertEquals(3, p.qoLen(1));
        assertEquals(5, p.getTotalQo());
        // without kv_lens a request's KV length is its whole segment
        BatchPlan q = attn.planRagged(new int[] {0, 2, 5}, new int[] {0, 10, 30}, null);
        assertEquals(10, q.kvLen(0));
        assertEquals(20, q.kvLen(1));
        // kv_lens equal to the segment is accepted, one more is not, and nor is 0; 1 is
        attn.planRagged(new int[] {0, 1}, new int[] {0, 4}, new int[] {4});
        assertEquals(1, attn.planRagged(new int[] {0, 1}, new int[] {0, 4}, new int[] {1}).kvLen(0));
        assertEquals(1, attn.planRagged(new int[] {0, 1}, new int[] {0, 1}, null).kvLen(0));
        rejects(() -> attn.planRagged(new int[] {0, 1}, new int[] {0, 4}, new int[] {5}));
        rejects(() -> attn.planRagged(new int[] {0, 0}, new int[] {0, 4}, new int[] {0}));
        rejects(() -> attn.planRagged(new int[] {0, 0}, new int[] {0, 0}, null));
    }

    @Test
    void pageSizeAndLastPageLengthLimits() {
        // page size 1 is the smallest accepted
        BatchPlan p = attn.planPrefill(new int[] {0, 1}, new int[] {0, 3}, new int[] {0, 1, 2}, new int[] {1}, 1);
        assertEquals(3, p.kvLen(0));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 3}, new int[] {0, 1, 2}, new int[] {1}, 0));
        // last page length: 1 and page_size accepted, 0 and page_size + 1 rejected
        assertEquals(5, attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {1}, 4).kvLen(0));
        assertEquals(8, attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {4}, 4).kvLen(0));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {0}, 4));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {5}, 4));
    }

    @Test
    void kvIndicesLimits() {
        // exactly kv_indptr[b] entries, page 0 included, is enough
        attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {1}, 4);
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0}, new int[] {1}, 4));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, -1}, new int[] {1}, 4));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, null, new int[] {1}, 4));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, null, 4));
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {1, 1}, 4));
    }

    @Test
    void indptrLimits() {
        rejects(() -> attn.planPrefill(new int[] {0, 1}, new int[] {1, 2}, new int[] {0, 1}, new int[] {1}, 4));
        rejects(() -> attn.planPrefill(new int[] {1, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {1}, 4));
        // equal neighbours are monotone: a request with no query rows is a valid plan
        BatchPlan p = attn.planPrefill(new int[] {0, 0, 1}, new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 1}, 4);
        assertEquals(0, p.qoLen(0));
        assertEquals(1, p.qoLen(1));
        rejects(() -> attn.planPrefill(new int[] {0, 2, 1}, new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 1}, 4));
    }

    @Test
    void queryRowsAgainstKvLength() {
        // causal: as many rows as KV positions is fine, one more is not
        attn.planPrefill(new int[] {0, 6}, new int[] {0, 2}, new int[] {0, 1}, new int[] {2}, 4);
        rejects(() -> attn.planPrefill(new int[] {0, 7}, new int[] {0, 2}, new int[] {0, 1}, new int[] {2}, 4));
        attn.planRagged(new int[] {0, 4}, new int[] {0, 4}, null);
        rejects(() -> attn.planRagged(new int[] {0, 5}, new int[] {0, 4}, null));
        // non-causal: more rows than KV positions is allowed
        BatchAttention full = new BatchAttention(AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).build());
        assertEquals(7, full.planPrefill(new int[] {0, 7}, new int[] {0, 2}, new int[] {0, 1}, new int[] {2}, 4).qoLen(0));
        assertEquals(5, full.planRagged(new int[] {0, 5}, new int[] {0, 4}, null).qoLen(0));
    }

    @Test
    void kvLengthLimit() {
        BatchAttention one = new BatchAttention(
                AttentionSpec.builder().setHeads(2, 2).setHeadDim(64).optSplitPolicy(SplitPolicy.disabled()).build());
        // one page of 2^30 - 1 tokens is the longest request
        BatchPlan p = one.planPrefill(new int[] {0, 1}, new int[] {0, 1}, new int[] {0}, new int[] {LIMIT - 1}, LIMIT - 1);
        assertEquals(LIMIT - 1, p.kvLen(0));
        assertEquals(1, p.numSplits(0));
        rejects(() -> one.planPrefill(new int[] {0, 1}, new int[] {0, 1}, new int[] {0}, new int[] {LIMIT}, LIMIT));
        // two pages: (2 - 1) * 2^29 + 2^29 = 2^30 is one too many
        rejects(() -> one.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1}, new int[] {LIMIT / 2}, LIMIT / 2));
        assertEquals(LIMIT - 1, one.planPrefill(new int[] {0, 1}, new int[] {0, 2}, new int[] {0, 1},
                new int[] {LIMIT / 2 - 1}, LIMIT / 2).kvLen(0));
    }

    @Test
    void pageTableLimits() {
        PageTable t = new PageTable(2, 4, 0);
        assertEquals(2, t.getNumPages());
        assertEquals(4, t.getPageSize());
        // exactly the whole pool fits; one token more does not
        t.extend(7, 8);
        assertEquals(8, t.length(7));
        assertThrows(IllegalStateException.class, () -> t.extend(8, 1));
        new PageTable(1, 1, 0).extend(0, 1);
        rejects(() -> new PageTable(1, 0, 0));
        rejects(() -> new PageTable(0, 1, 0));
    }

    @Test
    void splitPolicies() {
        assertEquals(64, SplitPolicy.fixed(64).getSplitSize());
        assertEquals(128, SplitPolicy.fixed(128).getSplitSize());
        assertSame(SplitPolicy.Kind.FIXED, SplitPolicy.fixed(64).getKind());
        rejects(() -> SplitPolicy.fixed(0));
        rejects(() -> SplitPolicy.fixed(-64));
        rejects(() -> SplitPolicy.fixed(96));
        rejects(() -> SplitPolicy.fixed(63));
        assertSame(SplitPolicy.Kind.DISABLED, SplitPolicy.disabled().getKind());
        assertSame(SplitPolicy.Kind.AUTO, SplitPolicy.auto().getKind());
        assertEquals(0, SplitPolicy.disabled().getSplitSize());
        assertEquals(0, SplitPolicy.auto().getSplitSize());
        assertEquals("FIXED(192)", SplitPolicy.fixed(192).toString());
        assertEquals("DISABLED", SplitPolicy.disabled().toString());
        assertEquals("AUTO", SplitPolicy.auto().toString());
        assertEquals(192, SplitPolicy.fixed(192).splitSizeFor(new int[] {5, 100000}, 8, 3));
        assertEquals(LIMIT, SplitPolicy.disabled().splitSizeFor(new int[] {5, 100000}, 8, 3));
    }

    /** AUTO by its definition: the smallest tile multiple >= ceil(total KV * heads / items), >= 1 tile, <= 2^30. */
    private static int autoSize(int[] lens, int heads, int items) {
        long total = 0;
        for (int l : lens) {
            total += (long) l * heads;
        }
        long per = total / items + (total % items == 0 ? 0 : 1);
        long size = 64;
        while (size < per) {
            size += 64;
        }
        return (int) Math.min(size, LIMIT);
    }

    @Test
    void autoSplitSizeFollowsTheBatch() {
        SplitPolicy auto = SplitPolicy.auto();
        int[][] batches = {{1}, {64}, {1000, 3000}, {2048}, {2049}, {4096, 4096, 4096}, {100, 1, 7}};
        for (int[] lens : batches) {
            for (int heads : new int[] {1, 2, 8}) {
                for (int items : new int[] {1, 7, 32}) {
                    assertEquals(autoSize(lens, heads, items), auto.splitSizeFor(lens, heads, items),
                            java.util.Arrays.toString(lens) + " heads " + heads + " items " + items);
                }
                assertEquals(autoSize(lens, heads, 32), auto.splitSizeFor(lens, heads));
            }
        }
        // capped at one chunk for the longest batches
        assertEquals(LIMIT, auto.splitSizeFor(new int[] {LIMIT - 1, LIMIT - 1}, 8, 1));
    }
}
