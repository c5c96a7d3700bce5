/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor.upward;

import ai.djl.batchinvariant.engine.BiNDArray;

/** A test fixture in the storage layer that imports the engine: the layering rule must reject it. */
public final class ReachesUp {

    private ReachesUp() {}

    /**
     * Names an engine class from the bottom layer.
     *
     * @return the engine's NDArray class
     */
    public static Class<?> up() {
        return BiNDArray.class;
    }
}
