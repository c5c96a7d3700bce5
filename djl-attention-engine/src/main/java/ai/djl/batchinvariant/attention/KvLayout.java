/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

/** Memory layout of a paged KV cache (as FlashInfer names them). */
public enum KvLayout {
    /** (num_pages, page_size, num_kv_heads, head_dim). */
    NHD,
    /** (num_pages, num_kv_heads, page_size, head_dim). */
    HND
}
