/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

/**
 * The attention family: batch attention over a paged or ragged KV cache, KV append, and the merge
 * of attention states. Inputs arrive validated by the attention API (shapes, data types, devices,
 * page indices checked against the plan), so an implementation never sees a bad request.
 *
 * <p>Contract: for every query row, the arithmetic (KV tiles at absolute positions, chunks of the
 * plan's split size at absolute positions, chunk states merged left to right) is a function of
 * that row's request alone.
 */
public interface AttentionOps {

    /**
     * Computes attention for every query row of a plan.
     *
     * @param work the plan's work description
     * @param q queries (total_qo, num_qo_heads, head_dim)
     * @param k keys: a page pool for paged plans, (rows, num_kv_heads, head_dim) otherwise
     * @param v values, laid out as the keys
     * @param hnd pool layout (num_pages, num_kv_heads, page_size, head_dim) rather than NHD
     * @return {output (q's type, q's shape), lse (total_qo, num_qo_heads) float32}, on q's device
     */
    Tensor[] attention(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd);

    /**
     * Writes new keys and values into their pool slots.
     *
     * @param k new keys (rows, num_kv_heads, head_dim), the pools' type
     * @param v new values, as the keys
     * @param keyPool the key pool
     * @param valuePool the value pool
     * @param offsets element offset of each (row, kv head) vector in the pools, validated in range
     * @param headDim the head dimension
     * @param rope the table keys are rotated with before they are stored, or null to store them as
     *     given
     * @param positions with a table: the position of each (row, kv head) vector's token
     */
    void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool, long[] offsets, int headDim, RopeTable rope,
            int[] positions);

    /**
     * Merges attention states left to right along the state axis.
     *
     * @param v partial outputs (rows, states, heads, head_dim) float32
     * @param s their lse (rows, states, heads) float32
     * @return {merged output (rows, heads, head_dim), merged lse (rows, heads)}, float32
     */
    Tensor[] mergeStates(Tensor v, Tensor s);

    /**
     * Captures a decode step for replay (CUDA graphs). Backends without graphs refuse.
     *
     * @param config the attention configuration (the plan's static part)
     * @param keyPool the key pool
     * @param valuePool the value pool
     * @param hnd pool layout HND rather than NHD
     * @param splitSize the chunk length every replayed plan must have (a kernel argument)
     * @param pageSize tokens per page
     * @param maxBatch the most requests a replay takes
     * @param maxKvLen the longest KV a replay takes
     * @return the captured step
     */
    default DecodeStep captureDecode(AttentionConfig config, Tensor keyPool, Tensor valuePool, boolean hnd,
            int splitSize, int pageSize, int maxBatch, int maxKvLen) {
        throw Unsupported.op("BatchAttention.captureDecode", keyPool.getDevice());
    }

    /**
     * Allocates the fixed-address inputs of a decode step that is recorded once and replayed.
     *
     * @param config the attention configuration (the plan's static part)
     * @param keyPool a key pool of the model (device, type and head sizes)
     * @param splitSize the chunk length every loaded plan must have
     * @param pageSize tokens per page
     * @param capacity rows of every op
     * @param maxKvTokens the most KV tokens of all requests of a step together (the pool's size)
     * @param maxPages the most pages of a step's page table
     * @return the buffers
     */
    default DecodeBuffers decodeBuffers(AttentionConfig config, Tensor keyPool, int splitSize, int pageSize,
            int capacity, int maxKvTokens, int maxPages) {
        throw Unsupported.op("BatchAttention.decodeInputs", keyPool.getDevice());
    }

    /** A captured decode step: replays with a new plan of at most the captured sizes. */
    interface DecodeStep extends AutoCloseable {

        /**
         * Replays the step.
         *
         * @param work the plan (decode: one query row per request)
         * @param q queries on the capture's device
         * @return {output, lse} as {@link #attention} returns them
         */
        Tensor[] run(AttentionWork work, Tensor q);

        /** Releases the graph and its buffers. */
        @Override
        void close();
    }
}
