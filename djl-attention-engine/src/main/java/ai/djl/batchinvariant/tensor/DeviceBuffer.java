/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

/**
 * Device memory as the storage layer sees it: a reference-counted block on one device. Backends
 * implement it; the layers above only share and release it, so they never name a device API.
 */
public interface DeviceBuffer {

    /**
     * Adds a reference (a view sharing this memory).
     *
     * @return this
     */
    DeviceBuffer retain();

    /** Drops a reference; the last one returns the block to its allocator. */
    void release();

    /**
     * Returns the usable size.
     *
     * @return bytes
     */
    long getBytes();

    /**
     * Returns the ordinal of the device holding the memory.
     *
     * @return the device id
     */
    int getDeviceId();
}
