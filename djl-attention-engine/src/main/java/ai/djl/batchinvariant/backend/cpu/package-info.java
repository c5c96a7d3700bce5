/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The plain-Java backend: attention, state merging and the engine's dense math (matrix products,
 * softmax, norms, element-wise operations), each reducing a row in one fixed order, and the typed
 * host storage of arrays (float16/bfloat16 rounding in one place). The reference and the
 * everywhere-available path. Float32 matrix products use the incubating Vector API where the JVM
 * has the module ({@code --add-modules jdk.incubator.vector}) and plain loops otherwise, with the
 * same bits. Internal to the engine.
 */
package ai.djl.batchinvariant.backend.cpu;
