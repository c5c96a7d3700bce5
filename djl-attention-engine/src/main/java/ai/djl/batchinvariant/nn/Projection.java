/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * A linear projection {@code y = x W^T + b} whose parameter {@code weight} holds {@code W^T} (in,
 * out), transposed once at load, so a call is one matrix product whose every output element
 * reduces over the input features in one fixed order, whatever the number of rows. Optional
 * parameter {@code bias} (out).
 */
public final class Projection extends LoadedBlock {

    private final Parameter weightT;
    private final Parameter bias;
    private final long out;

    /**
     * Creates the projection.
     *
     * @param weight (out, in) as checkpoints store it; this block transposes it and closes it
     * @param bias (out) or null; owned by this block from now on
     */
    public Projection(NDArray weight, NDArray bias) {
        this.out = weight.getShape().get(0);
        this.weightT = param("weight", Parameter.Type.WEIGHT, weight.transpose().duplicate());
        weight.close();
        this.bias = bias == null ? null : param("bias", Parameter.Type.BIAS, bias);
    }

    /**
     * Applies the projection.
     *
     * @param x (rows, in)
     * @return (rows, out), in x's manager
     */
    @Override
    public NDArray forward(NDArray x) {
        NDArray y = x.matMul(weightT.getArray());
        return bias == null ? y : y.add(bias.getArray());
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }
}
