/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * Launch plumbing shared by the element-wise, copy and gather families: output allocation (with
 * the poison fill tests turn on), grid-stride launches, and the one-word flags read back after a
 * kernel.
 */
final class Launch {

    static final int THREADS = 256;
    /** Enough blocks to fill any current GPU; the kernels loop over the rest. */
    static final long MAX_BLOCKS = 1L << 16;
    /**
     * A smaller block cap for tests, so that small inputs take many grid steps a thread (the
     * kernels' loops over the rest); 0 (the default) keeps {@link #MAX_BLOCKS}.
     */
    static volatile int maxBlocksOverride;

    private Launch() {}

    /**
     * Allocates an output, filled with 0xFF bytes (NaN for every float type) when poisoning is
     * on, so that a kernel that skips an element cannot pass a test on zeroed memory.
     */
    static Tensor output(CudaDevice device, Shape shape, DataType type) {
        return Tensor.device(shape, type, memory(device, shape.size() * type.getNumOfBytes()));
    }

    /**
     * Allocates output memory (at least 8 bytes, a multiple of 8), poisoned like {@link #output}.
     *
     * @param device the device
     * @param bytes the size
     * @return the memory
     */
    static DeviceMemory memory(CudaDevice device, long bytes) {
        DeviceMemory mem = device.allocate(Math.max(8, (bytes + 7) & ~7L));
        if (Boolean.getBoolean(CudaAttention.POISON_PROPERTY)) {
            mem.fill32(0xffffffff, Math.max(2, (bytes + 3) / 4));
        }
        return mem;
    }

    /** Runs one grid-stride kernel over {@code n} items on the calling thread's stream. */
    static void run(CudaDevice device, String module, String kernel, Params params, long n) {
        if (n <= 0) {
            return;
        }
        CUfunction f = device.function(module, kernel, 0);
        long blocks = Math.min(maxBlocksOverride > 0 ? maxBlocksOverride : MAX_BLOCKS, (n + THREADS - 1) / THREADS);
        device.makeCurrent();
        check(JCudaDriver.cuLaunchKernel(f, (int) blocks, 1, 1, THREADS, 1, 1, 0, device.getStream(),
                params.toKernelParams(), null), "cuLaunchKernel(" + kernel + ", " + n + " items)");
    }

    /** A device word set to {@code init} on the calling thread's stream. */
    static DeviceMemory flag(CudaDevice device, int init) {
        DeviceMemory m = device.allocate(8);
        m.fill32(init, 2);
        return m;
    }

    /** Reads a flag's first 8 bytes (waits for the kernels queued before) and frees it. */
    static long read(DeviceMemory flag) {
        try {
            ByteBuffer bb = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            flag.getDevice().download(Pointer.to(bb), flag, 8);
            return bb.getLong(0);
        } finally {
            flag.release();
        }
    }

    /** The memory of an operand on the given device, or an error naming both devices. */
    static DeviceMemory on(CudaDevice device, Tensor t, String what) {
        if (!t.isOnDevice() || CudaBackend.device(t) != device) {
            throw new IllegalArgumentException(what + ": operand on " + t.getDevice() + " is not on gpu("
                    + device.getIndex() + ")");
        }
        return CudaBackend.memory(t);
    }
}
