/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import ai.djl.ndarray.NDArray;

/**
 * An NDManager that can adopt a {@link Tensor} as one of its arrays. The engine's NDManager
 * implements it; the attention API uses it to hand results back in the caller's manager.
 */
public interface TensorFactory {

    /**
     * Wraps a tensor as an array attached to this manager, which then owns it.
     *
     * @param tensor the storage
     * @return the array
     */
    NDArray wrap(Tensor tensor);
}
