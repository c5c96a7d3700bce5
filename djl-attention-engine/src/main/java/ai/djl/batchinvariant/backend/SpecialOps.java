/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

/**
 * Element-wise special functions. Each output element depends on its own inputs only. Integer and
 * boolean operands give float32 results, like PyTorch's. A backend without a kernel inherits the
 * defaults, which refuse the op by name.
 */
public interface SpecialOps {

    /** The family of a backend that runs none of these functions. */
    SpecialOps REFUSING = new SpecialOps() {};

    /**
     * Applies a one-operand function.
     *
     * @param fn the function (not {@link SpecialFn#isBinary binary})
     * @param a the operand
     * @return new storage of the same shape
     */
    default Tensor unary(SpecialFn fn, Tensor a) {
        throw Unsupported.op("NDArray." + fn.opName(), a.getDevice());
    }

    /**
     * Applies a two-operand function with numpy broadcasting.
     *
     * @param fn the function ({@link SpecialFn#isBinary binary})
     * @param a the left operand
     * @param b the right operand
     * @return new storage of the broadcast shape
     */
    default Tensor binary(SpecialFn fn, Tensor a, Tensor b) {
        throw Unsupported.op("NDArray." + fn.opName(), a.getDevice());
    }
}
