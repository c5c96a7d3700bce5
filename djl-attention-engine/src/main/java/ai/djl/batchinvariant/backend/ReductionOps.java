/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.Shape;

/**
 * Reductions. Each output element reduces its own segment in a fixed order that depends only on
 * the segment's length. A backend without a kernel inherits the defaults, which refuse by name.
 */
public interface ReductionOps {

    /**
     * Reduces over axes.
     *
     * @param op the reduction
     * @param a the operand
     * @param axes the axes (negative allowed), or null for all
     * @param keepDims whether reduced axes stay as size 1
     * @return new storage
     */
    default Tensor reduce(ReduceOp op, Tensor a, int[] axes, boolean keepDims) {
        throw Unsupported.op("NDArray." + op.opName(), a.getDevice());
    }

    /**
     * Index of the largest or smallest element along an axis (ties: the first).
     *
     * @param a the operand
     * @param axis the axis, or null for the flattened array
     * @param max true for argMax
     * @return new int64 storage
     */
    default Tensor argExtreme(Tensor a, Integer axis, boolean max) {
        throw Unsupported.op(max ? "NDArray.argMax" : "NDArray.argMin", a.getDevice());
    }

    /**
     * The k largest or smallest elements along an axis and their indices (ties: lower index first).
     *
     * @param a the operand
     * @param k how many
     * @param axis the axis
     * @param largest true for the largest
     * @return values and int64 indices
     */
    default Tensor[] topK(Tensor a, int k, int axis, boolean largest) {
        throw Unsupported.op("NDArray.topK", a.getDevice());
    }

    /**
     * Softmax or log-softmax along an axis.
     *
     * @param a the operand
     * @param axis the axis
     * @param log true for log-softmax
     * @return new storage
     */
    default Tensor softmax(Tensor a, int axis, boolean log) {
        throw Unsupported.op(log ? "NDArray.logSoftmax" : "NDArray.softmax", a.getDevice());
    }

    /**
     * Running sum along an axis.
     *
     * @param a the operand
     * @param axis the axis
     * @return new storage
     */
    default Tensor cumSum(Tensor a, int axis) {
        throw Unsupported.op("NDArray.cumSum", a.getDevice());
    }

    /**
     * Layer normalisation over trailing dimensions.
     *
     * @param x the input
     * @param normalizedShape the trailing shape normalised together
     * @param gamma the scale, or null
     * @param beta the shift, or null
     * @param eps the epsilon
     * @return new storage
     */
    default Tensor layerNorm(Tensor x, Shape normalizedShape, Tensor gamma, Tensor beta, float eps) {
        throw Unsupported.op("NDArrayEx.layerNorm", x.getDevice());
    }

    /**
     * RMS normalisation over the last axis: {@code x / sqrt(mean(x²) + eps) * weight}, the
     * statistics of each row reduced from that row alone.
     *
     * @param x the input, rank 1 or more
     * @param weight the scale over the last axis, or null
     * @param eps the epsilon
     * @return new storage
     */
    default Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        throw Unsupported.op("rmsNorm", x.getDevice());
    }

    /**
     * RMS normalisation in the order Hugging Face transformers uses for 16-bit types: the
     * normalised row is rounded to x's type first, then multiplied by {@code weight} (converted to
     * x's type) and rounded again — the bits of {@code rmsNorm(x, null, eps)} followed by
     * {@code mul(weight)}. For float32 and float64 the first rounding changes nothing.
     *
     * @param x the input, floating point, rank 1 or more
     * @param weight the scale over the last axis
     * @param eps the epsilon
     * @return new storage of x's type
     */
    default Tensor rmsNormThenScale(Tensor x, Tensor weight, float eps) {
        throw Unsupported.op("rmsNormThenScale", x.getDevice());
    }

    /**
     * A residual add and the RMS norm of its result, the pair between a decoder's blocks: returns
     * {@code {x + residual, norm(x + residual)}} with the bits of {@code binary(ADD, x, residual)}
     * followed by {@link #rmsNormThenScale} of the sum (which is {@link #rmsNorm} for 32- and 64-bit
     * types).
     *
     * @param x the input, floating point, rank 1 or more
     * @param residual the same shape and type
     * @param weight the scale over the last axis
     * @param eps the epsilon
     * @return the sum and the normalised sum, new storage of x's type
     */
    default Tensor[] addRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps) {
        throw Unsupported.op("addRmsNorm", x.getDevice());
    }

    /**
     * Batch normalisation with running statistics (inference).
     *
     * @param x the input
     * @param mean the running mean
     * @param var the running variance
     * @param gamma the scale, or null
     * @param beta the shift, or null
     * @param axis the channel axis
     * @param eps the epsilon
     * @return new storage
     */
    default Tensor batchNorm(Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, int axis, float eps) {
        throw Unsupported.op("NDArrayEx.batchNorm", x.getDevice());
    }
}
