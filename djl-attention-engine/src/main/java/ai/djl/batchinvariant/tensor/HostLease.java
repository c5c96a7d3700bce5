/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

/**
 * Shared ownership of a host array that may be handed back for reuse: the tensors over it (a
 * tensor and its views) each hold one reference, and when the last is closed the array goes to its
 * {@link Recycler} — unless someone was given the array itself ({@link Tensor#hostData}), in which
 * case nothing can tell when they stop using it and the array is left to the garbage collector.
 */
public final class HostLease {

    /** Takes back an array no tensor uses any more. */
    @FunctionalInterface
    public interface Recycler {

        /**
         * Takes the array over; nothing else holds it.
         *
         * @param array the primitive array
         */
        void recycle(Object array);
    }

    private final Object array;
    private final Recycler recycler;
    private int refs = 1;
    private volatile boolean escaped;

    HostLease(Object array, Recycler recycler) {
        this.array = array;
        this.recycler = recycler;
    }

    synchronized void retain() {
        refs++;
    }

    void escape() {
        if (!escaped) {
            escaped = true;
        }
    }

    /**
     * Tells whether the array was handed out and so will never be reused.
     *
     * @return true once {@link Tensor#hostData} was called on a tensor over it
     */
    public boolean isEscaped() {
        return escaped;
    }

    void release() {
        boolean last;
        synchronized (this) {
            last = --refs == 0;
        }
        if (last && !escaped) {
            recycler.recycle(array);
        }
    }
}
