/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Hugging Face decoders on the engine: {@code config.json} and memory-mapped safetensors in,
 * a Llama-family model built from the engine's blocks, a paged KV pool and a continuous-batching
 * generator whose tokens and logits for a request do not depend on the rest of the batch. On a
 * GPU the model computes in the {@code dtype} option's 16-bit type and replays its decode steps
 * from CUDA graphs recorded per batch-size bucket.
 */
package ai.djl.batchinvariant.model;
