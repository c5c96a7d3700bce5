/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import jcuda.driver.CUdeviceptr;

/**
 * Reads the raw address of a JCuda device pointer, which a params struct stores as a 64-bit
 * field. JCuda keeps the address and byte offset protected; a subclass copy reads them.
 */
public final class DevicePointers extends CUdeviceptr {

    private DevicePointers(CUdeviceptr p) {
        super(p);
    }

    /**
     * Returns a device pointer's address (base plus byte offset).
     *
     * @param p the pointer
     * @return the address
     */
    public static long address(CUdeviceptr p) {
        DevicePointers copy = new DevicePointers(p);
        return copy.getNativePointer() + copy.getByteOffset();
    }
}
