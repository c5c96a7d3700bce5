/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Building blocks: the fused attention block, and the pieces of Llama-family decoders (RMS norm,
 * projections, gated SiLU MLP, embedding lookup, LM head). Each block's rows are computed
 * independently of the other rows in its input. {@link ai.djl.batchinvariant.nn.StepGraph}
 * records a step that reads fixed input buffers as one CUDA graph.
 */
package ai.djl.batchinvariant.nn;
