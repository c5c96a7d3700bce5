/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Matrix products on a GPU: the float32 {@code linear} kernel; {@code matMul} refuses by name. */
final class CudaLinalg implements LinalgOps {

    static final CudaLinalg INSTANCE = new CudaLinalg();

    private CudaLinalg() {}

    /** {@inheritDoc} */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor b) {
        for (Tensor a : new Tensor[] {x, w, b}) {
            if (a != null && a.getDevice().equals(x.getDevice()) && a.getDataType() != DataType.FLOAT32) {
                // a type the kernel does not run is a refusal by name, not a bad argument
                throw Unsupported.op("NDArrayEx.linear (" + a.getDataType() + "; the kernel runs float32)",
                        x.getDevice());
            }
            if (a != null && (!a.getDevice().equals(x.getDevice()) || a.getDataType() != DataType.FLOAT32)) {
                throw new IllegalArgumentException("linear on " + x.getDevice() + " needs float32 input, weight and"
                        + " bias on that device; got " + a.getDataType() + " on " + a.getDevice());
            }
        }
        int n = (int) w.getShape().get(0);
        if (b != null && b.getShape().size() != n) {
            throw new IllegalArgumentException("linear: bias " + b.getShape() + " does not match " + n + " outputs");
        }
        long[] od = x.getShape().getShape().clone();
        od[od.length - 1] = n;
        Tensor y = CudaOps.linear(x, w, b);
        Tensor shaped = y.view(new Shape(od));
        y.close();
        return shaped;
    }
}
