/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Storage, the bottom layer: {@link ai.djl.batchinvariant.tensor.Tensor} (shape, data type and a
 * host primitive array or device buffer), typed host data with the one place that rounds to
 * float16/bfloat16, and row-major index arithmetic. Depends on nothing of the engine. Internal: not
 * part of the published API.
 */
package ai.djl.batchinvariant.tensor;
