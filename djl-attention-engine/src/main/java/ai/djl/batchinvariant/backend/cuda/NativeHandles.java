/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import jcuda.NativePointerObject;

/**
 * The driver handle inside a JCuda object (a function, a stream), for the calls JCuda does not
 * bind. A subclass may read the protected handle of a copy, so no reflection is needed.
 */
final class NativeHandles extends NativePointerObject {

    private NativeHandles(NativePointerObject o) {
        super(o);
    }

    /**
     * Returns the handle a JCuda object wraps.
     *
     * @param o a function, stream or other driver object
     * @return its handle (0 for the default stream)
     */
    static long of(NativePointerObject o) {
        return new NativeHandles(o).getNativePointer();
    }
}
