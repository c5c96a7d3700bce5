/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The CUDA backend, through JCuda's driver API: runtime and device discovery, per-device contexts,
 * kernel modules (the fatbin resources of the kernels module) and allocation, attention launches,
 * KV append and captured decode graphs. The one call JCuda does not bind, the driver's tensor-map
 * encoder for Hopper's copy engine, goes through the optional foreign linker ({@code TensorMaps}).
 * Where no driver, device or kernels exist it reports why and the engine runs on the CPU backend.
 * Internal to the engine.
 */
package ai.djl.batchinvariant.backend.cuda;
