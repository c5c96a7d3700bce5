/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Data movement on a GPU: every operation is a strided copy ({@link CudaCopy}) with the CPU
 * backend's shapes, checks and conversions.
 */
final class CudaShapeOps implements ShapeOps {

    static final CudaShapeOps INSTANCE = new CudaShapeOps();

    private CudaShapeOps() {}

    private static Tensor run(Tensor a, CopyPlans.Walk w, String what) {
        return CudaCopy.gather(a, w.inOffset, w.inStrides, w.shape, w.outShape, what);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor transpose(Tensor a, int[] axes) {
        return run(a, CopyPlans.transpose(a.getShape(), axes), "NDArray.transpose");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor broadcast(Tensor a, Shape target) {
        return run(a, CopyPlans.broadcast(a.getShape(), target), "NDArray.broadcast");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor repeat(Tensor a, int axis, long repeats) {
        return run(a, CopyPlans.repeat(a.getShape(), axis, repeats), "NDArray.repeat");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor tile(Tensor a, long[] repeats) {
        return run(a, CopyPlans.tile(a.getShape(), repeats), "NDArray.tile");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor slice(Tensor a, int axis, long start, long end) {
        return run(a, CopyPlans.slice(a.getShape(), axis, start, end), "NDArray.split");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor flip(Tensor a, int[] axes) {
        return run(a, CopyPlans.flip(a.getShape(), axes), "NDArray.flip");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor concat(Tensor[] all, int axis) {
        DataType t = all[0].getDataType();
        Shape s0 = all[0].getShape();
        long[] dims = OpChecks.concatDims(all, axis);
        Tensor out = Launch.output(CudaBackend.device(all[0]), new Shape(dims), t);
        long[] ost = StridedArgs.contiguous(dims);
        long at = 0;
        for (Tensor b : all) {
            long[] bd = b.getShape().getShape();
            CudaCopy.copy(b, 0, StridedArgs.contiguous(bd), out, at * ost[axis], ost, bd, DataAbi.MODE_RAW, 0,
                    "NDArray.concat");
            at += bd[axis];
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor toType(Tensor a, DataType type) {
        long[] dims = a.getShape().getShape();
        Tensor out = Launch.output(CudaBackend.device(a), a.getShape(), type);
        long[] st = StridedArgs.contiguous(dims);
        CudaCopy.copy(a, 0, st, out, 0, st, dims, CudaCopy.conversionMode(a.getDataType(), type), 0, "NDArray.toType");
        return out;
    }
}
