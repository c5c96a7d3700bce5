/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The plain-Java backend: attention, state merging and the engine's dense math (matrix products,
 * softmax, norms, element-wise operations), each reducing a row in one fixed order, and the typed
 * host storage of arrays (float16/bfloat16 rounding in one place). The reference and the
 * everywhere-available path. Internal to the engine.
 */
package ai.djl.batchinvariant.backend.cpu;
