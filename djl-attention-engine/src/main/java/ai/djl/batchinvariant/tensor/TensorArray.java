/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

/**
 * An NDArray backed by a {@link Tensor}. The engine's NDArray implements it, so the layers below
 * the engine (attention, blocks) reach storage without naming the engine's classes.
 */
public interface TensorArray {

    /**
     * Returns the storage.
     *
     * @return the tensor
     * @throws IllegalStateException if the array was closed
     */
    Tensor tensor();
}
