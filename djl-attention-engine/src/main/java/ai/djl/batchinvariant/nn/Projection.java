/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;

/**
 * A linear projection {@code y = x W^T + b} with the weight stored transposed once at load, so a
 * call is one matrix product whose every output element reduces over the input features in one
 * fixed order, whatever the number of rows.
 */
public final class Projection implements AutoCloseable {

    private final NDArray weightT;
    private final NDArray bias;

    /**
     * Creates the projection.
     *
     * @param weight (out, in) as checkpoints store it; this block transposes it and closes it
     * @param bias (out) or null
     */
    public Projection(NDArray weight, NDArray bias) {
        this.weightT = weight.transpose().duplicate();
        weight.close();
        this.bias = bias;
    }

    /**
     * Applies the projection.
     *
     * @param x (rows, in)
     * @return (rows, out), in x's manager
     */
    public NDArray forward(NDArray x) {
        NDArray y = x.matMul(weightT);
        return bias == null ? y : y.add(bias);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        weightT.close();
        if (bias != null) {
            bias.close();
        }
    }
}
