/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.ConvGeometry;
import ai.djl.batchinvariant.backend.ConvPoolOps;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Conv;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Convolution and global pooling on a GPU (conv.cu): one thread per output, each a float64 sum
 * in the CPU backend's order with the CPU's rounding steps, so the results have the CPU's bits.
 * The other pooling ops, transposed convolution and resize are not here yet: they run through the
 * host fallback.
 */
final class CudaConvPool implements ConvPoolOps {

    static final CudaConvPool INSTANCE = new CudaConvPool();

    private CudaConvPool() {}

    /** The output type: the input's floating type, float32 for other inputs (as the CPU). */
    private static DataType outType(Tensor x) {
        return HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
    }

    private static Params params(Tensor x, Tensor out, int kind, long total) {
        return Abi.CONV.newParams()
                .ptr(Conv.X, CudaBackend.memory(x).getPointer())
                .ptr(Conv.Y, CudaBackend.memory(out).getPointer())
                .i64(Conv.TOTAL, total)
                .i32(Conv.KIND, kind)
                .i32(Conv.TYPE_X, DataAbi.dtypeCode(x.getDataType()));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor convolution(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape dilation, int groups) {
        ConvGeometry g = ConvGeometry.of(x, w, b, stride, padding, dilation, groups);
        for (Tensor t : new Tensor[] {w, b}) {
            if (t != null && !t.getDevice().equals(x.getDevice())) {
                throw new IllegalArgumentException("convolution: input on " + x.getDevice() + ", weights on "
                        + t.getDevice());
            }
        }
        CudaDevice device = CudaBackend.device(x);
        Tensor out = Launch.output(device, g.outShape, outType(x));
        long total = g.outShape.size();
        if (total == 0) {
            return out;
        }
        device.await(device.getStream(), CudaBackend.memory(x), CudaBackend.memory(w),
                b == null ? null : CudaBackend.memory(b));
        Params p = params(x, out, Conv.KIND_FORWARD, total)
                .ptr(Conv.W, CudaBackend.memory(w).getPointer())
                .ptr(Conv.BIAS, b == null ? null : CudaBackend.memory(b).getPointer())
                .i32(Conv.TYPE_W, DataAbi.dtypeCode(w.getDataType()))
                .i32(Conv.TYPE_B, DataAbi.dtypeCode(b == null ? w.getDataType() : b.getDataType()))
                .i32(Conv.C, g.channels)
                .i32(Conv.O, g.outChannels)
                .i32(Conv.CG, g.channelsPerGroup)
                .i32(Conv.OG, g.outChannels / g.groups);
        int[][] axes = {g.in, g.kernel, g.stride, g.padding, g.dilation, g.out};
        int[] first = {Conv.IN0, Conv.K0, Conv.S0, Conv.P0, Conv.D0, Conv.OUT0};
        for (int a = 0; a < axes.length; a++) {
            for (int i = 0; i < 3; i++) {
                p.i32(first[a] + i, axes[a][i]);
            }
        }
        Launch.run(device, Abi.MODULE_CONV, Abi.convKernel(outType(x)), p, total);
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor globalPool(Tensor x, boolean max) {
        Shape xs = x.getShape();
        ConvGeometry.spatialRank(xs, max ? "globalMaxPool" : "globalAvgPool");
        CudaDevice device = CudaBackend.device(x);
        Shape outShape = xs.slice(0, 2);
        Tensor out = Launch.output(device, outShape, outType(x));
        long total = outShape.size();
        if (total == 0) {
            return out;
        }
        device.await(device.getStream(), CudaBackend.memory(x));
        Params p = params(x, out, max ? Conv.KIND_GLOBAL_MAX : Conv.KIND_GLOBAL_AVG, total)
                .i64(Conv.PLANE, xs.slice(2).size())
                .i32(Conv.OUT0, 1)
                .i32(Conv.OUT1, 1)
                .i32(Conv.OUT2, 1)
                .i32(Conv.O, 1);
        Launch.run(device, Abi.MODULE_CONV, Abi.convKernel(outType(x)), p, total);
        return out;
    }
}
