/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * Root-mean-square layer norm as Llama computes it: {@code w * x / sqrt(mean(x^2) + eps)} over the
 * last axis, in float32. On this engine's arrays it is one backend op (a fused kernel on the
 * GPU); on other engines' arrays it is composed of NDArray ops. Either way each row's statistics
 * are reduced from that row alone. Parameter {@code weight} (hidden).
 *
 * <p>A float16 or bfloat16 input is normalised as Hugging Face transformers does for those
 * types: the statistics and {@code x / rms} in float32, rounded once to the input's type, then
 * multiplied by the weight in that type ({@code w * norm(x).to(dtype)}).
 */
public final class RmsNorm extends LoadedBlock {

    private final Parameter weight;
    private final float eps;

    /**
     * Creates the norm.
     *
     * @param weight the scale (hidden), owned by this block from now on
     * @param eps the variance epsilon
     */
    public RmsNorm(NDArray weight, float eps) {
        this.weight = param("weight", Parameter.Type.GAMMA, weight);
        this.eps = eps;
    }

    /**
     * Normalises each row.
     *
     * @param x (rows, hidden)
     * @return (rows, hidden), in x's manager
     */
    @Override
    public NDArray forward(NDArray x) {
        NDArray w = weight.getArray();
        boolean half = x.getDataType() == DataType.FLOAT16 || x.getDataType() == DataType.BFLOAT16;
        if (x instanceof TensorArray && w instanceof TensorArray && x.getManager() instanceof TensorFactory) {
            // one kernel either way; for 16-bit types the normalised row is rounded before the weight
            ReductionOps ops = Backends.of(x.getDevice()).reductions();
            Tensor xt = ((TensorArray) x).tensor();
            Tensor wt = ((TensorArray) w).tensor();
            return ((TensorFactory) x.getManager()).wrap(half ? ops.rmsNormThenScale(xt, wt, eps)
                    : ops.rmsNorm(xt, wt, eps));
        }
        int last = x.getShape().dimension() - 1;
        try (NDArray sq = x.square();
                NDArray var = sq.mean(new int[] {last}, true);
                NDArray ve = var.add(eps);
                NDArray inv = ve.sqrt();
                NDArray n = x.div(inv)) {
            return n.mul(w);
        }
    }

    /**
     * Adds a residual and normalises the sum, as {@code forward(x.add(residual))} computes it (the
     * same bits), in one backend op on this engine's arrays.
     *
     * @param x (rows, hidden)
     * @param residual the same shape and type
     * @return the sum and its normalised rows, in x's manager
     */
    public NDList forwardAdd(NDArray x, NDArray residual) {
        NDArray w = weight.getArray();
        if (x instanceof TensorArray && residual instanceof TensorArray && w instanceof TensorArray
                && x.getManager() instanceof TensorFactory) {
            Tensor[] r = Backends.of(x.getDevice()).reductions().addRmsNorm(((TensorArray) x).tensor(),
                    ((TensorArray) residual).tensor(), ((TensorArray) w).tensor(), eps);
            TensorFactory f = (TensorFactory) x.getManager();
            return new NDList(f.wrap(r[0]), f.wrap(r[1]));
        }
        NDArray sum = x.add(residual);
        return new NDList(sum, forward(sum));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
