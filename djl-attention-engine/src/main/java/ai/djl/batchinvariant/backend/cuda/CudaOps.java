/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Cast;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Linear;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/** The NDArray operations the CUDA backend runs besides attention: linear layers and casts. */
public final class CudaOps {

    private CudaOps() {}

    /**
     * y = x Wᵀ + b in float32, each output summed over k in increasing order by one thread.
     *
     * @param x input (rows, k), float32, on a GPU
     * @param w weight (n, k), float32, same GPU
     * @param b bias (n) or null
     * @return the output (rows, n) float32
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        CudaDevice device = CudaBackend.device(x);
        int k = (int) w.getShape().get(1);
        int n = (int) w.getShape().get(0);
        int rows = (int) (x.getShape().size() / Math.max(1, k));
        DeviceMemory y = device.allocate(Math.max(4, (long) rows * n * 4));
        Tensor out = Tensor.device(new Shape(rows, n), DataType.FLOAT32, y);
        if (rows == 0 || n == 0) {
            return out;
        }
        CUfunction f = device.function(Abi.MODULE_LINEAR, Abi.LINEAR_KERNEL, 0);
        device.await(device.getStream(), CudaBackend.memory(x), CudaBackend.memory(w),
                b == null ? null : CudaBackend.memory(b));
        Pointer args = Abi.LINEAR.newParams()
                .ptr(Linear.X, CudaBackend.memory(x).getPointer())
                .ptr(Linear.W, CudaBackend.memory(w).getPointer())
                .ptr(Linear.BIAS, b == null ? null : CudaBackend.memory(b).getPointer())
                .ptr(Linear.Y, y.getPointer())
                .i32(Linear.M, rows)
                .i32(Linear.N, n)
                .i32(Linear.K, k)
                .toKernelParams();
        check(JCudaDriver.cuLaunchKernel(f, (n + 63) / 64, (rows + 63) / 64, 1, 256, 1, 1, 0, device.getStream(), args, null),
                "cuLaunchKernel(linear " + rows + "x" + n + "x" + k + ")");
        return out;
    }

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
