/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

/**
 * What every op launcher shares: output memory that, with the poison property set, starts as
 * NaN bit patterns, so a kernel that skips an element cannot pass a test on zero-filled memory.
 */
final class CudaLaunch {

    private CudaLaunch() {}

    /**
     * Allocates an op's output (at least 4 bytes), poisoned when {@link CudaAttention#POISON_PROPERTY}
     * is true.
     *
     * @param device the device
     * @param bytes the size
     * @return the memory
     */
    static DeviceMemory output(CudaDevice device, long bytes) {
        DeviceMemory mem = device.allocate(Math.max(4, bytes));
        if (Boolean.getBoolean(CudaAttention.POISON_PROPERTY)) {
            mem.fill32(0xffffffff, (Math.max(4, bytes) + 3) / 4);
        }
        return mem;
    }
}
