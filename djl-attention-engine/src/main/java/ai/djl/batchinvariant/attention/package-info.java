/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The fused, batch-invariant attention API over a paged KV cache (FlashInfer conventions):
 * {@link ai.djl.batchinvariant.attention.AttentionSpec} describes a layer, {@link
 * ai.djl.batchinvariant.attention.BatchAttention} plans a batch (prefill, decode or ragged) and
 * runs it against a {@link ai.djl.batchinvariant.attention.PagedKvCache}; the KV axis is split at
 * fixed absolute positions ({@link ai.djl.batchinvariant.attention.SplitPolicy}) so that a
 * request's result never depends on the rest of its batch. {@link
 * ai.djl.batchinvariant.attention.DecodeInputs} holds a whole decode step's inputs at fixed
 * addresses, so that the step can be recorded once as a CUDA graph and replayed.
 */
package ai.djl.batchinvariant.attention;
