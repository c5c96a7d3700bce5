/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.KvAppend;
import ai.djl.batchinvariant.tensor.Tensor;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/** Copies new tokens' key and value head vectors into a paged pool on the device. */
public final class CudaKvAppend {

    /** Threads per block of the append kernels. */
    private static final int THREADS = 128;

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
     * @param rope the table keys are stored rotated with, or null
     * @param positions with a table: each (row, head) vector's token position
     */
    public static void run(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool,
            long[] dstElementOffsets, int headDim, RopeTable rope, int[] positions) {
        int count = dstElementOffsets.length;
        if (count == 0) {
            return;
        }
        CudaDevice device = CudaBackend.device(keyPool);
        CUstream stream = device.getStream();
        device.await(stream, CudaBackend.memory(k), CudaBackend.memory(v), CudaBackend.memory(keyPool),
                CudaBackend.memory(valuePool));
        int bytes = k.getDataType().getNumOfBytes();
        int vectors = headDim * bytes / 16;
        long[] dst = new long[count];
        for (int i = 0; i < count; i++) {
            dst[i] = dstElementOffsets[i] * bytes / 16;
        }
        DeviceMemory[] table = null;
        if (rope != null) {
            int most = 0;
            for (int p : positions) {
                most = Math.max(most, p);
            }
            table = CudaAttention.rope(rope, device, most + 1);
        }
        DeviceMemory offsets = device.allocate((long) count * (rope == null ? 8 : 12));
        try {
            check(JCudaDriver.cuMemcpyHtoDAsync(offsets.getPointer(), Pointer.to(dst), (long) count * 8, stream),
                    "cuMemcpyHtoDAsync(kv_append offsets)");
            CUdeviceptr pos = null;
            if (rope != null) {
                pos = offsets.getPointer().withByteOffset((long) count * 8);
                check(JCudaDriver.cuMemcpyHtoDAsync(pos, Pointer.to(positions), (long) count * 4, stream),
                        "cuMemcpyHtoDAsync(kv_append positions)");
            }
            launch(device, stream, k, v, keyPool, valuePool, offsets.getPointer(), vectors, count, table, pos);
            // the offsets go back to the cache after this: wait for this thread's stream only
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize(kv_append)");
        } finally {
            offsets.release();
        }
    }

    /**
     * Launches kv_append on a stream: one block per (row, head) vector, each copying
     * {@code vectors} 16-byte chunks to the slot its entry of {@code offsets} names; with a RoPE
     * table ({cos, sin}) the key is stored rotated at the vector's entry of {@code positions}.
     */
    static void launch(CudaDevice device, CUstream stream, Tensor k, Tensor v, Tensor keyPool, Tensor valuePool,
            CUdeviceptr offsets, int vectors, int count, DeviceMemory[] rope, CUdeviceptr positions) {
        CUfunction f = device.function(Abi.MODULE_KV_APPEND,
                rope == null ? Abi.KV_APPEND_KERNEL : Abi.kvAppendRopeKernel(k.getDataType()), 0);
        Pointer args = Abi.KV_APPEND.newParams()
                .ptr(KvAppend.SRC_K, CudaBackend.memory(k).getPointer())
                .ptr(KvAppend.SRC_V, CudaBackend.memory(v).getPointer())
                .ptr(KvAppend.DST_K, CudaBackend.memory(keyPool).getPointer())
                .ptr(KvAppend.DST_V, CudaBackend.memory(valuePool).getPointer())
                .ptr(KvAppend.DST_OFFSETS, offsets)
                .i32(KvAppend.VECTORS, vectors)
                .i32(KvAppend.COUNT, count)
                .ptr(KvAppend.ROPE_COS, rope == null ? null : rope[0].getPointer())
                .ptr(KvAppend.ROPE_SIN, rope == null ? null : rope[1].getPointer())
                .ptr(KvAppend.POSITIONS, positions)
                .toKernelParams();
        // a thread per 16-byte vector (per rotated pair with a table: head_dim / 2 of them)
        long threads = (long) count * (rope == null ? vectors : vectors * 16 / k.getDataType().getNumOfBytes() / 2);
        int blocks = (int) ((threads + THREADS - 1) / THREADS);
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, THREADS, 1, 1, 0, stream, args, null),
                "cuLaunchKernel(kv_append, " + count + " vectors)");
    }
}
