/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Plan and append validation the other bad-input tests leave open: batch sizes that disagree,
 * requests without pages, missing or one-entry indptrs, ragged kv_lens, and an append that writes
 * more tokens than a request's pages hold. Each must raise {@link IllegalArgumentException} whose
 * message names the field, and a rejected append must leave every page, of every request, as it
 * was.
 */
class PlanValidationTest {

    private NDManager manager;
    private BatchAttention attn;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
        attn = new BatchAttention(AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).build());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Asserts an {@link IllegalArgumentException} whose message contains every fragment. */
    private static void assertNames(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message '" + e.getMessage() + "' should name " + f);
        }
    }

    @Test
    void qoAndKvBatchSizesMustAgree() {
        // one query segment, two page segments, and the other way round
        assertNames(() -> attn.planPrefill(new int[] {0, 1}, new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 1}, 4),
                "qo_indptr", "1 requests", "kv_indptr 2");
        assertNames(() -> attn.planPrefill(new int[] {0, 1, 2, 3}, new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 1}, 4),
                "qo_indptr", "3 requests");
        assertNames(() -> attn.planRagged(new int[] {0, 1, 2}, new int[] {0, 5}, null), "qo_indptr");
    }

    @Test
    void everyRequestNeedsAPage() {
        assertNames(() -> attn.planPrefill(new int[] {0, 1, 2}, new int[] {0, 1, 1}, new int[] {0}, new int[] {1, 1}, 4),
                "request 1 has no KV page", "kv_indptr");
        assertNames(() -> attn.planDecode(new int[] {0, 0}, new int[0], new int[] {1}, 4), "request 0", "kv_indptr");
    }

    @Test
    void nullAndOneEntryIndptrs() {
        int[] one = {0};
        assertNames(() -> attn.planPrefill(new int[] {0, 1}, null, new int[] {0}, new int[] {1}, 4), "kv_indptr");
        assertNames(() -> attn.planPrefill(new int[] {0, 1}, one, new int[] {0}, new int[] {1}, 4), "kv_indptr");
        assertNames(() -> attn.planPrefill(null, new int[] {0, 1}, new int[] {0}, new int[] {1}, 4), "qo_indptr");
        assertNames(() -> attn.planPrefill(one, new int[] {0, 1}, new int[] {0}, new int[] {1}, 4), "qo_indptr");
        assertNames(() -> attn.planDecode(null, new int[] {0}, new int[] {1}, 4), "kv_indptr");
        assertNames(() -> attn.planDecode(one, new int[] {0}, new int[] {1}, 4), "kv_indptr");
        assertNames(() -> attn.planRagged(null, new int[] {0, 5}, null), "qo_indptr");
        assertNames(() -> attn.planRagged(new int[] {0, 1}, null, null), "kv_indptr");
        assertNames(() -> attn.planRagged(new int[] {0, 1}, one, null), "kv_indptr");
        // the other page arrays and the page size
        assertNames(() -> attn.planDecode(new int[] {0, 1}, null, new int[] {1}, 4), "kv_indices");
        assertNames(() -> attn.planDecode(new int[] {0, 1}, new int[] {0}, null, 4), "kv_last_page_len");
        assertNames(() -> attn.planDecode(new int[] {0, 1}, new int[] {0}, new int[] {1}, 0), "page_size=0");
    }

    @Test
    void raggedKvLensLengthAndRange() {
        int[] qo = {0, 1, 2};
        int[] kv = {0, 30, 70};
        assertNames(() -> attn.planRagged(qo, kv, new int[] {30, 40, 5}), "kv_lens has 3 entries", "batch size is 2");
        assertNames(() -> attn.planRagged(qo, kv, new int[] {30}), "kv_lens has 1 entries");
        // longer than its segment, or empty
        assertNames(() -> attn.planRagged(qo, kv, new int[] {30, 41}), "kv_lens[1]=41", "kv_indptr segment of 40");
        assertNames(() -> attn.planRagged(qo, kv, new int[] {0, 40}), "kv_lens[0]=0");
        // at the segment's end exactly is fine, and the plan reports those lengths
        BatchPlan plan = attn.planRagged(qo, kv, new int[] {30, 40});
        assertEquals(30, plan.kvLen(0));
        assertEquals(40, plan.kvLen(1));
        assertEquals(30, plan.kvStart(1));
    }

    @Test
    void raggedEmptyKvLens() {
        assertNames(() -> attn.planRagged(new int[] {0, 1}, new int[] {0, 30}, new int[0]), "kv_lens");
    }

    @Test
    void raggedKvLensEntryIsNamed() {
        assertNames(() -> attn.planRagged(new int[] {0, 1}, new int[] {0, 30}, new int[] {31}), "kv_lens[0]");
    }

    private static float[] values(int n, float base) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = base + i * 0.001f;
        }
        return x;
    }

    /**
     * Request A fills page 2 (4 tokens); request B holds 2 tokens on page 3. An append where A adds
     * a token on page 4 (valid) and B adds 3 tokens (its pages hold 2) must throw and write
     * nothing: not A's new token, and not the slot before B's page, which is A's last token.
     */
    @Test
    void appendBeyondARequestsPagesWritesNothing() {
        int d = 64;
        try (PagedKvCache cache = PagedKvCache.create(manager, 6, 4, 2, d, KvLayout.NHD, DataType.FLOAT32)) {
            float[] k0 = values(6 * 2 * d, 1f);
            float[] v0 = values(6 * 2 * d, -1f);
            cache.append(manager.create(k0, new Shape(6, 2, d)), manager.create(v0, new Shape(6, 2, d)),
                    new int[] {0, 4, 6}, new int[] {0, 1, 2}, new int[] {2, 3}, new int[] {4, 2});
            // the initial append put A's token 3, head 1 on page 2, slot 3
            assertEquals(k0[(3 * 2 + 1) * d + 5], cache.get(false, 2, 3, 1, 5), 0f);
            assertEquals(v0[(5 * 2) * d + 7], cache.get(true, 3, 1, 0, 7), 0f);
            float[] keys = cache.getKeys().toFloatArray();
            float[] vals = cache.getValues().toFloatArray();

            NDArray k = manager.create(values(4 * 2 * d, 50f), new Shape(4, 2, d));
            NDArray v = manager.create(values(4 * 2 * d, 60f), new Shape(4, 2, d));
            assertNames(() -> cache.append(k, v, new int[] {0, 1, 4}, new int[] {0, 2, 3}, new int[] {2, 4, 3},
                    new int[] {1, 2}), "request 1 appends 3 tokens", "hold only 2");
            assertEquals(0, Bits.diff(keys, cache.getKeys().toFloatArray()), "key pool changed");
            assertEquals(0, Bits.diff(vals, cache.getValues().toFloatArray()), "value pool changed");
            assertEquals(k0[(3 * 2 + 1) * d + 5], cache.get(false, 2, 3, 1, 5), 0f);

            // exactly as many tokens as the pages hold is allowed: B rewrites both its tokens
            NDArray k2 = manager.create(values(2 * 2 * d, 70f), new Shape(2, 2, d));
            cache.append(k2, k2, new int[] {0, 2}, new int[] {0, 1}, new int[] {3}, new int[] {2});
            assertEquals(70f + (1 * 2 + 1) * d * 0.001f + 3 * 0.001f, cache.get(false, 3, 1, 1, 3), 1e-6f);
            assertEquals(k0[(3 * 2 + 1) * d + 5], cache.get(false, 2, 3, 1, 5), 0f, "A's page untouched");
        }
    }

    @Test
    void appendNamesAppendIndptr() {
        try (PagedKvCache cache = PagedKvCache.create(manager, 4, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32)) {
            NDArray k = manager.zeros(new Shape(1, 2, 64));
            assertNames(() -> cache.append(k, k, new int[] {0, 1}, new int[] {0, 1, 2}, new int[] {0, 1},
                    new int[] {1, 1}), "append_indptr");
        }
    }
}
