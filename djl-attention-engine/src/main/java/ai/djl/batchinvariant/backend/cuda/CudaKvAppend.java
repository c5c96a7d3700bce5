/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.tensor.Tensor;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/** Copies new tokens' key and value head vectors into a paged pool on the device. */
public final class CudaKvAppend {

    private CudaKvAppend() {}

    /**
     * Launches the copy; the offsets were computed (and validated) by the caller.
     *
     * @param k new keys (rows, heads, head_dim), contiguous
     * @param v new values, same shape
     * @param keyPool the key pool
     * @param valuePool the value pool
     * @param dstElementOffsets pool element offset of each (row, head) vector
     * @param headDim head dimension
     */
    public static void run(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool,
            long[] dstElementOffsets, int headDim) {
        int count = dstElementOffsets.length;
        if (count == 0) {
            return;
        }
        CudaDevice device = CudaBackend.device(keyPool);
        CUstream stream = device.getStream();
        int bytes = k.getDataType().getNumOfBytes();
        int vectors = headDim * bytes / 16;
        long[] dst = new long[count];
        for (int i = 0; i < count; i++) {
            dst[i] = dstElementOffsets[i] * bytes / 16;
        }
        DeviceMemory offsets = device.allocate((long) count * 8);
        try {
            device.upload(offsets.getPointer(), Pointer.to(dst), (long) count * 8);
            CUfunction f = device.function("kv_append", "bi_kv_append", 0);
            Pointer args = Pointer.to(
                    Pointer.to(CudaBackend.memory(k).getPointer()),
                    Pointer.to(CudaBackend.memory(v).getPointer()),
                    Pointer.to(CudaBackend.memory(keyPool).getPointer()),
                    Pointer.to(CudaBackend.memory(valuePool).getPointer()),
                    Pointer.to(offsets.getPointer()),
                    Pointer.to(new int[] {vectors}),
                    Pointer.to(new int[] {count}));
            check(JCudaDriver.cuLaunchKernel(f, count, 1, 1, Math.min(vectors, 128), 1, 1, 0, stream, args, null),
                    "cuLaunchKernel(kv_append, " + count + " blocks)");
            // the offsets go back to the cache after this: wait for this thread's stream only
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize(kv_append)");
        } finally {
            offsets.release();
        }
    }
}
