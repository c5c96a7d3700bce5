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
    /** ALiBi: slope(head) * (kv position - query position) added to each logit. */
    ALIBI
}
