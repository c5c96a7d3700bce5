/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Cast;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/** The NDArray operations the CUDA backend runs besides attention: casts. */
public final class CudaOps {

    private CudaOps() {}

    /**
     * Tells whether {@link #cast} converts between two types.
     *
     * @param from the source type
     * @param to the target type
     * @return true for float32 to and from float16 or bfloat16
     */
    public static boolean canCast(DataType from, DataType to) {
        boolean half = to == DataType.FLOAT16 || to == DataType.BFLOAT16;
        boolean halfFrom = from == DataType.FLOAT16 || from == DataType.BFLOAT16;
        return from == DataType.FLOAT32 && half || halfFrom && to == DataType.FLOAT32;
    }

    /**
     * Converts float32 to or from float16/bfloat16 (round to nearest even).
     *
     * @param in the source, on a GPU
     * @param to the target type
     * @return the converted tensor
     */
    public static Tensor cast(Tensor in, DataType to) {
        CudaDevice device = CudaBackend.device(in);
        long n = in.getShape().size();
        DeviceMemory out = device.allocate(Math.max(4, n * to.getNumOfBytes()));
        Tensor result = Tensor.device(in.getShape(), to, out);
        if (n == 0) {
            return result;
        }
        String name = Abi.castKernel(in.getDataType(), to);
        CUfunction f = device.function(Abi.MODULE_CAST, name, 0);
        device.await(device.getStream(), CudaBackend.memory(in));
        Pointer args = Abi.CAST.newParams()
                .ptr(Cast.IN, CudaBackend.memory(in).getPointer())
                .ptr(Cast.OUT, out.getPointer())
                .i64(Cast.N, n)
                .toKernelParams();
        int blocks = (int) Math.min(65535, (n + 255) / 256);
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, 256, 1, 1, 0, device.getStream(), args, null), "cuLaunchKernel(" + name + ")");
        return result;
    }
}
