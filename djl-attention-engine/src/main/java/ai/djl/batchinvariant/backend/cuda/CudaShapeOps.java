/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;

/** Data movement on a GPU: float32 to and from float16/bfloat16; the rest refuses by name. */
final class CudaShapeOps implements ShapeOps {

    static final CudaShapeOps INSTANCE = new CudaShapeOps();

    private CudaShapeOps() {}

    /** {@inheritDoc} */
    @Override
    public Tensor toType(Tensor a, DataType type) {
        if (!CudaOps.canCast(a.getDataType(), type)) {
            throw Unsupported.op("NDArray.toType", a.getDevice());
        }
        return CudaOps.cast(a, type);
    }
}
