/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.types.DataType;

/**
 * Which result types an in-place operation may write back into its array: PyTorch's rule that an
 * in-place op never casts to a lower kind (a float result into an integer array, an integer or
 * float result into a boolean array), so {@code int += float} and {@code bool += int} fail rather
 * than truncate silently.
 */
final class InPlaceCast {

    private InPlaceCast() {}

    /**
     * Tells whether a result of type {@code from} may be stored into an array of type {@code to}.
     *
     * @param from the result type
     * @param to the array's type
     * @return true unless the cast lowers the kind
     */
    static boolean allowed(DataType from, DataType to) {
        if (from == to) {
            return true;
        }
        if (HostData.isFloating(from) && !HostData.isFloating(to)) {
            return false;
        }
        return !(to == DataType.BOOLEAN && from != DataType.BOOLEAN);
    }
}
