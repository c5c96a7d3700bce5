/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Misuse that used to slip through or fail oddly: every case raises IllegalArgumentException
 * naming the field, before anything is allocated or written, and the engine keeps working.
 */
class AttentionMisuseTest extends EngineTestBase {

    private static void assertNames(Executable call, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message '" + e.getMessage() + "' should contain '" + w + "'");
        }
    }

    @Test
    void specRefusesExplicitNanAndInfinities() {
        assertNames(() -> AttentionSpec.builder().setHeads(2, 1).setHeadDim(64).optSmScale(Float.NaN).build(),
                "sm_scale=NaN");
        assertNames(() -> AttentionSpec.builder().setHeads(2, 1).setHeadDim(64)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(Double.POSITIVE_INFINITY, 1).build(), "rope_theta=Infinity");
        assertNames(() -> AttentionSpec.builder().setHeads(2, 1).setHeadDim(64)
                .optLlama3Scaling(8, 1, 4, 0).build(), "original_max_position=0");
        assertNames(() -> AttentionSpec.builder().setHeads(2, 1).setHeadDim(64)
                .optLlama3Scaling(Double.NaN, 1, 4, 8192).build(), "factor=NaN");
    }

    @Test
    void oversizedPoolsAreRefusedByField() {
        assertNames(() -> PagedKvCache.create(manager, 1, 1_000_000_000, 8, 128, KvLayout.NHD, DataType.FLOAT32),
                "page_size=1000000000", "num_kv_heads=8");
        assertNames(() -> PagedKvCache.create(manager, 10_000_000, 16, 8, 128, KvLayout.NHD, DataType.FLOAT32),
                "num_pages=10000000");
        // nothing was left attached: the manager still makes a cache
        PagedKvCache.create(manager, 2, 16, 1, 64, KvLayout.NHD, DataType.FLOAT32).close();
    }

    @Test
    void aClosedCacheIsNamed() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(2, 1).setHeadDim(64).build();
        BatchAttention attn = new BatchAttention(spec);
        PagedKvCache cache = PagedKvCache.create(manager, 2, 16, 1, 64, KvLayout.NHD, DataType.FLOAT32);
        BatchPlan plan = attn.planDecode(new int[] {0, 1}, new int[] {0}, new int[] {3}, 16);
        NDArray q = manager.ones(new Shape(1, 2, 64));
        cache.close();
        assertNames(() -> attn.run(plan, q, cache), "kv_cache");
        NDArray k = manager.ones(new Shape(1, 1, 64));
        assertNames(() -> cache.append(k, k, new int[] {0, 1}, new int[] {0, 1}, new int[] {0}, new int[] {1}),
                "kv_cache");
    }

    @Test
    void aClosedManagerIsNamed() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(2, 1).setHeadDim(64).build();
        BatchAttention attn = new BatchAttention(spec);
        NDManager sub = manager.newSubManager();
        PagedKvCache cache = PagedKvCache.create(sub, 2, 16, 1, 64, KvLayout.NHD, DataType.FLOAT32);
        BatchPlan plan = attn.planDecode(new int[] {0, 1}, new int[] {0}, new int[] {3}, 16);
        NDArray q = manager.ones(new Shape(1, 2, 64));
        sub.close();
        assertNames(() -> attn.run(plan, q, cache), "kv_cache");
        assertNames(() -> PagedKvCache.create(sub, 2, 16, 1, 64, KvLayout.NHD, DataType.FLOAT32), "manager");
    }
}
