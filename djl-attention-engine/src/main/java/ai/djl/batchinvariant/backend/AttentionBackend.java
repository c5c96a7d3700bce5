/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;

/**
 * One implementation of batch attention. Inputs arrive validated: the plan, shapes, data types and
 * page indices have been checked against each other, so a backend never sees a bad request.
 *
 * <p>Contract: for every query row, the arithmetic (KV tiles at absolute positions, chunks of the
 * plan's split size at absolute positions, chunk states merged left to right) is a function of
 * that row's request alone.
 */
public interface AttentionBackend {

    /**
     * Computes attention for every query row of the plan.
     *
     * @param plan the batch plan
     * @param q query storage (total_qo, num_qo_heads, head_dim)
     * @param kv key storage: a page pool for paged plans, (total_kv, num_kv_heads, head_dim) rows
     *     otherwise
     * @param vv value storage, laid out as the keys
     * @param kvType the data type of q, keys and values (float32, float16 or bfloat16)
     * @param layout the pool layout (paged plans)
     * @param numPagesOrRows pages in the pool, or KV rows for ragged plans
     * @param out output (total_qo, num_qo_heads, head_dim), float32
     * @param lse log-sum-exp (total_qo, num_qo_heads), float32
     */
    void run(BatchPlan plan, Object q, Object kv, Object vv, ai.djl.ndarray.types.DataType kvType,
            KvLayout layout, int numPagesOrRows, float[] out, float[] lse);
}
