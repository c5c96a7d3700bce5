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
 * Every invalid field is rejected with an {@link IllegalArgumentException} that names it, before
 * any computation: the cache and a valid request's result are unchanged afterwards.
 */
class AttentionBadInputTest {

    private NDManager manager;
    private AttentionSpec spec;
    private BatchAttention attn;
    private PagedKvCache cache;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
        spec = AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).optCausal(true).build();
        attn = new BatchAttention(spec);
        cache = PagedKvCache.create(manager, 8, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32);
        NDArray k = manager.randomNormal(new Shape(10, 2, 64));
        NDArray v = manager.randomNormal(new Shape(10, 2, 64));
        cache.append(k, v, new int[] {0, 6, 10}, new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4});
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static void assertNames(String field, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(field), "message '" + e.getMessage() + "' should name " + field);
    }

    private NDArray q(int rows) {
        return manager.randomNormal(new Shape(rows, 4, 64));
    }

    @Test
    void nonMonotoneIndptr() {
        assertNames("qo_indptr", () -> attn.planPrefill(new int[] {0, 3, 2}, new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4));
        assertNames("kv_indptr", () -> attn.planPrefill(new int[] {0, 1, 2}, new int[] {0, 3, 2}, new int[] {5, 1, 7}, new int[] {2, 4}, 4));
        assertNames("qo_indptr[0]", () -> attn.planPrefill(new int[] {1, 1, 2}, new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4));
    }

    @Test
    void pageIndexOutsideThePool() {
        BatchPlan plan = attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 8}, new int[] {2, 4}, 4);
        assertNames("kv_indices[2]=8", () -> attn.run(plan, q(2), cache));
        assertNames("kv_indices[0]=-1", () -> attn.planDecode(new int[] {0, 1}, new int[] {-1}, new int[] {1}, 4));
    }

    @Test
    void lastPageLenOutsideRange() {
        assertNames("kv_last_page_len[1]=5", () -> attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 5}, 4));
        assertNames("kv_last_page_len[0]=0", () -> attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {0, 4}, 4));
        assertNames("kv_last_page_len", () -> attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2}, 4));
    }

    @Test
    void lengthsBeyondThePagesGiven() {
        assertNames("kv_indices", () -> attn.planDecode(new int[] {0, 2, 4}, new int[] {5, 1, 7}, new int[] {2, 4}, 4));
        assertNames("qo_len 7 > kv_len 6", () -> attn.planPrefill(new int[] {0, 7, 8}, new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4));
    }

    @Test
    void headsAndHeadDim() {
        assertNames("num_kv_heads=3", () -> AttentionSpec.builder().setHeads(4, 3).setHeadDim(64).build());
        assertNames("head_dim=96", () -> AttentionSpec.builder().setHeads(4, 2).setHeadDim(96).build());
        AttentionSpec other = AttentionSpec.builder().setHeads(8, 4).setHeadDim(64).build();
        BatchAttention a = new BatchAttention(other);
        BatchPlan plan = a.planDecode(new int[] {0, 2}, new int[] {5, 1}, new int[] {2}, 4);
        assertNames("num_kv_heads", () -> a.run(plan, manager.randomNormal(new Shape(1, 8, 64)), cache));
    }

    @Test
    void dtypeAndShapeMismatch() {
        BatchPlan plan = attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4);
        assertNames("q dtype float16", () -> attn.run(plan, q(2).toType(DataType.FLOAT16, false), cache));
        assertNames("q shape", () -> attn.run(plan, q(3), cache));
        assertNames("page_size", () -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {2}, 8), q(1), cache));
        assertNames("kv_cache dtype=int32", () -> PagedKvCache.create(manager, 2, 4, 2, 64, KvLayout.NHD, DataType.INT32));
    }

    @Test
    void splitSizeNotAMultipleOfTheTile() {
        assertNames("fixed_split_size=100", () -> SplitPolicy.fixed(100));
        assertNames("fixed_split_size=0", () -> SplitPolicy.fixed(0));
        assertNames("fixed_split_size=-64", () -> SplitPolicy.fixed(-64));
    }

    @Test
    void closedManagerOrArray() {
        BatchPlan plan = attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4);
        NDManager other = manager.newSubManager();
        NDArray q = other.randomNormal(new Shape(2, 4, 64));
        other.close();
        assertNames("q has been closed", () -> attn.run(plan, q, cache));
        NDManager sub = manager.newSubManager();
        sub.close();
        assertNames("closed", () -> PagedKvCache.create(sub, 2, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32));
    }

    @Test
    void badRequestLeavesCacheAndOtherRequestsIntact() {
        BatchPlan good = attn.planDecode(new int[] {0, 2, 3}, new int[] {5, 1, 7}, new int[] {2, 4}, 4);
        NDArray q = q(2);
        float[] before = attn.run(good, q, cache).getOutput().toFloatArray();
        float[] keys = cache.getKeys().toFloatArray();
        // an append that names a page outside the pool must write nothing
        NDArray k = manager.randomNormal(new Shape(1, 2, 64));
        assertNames("kv_indices[1]=9", () -> cache.append(k, k, new int[] {0, 1}, new int[] {0, 2}, new int[] {5, 9}, new int[] {1}));
        assertEquals(0, Bits.diff(keys, cache.getKeys().toFloatArray()));
        float[] after = attn.run(good, q, cache).getOutput().toFloatArray();
        assertEquals(0, Bits.diff(before, after));
    }
}
