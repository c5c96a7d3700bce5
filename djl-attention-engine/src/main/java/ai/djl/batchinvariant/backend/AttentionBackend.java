/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.engine.BiNDArray;

/**
 * One implementation of batch attention. Inputs arrive validated: the plan, shapes, data types,
 * devices and page indices have been checked against each other, so a backend never sees a bad
 * request.
 *
 * <p>Contract: for every query row, the arithmetic (KV tiles at absolute positions, chunks of the
 * split size at absolute positions, chunk states merged left to right) is a function of that row's
 * request alone.
 */
public interface AttentionBackend {

    /**
     * Computes attention for every query row of the plan.
     *
     * @param plan the batch plan
     * @param q queries (total_qo, num_qo_heads, head_dim)
     * @param k keys: a page pool for paged plans, (total_kv, num_kv_heads, head_dim) otherwise
     * @param v values, laid out as the keys
     * @param layout the pool layout (paged plans)
     * @param numPagesOrRows pages in the pool, or KV rows for ragged plans
     * @return output (q's type) and lse (float32), on q's device and manager
     */
    AttentionOutput run(BatchPlan plan, BiNDArray q, BiNDArray k, BiNDArray v, KvLayout layout, int numPagesOrRows);
}
