/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

/**
 * Element-wise operations with numpy broadcasting. Each output element depends on its own inputs
 * only. A backend without a kernel inherits the default, which refuses the op by name.
 */
public interface ElementwiseOps {

    /**
     * Applies a binary operation with broadcasting; the result type is the promoted type of the
     * operands, or boolean for comparisons and logical operations.
     *
     * @param op the operation
     * @param a the left operand
     * @param b the right operand
     * @return new storage of the broadcast shape
     */
    default Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        throw Unsupported.op("NDArray." + op.opName(), a.getDevice());
    }

    /**
     * Applies a unary operation.
     *
     * @param op the operation
     * @param a the operand
     * @return new storage of the same shape
     */
    default Tensor unary(UnaryOp op, Tensor a) {
        throw Unsupported.op("NDArray." + op.opName(), a.getDevice());
    }

    /**
     * Picks {@code a} where {@code condition} is non-zero and {@code b} elsewhere, broadcasting all
     * three.
     *
     * @param condition the condition
     * @param a the values where it holds
     * @param b the values elsewhere
     * @return new storage of the promoted type of {@code a} and {@code b}
     */
    default Tensor where(Tensor condition, Tensor a, Tensor b) {
        throw Unsupported.op("NDArray.where", a.getDevice());
    }

    /**
     * Leaky ReLU, computed in float32 (double for float64).
     *
     * @param a the operand
     * @param alpha the slope below zero
     * @return new float32 storage (float64 for a float64 operand, computed in double)
     */
    default Tensor leakyRelu(Tensor a, float alpha) {
        throw Unsupported.op("NDArrayEx.leakyRelu", a.getDevice());
    }

    /**
     * ELU, computed in float32 (double for float64).
     *
     * @param a the operand
     * @param alpha the scale below zero
     * @return new float32 storage (float64 for a float64 operand, computed in double)
     */
    default Tensor elu(Tensor a, float alpha) {
        throw Unsupported.op("NDArrayEx.elu", a.getDevice());
    }

    /**
     * The gate of a SwiGLU feed-forward layer: {@code x} holds {@code [g | u]} along its last axis
     * (an even width 2h) and the result (last axis h) is {@code silu(g) * u}, element by element as
     * the composed ops compute it: {@code g * sigmoid(g)} in float32 (double for float64), rounded
     * to x's type, then multiplied by {@code u} and rounded again — the roundings of
     * {@code g.toType(float32)}, sigmoid, mul, {@code toType(x's type)}, {@code mul(u)}.
     *
     * @param x the gate and up projections side by side, floating point, rank 1 or more
     * @return new storage of x's type, the last axis halved
     */
    default Tensor siluMul(Tensor x) {
        long w = x.getShape().dimension() == 0 ? 0 : x.getShape().get(x.getShape().dimension() - 1);
        return siluMul(x, (int) Math.max(1, w / 2));
    }

    /**
     * The SwiGLU gate of rows whose g and u alternate in blocks: a row of 2h elements holds g's
     * first {@code block} elements, then u's, then g's next block, and so on ({@code block = h} is
     * {@code [g | u]}); output element j pairs g and u at offset {@code j % block} of block
     * {@code j / block}. Arithmetic as {@link #siluMul(Tensor)}.
     *
     * @param x the interleaved gate and up values, floating point, rank 1 or more
     * @param block the elements of each block, dividing h
     * @return new storage of x's type, the last axis halved
     */
    default Tensor siluMul(Tensor x, int block) {
        throw Unsupported.op("siluMul", x.getDevice());
    }

    /**
     * Tells whether every element equals a value (compared as doubles; NaN equals nothing).
     *
     * @param a the operand
     * @param value the value
     * @return true if all equal (true for an empty array)
     */
    default boolean allEqual(Tensor a, double value) {
        throw Unsupported.op("NDArray.contentEquals", a.getDevice());
    }
}
