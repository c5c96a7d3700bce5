/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi.Copy;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Launches of the strided copy ({@code kernels/src/copy.cu}): every shape operation and slice
 * assignment is one or more of these.
 */
final class CudaCopy {

    private CudaCopy() {}

    /**
     * Copies {@code in} (or a fill value) into {@code out} along an iteration shape.
     *
     * @param in the source, or null to write {@code fill}
     * @param inOffset the source's first element
     * @param inStrides its element strides along {@code shape}
     * @param out the destination
     * @param outOffset its first element
     * @param outStrides its strides along {@code shape}
     * @param shape the iteration shape
     * @param mode a {@link DataAbi} mode: MODE_RAW for a bit copy between equal types
     * @param fill the value written when {@code in} is null (converted as setDouble does)
     * @param what the operation, for messages
     */
    static void copy(Tensor in, long inOffset, long[] inStrides, Tensor out, long outOffset, long[] outStrides,
            long[] shape, int mode, double fill, String what) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n == 0) {
            return;
        }
        CudaDevice device = CudaBackend.device(out);
        StridedArgs args = StridedArgs.of(shape, inStrides, outStrides).checkRank(what);
        DeviceMemory mi = in == null ? null : Launch.on(device, in, what);
        DeviceMemory mo = Launch.on(device, out, what);
        device.await(device.getStream(), mi, mo);
        Params p = DataAbi.COPY.newParams()
                .ptr(Copy.IN, mi == null ? null : mi.getPointer())
                .ptr(Copy.OUT, mo.getPointer())
                .i64s(Copy.SHAPE, args.shape())
                .i64s(Copy.STRIDE_IN, args.strides(0))
                .i64s(Copy.STRIDE_OUT, args.strides(1))
                .i64(Copy.IN_OFFSET, inOffset)
                .i64(Copy.OUT_OFFSET, outOffset)
                .i64(Copy.N, n)
                .i64(Copy.FILL_BITS, Double.doubleToRawLongBits(fill))
                .i32(Copy.RANK, args.rank())
                .i32(Copy.TYPE_IN, DataAbi.dtypeCode(in == null ? out.getDataType() : in.getDataType()))
                .i32(Copy.MODE, mode);
        Launch.run(device, DataAbi.MODULE_COPY, DataAbi.copyKernel(out.getDataType()), p, n);
    }

    /** A gather of {@code in} along a walk shape into a new contiguous array, same type. */
    static Tensor gather(Tensor in, long inOffset, long[] inStrides, long[] shape, String what) {
        return gather(in, inOffset, inStrides, shape, new Shape(shape), what);
    }

    /** The same, the result given another shape of the walk's size (repeat and tile walk more axes). */
    static Tensor gather(Tensor in, long inOffset, long[] inStrides, long[] walk, Shape outShape, String what) {
        Tensor out = Launch.output(CudaBackend.device(in), outShape, in.getDataType());
        copy(in, inOffset, inStrides, out, 0, StridedArgs.contiguous(walk), walk, DataAbi.MODE_RAW, 0, what);
        return out;
    }

    /** The copy mode converting one type into another, as the CPU backend's toType does. */
    static int conversionMode(DataType from, DataType to) {
        return from == to ? DataAbi.MODE_RAW : CudaElementwise.mode(TypeRules.conversion(from, to));
    }
}
