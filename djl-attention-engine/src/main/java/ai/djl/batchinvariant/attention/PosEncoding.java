/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

/** Positional encoding applied inside attention, at each token's absolute position. */
public enum PosEncoding {
    /** None: q and k are used as given. */
    NONE,
    /**
     * Llama rotary embedding (rotate-half layout) of q and k at their absolute positions, with
     * {@link AttentionSpec.Builder#optRope theta and scaling}; the KV cache holds un-rotated keys.
     */
    ROPE_LLAMA,
    /**
     * Llama rotary embedding with the keys rotated once, when they are appended through {@link
     * PagedKvCache#append(AttentionSpec, ai.djl.ndarray.NDArray, ai.djl.ndarray.NDArray, int[], int[],
     * int[], int[])} (or a decode step's inputs), and stored rotated; attention rotates the queries
     * only. The same options and rotation as {@link #ROPE_LLAMA}, and on the GPU the same bits: a
     * key is rounded to the cache's type after rotation in both. Faster, because a key is rotated
     * once rather than by every query tile that reads it. A cache filled this way is read with this
     * encoding only.
     */
    ROPE_LLAMA_ROTATED_CACHE,
    /** ALiBi: slope(head) * (kv position - query position) added to each logit. */
    ALIBI
}
