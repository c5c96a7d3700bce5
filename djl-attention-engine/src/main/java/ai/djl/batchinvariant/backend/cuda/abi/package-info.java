/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The kernels' binary interface: one params-struct layout per kernel family, mirrored from
 * {@code kernels/include/bi/} and tested against the device compiler's own layout, and every
 * kernel symbol the CUDA backend loads. Internal: not part of the published API.
 */
package ai.djl.batchinvariant.backend.cuda.abi;
