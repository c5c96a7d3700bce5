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
 * parameter {@code bias} (out). Made by {@link #linear}, it keeps {@code W} (out, in) as the
 * checkpoint stores it and runs {@code linear} instead (the GPU's 16-bit path: no transposed copy
 * at load, and the weight layout the GPU GEMM is measured with).
 */
public final class Projection extends LoadedBlock {

    private final Parameter weightT;
    private final Parameter bias;
    private final long out;
    private final boolean keepLayout;

    /**
     * Creates the projection.
     *
     * @param weight (out, in) as checkpoints store it; this block transposes it and closes it
     * @param bias (out) or null; owned by this block from now on
     */
    public Projection(NDArray weight, NDArray bias) {
        this(weight, bias, false);
    }

    private Projection(NDArray weight, NDArray bias, boolean keepLayout) {
        this.out = weight.getShape().get(0);
        this.keepLayout = keepLayout;
        if (keepLayout) {
            this.weightT = param("weight", Parameter.Type.WEIGHT, weight);
        } else {
            this.weightT = param("weight", Parameter.Type.WEIGHT, weight.transpose().duplicate());
            weight.close();
        }
        this.bias = bias == null ? null : param("bias", Parameter.Type.BIAS, bias);
    }

    /**
     * Creates a projection that keeps the weight as (out, in) and computes {@code linear(x, W, b)}.
     *
     * @param weight (out, in), owned by this block from now on
     * @param bias (out) or null; owned by this block from now on
     * @return the projection
     */
    public static Projection linear(NDArray weight, NDArray bias) {
        return new Projection(weight, bias, true);
    }

    /**
     * Applies the projection.
     *
     * @param x (rows, in)
     * @return (rows, out), in x's manager
     */
    @Override
    public NDArray forward(NDArray x) {
        if (keepLayout) {
            NDArray b = bias == null ? null : bias.getArray();
            return x.getNDArrayInternal().linear(x, weightT.getArray(), b).singletonOrThrow();
        }
        NDArray y = x.matMul(weightT.getArray());
        if (bias == null) {
            return y;
        }
        try (y) {
            return y.add(bias.getArray());
        }
    }

    /** Whether the weight is kept as (out, in) and run by {@code linear}, with no bias. */
    boolean isPlainLinear() {
        return keepLayout && bias == null;
    }

    /** The weight as kept: (out, in) for {@link #linear} projections, (in, out) otherwise. */
    NDArray weight() {
        return weightT.getArray();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }
}
