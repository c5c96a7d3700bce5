/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

/**
 * The figures of one GPU's caching allocator: memory held by live arrays (and its peak), freed
 * blocks kept for reuse, and the cap on those (system property {@code
 * ai.djl.batchinvariant.gpu_cache_limit_mb}).
 */
public final class GpuMemory {

    private final long inUse;
    private final long peakInUse;
    private final long cached;
    private final long cacheLimit;

    GpuMemory(long[] stats) {
        inUse = stats[0];
        peakInUse = stats[1];
        cached = stats[2];
        cacheLimit = stats[3];
    }

    /**
     * Returns the bytes held by live arrays, plans and graphs.
     *
     * @return bytes
     */
    public long getInUse() {
        return inUse;
    }

    /**
     * Returns the largest {@link #getInUse()} seen.
     *
     * @return bytes
     */
    public long getPeakInUse() {
        return peakInUse;
    }

    /**
     * Returns the bytes freed by arrays and kept for reuse.
     *
     * @return bytes
     */
    public long getCached() {
        return cached;
    }

    /**
     * Returns the cap on {@link #getCached()}.
     *
     * @return bytes
     */
    public long getCacheLimit() {
        return cacheLimit;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "in use " + inUse + " B (peak " + peakInUse + "), cached " + cached + " B of a " + cacheLimit + " B cap";
    }
}
