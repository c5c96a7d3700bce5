/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;

/**
 * Array math beyond the element-wise and reduction families: running products, differences,
 * diagonals, p-norms, padding, scatters and the matrix inverse. Every reduction runs in index
 * order over its own lane. A backend without a kernel inherits the defaults, which refuse the op
 * by name.
 */
public interface ArrayMathOps {

    /** The family of a backend that runs none of these ops. */
    ArrayMathOps REFUSING = new ArrayMathOps() {};

    /**
     * Running product along an axis, in index order.
     *
     * @param a the operand
     * @param axis the axis
     * @param type the type to compute and return in, or null (integers and booleans give int64)
     * @return new storage of the same shape
     */
    default Tensor cumProd(Tensor a, int axis, DataType type) {
        throw Unsupported.op("NDArray.cumProd", a.getDevice());
    }

    /**
     * The n-th forward difference along an axis ({@code x[i+1] - x[i]}, logical xor for booleans).
     *
     * @param a the operand
     * @param n the order
     * @param axis the axis
     * @return new storage, the axis shortened by n
     */
    default Tensor diff(Tensor a, int n, int axis) {
        throw Unsupported.op("NDArray.diff", a.getDevice());
    }

    /**
     * The diagonal of the planes spanned by two axes, appended as the last axis.
     *
     * @param a the operand, of rank 2 or more
     * @param offset the diagonal's offset (positive above the main diagonal)
     * @param axis1 the first axis
     * @param axis2 the second axis
     * @return new storage
     */
    default Tensor diagonal(Tensor a, int offset, int axis1, int axis2) {
        throw Unsupported.op("NDArray.diagonal", a.getDevice());
    }

    /**
     * The p-norm over axes ({@code (sum |x|^p)^(1/p)}; p = 0 counts non-zeros), accumulated in
     * float64 in index order.
     *
     * @param a the operand, of a floating type
     * @param ord the order p
     * @param axes the axes, or an empty array for all
     * @param keepDims keep the reduced axes with size 1
     * @return new storage of the input type
     */
    default Tensor norm(Tensor a, int ord, int[] axes, boolean keepDims) {
        throw Unsupported.op("NDArray.norm", a.getDevice());
    }

    /**
     * Divides by the p-norm along an axis, clamped below by eps.
     *
     * @param a the operand, of a floating type
     * @param p the order
     * @param dim the axis
     * @param eps the smallest divisor
     * @return new storage of the input type
     */
    default Tensor normalize(Tensor a, double p, int dim, double eps) {
        throw Unsupported.op("NDArray.normalize", a.getDevice());
    }

    /**
     * Pads with a constant; {@code padding} pairs (before, after) run from the last axis backwards,
     * and negative amounts crop.
     *
     * @param a the operand
     * @param padding the amounts
     * @param value the fill value
     * @return new storage
     */
    default Tensor pad(Tensor a, long[] padding, double value) {
        throw Unsupported.op("NDArray.pad", a.getDevice());
    }

    /**
     * Writes values at flat indices of a copy (later writes to the same index win).
     *
     * @param a the operand
     * @param index int64 flat indices (negative count from the end)
     * @param values values, one per index
     * @return new storage
     */
    default Tensor put(Tensor a, Tensor index, Tensor values) {
        throw Unsupported.op("NDArray.put", a.getDevice());
    }

    /**
     * Writes {@code values[i]} of a copy at position {@code index[i]} along an axis (later writes to
     * the same position win).
     *
     * @param a the operand
     * @param index int64 positions, of the shape of the written region
     * @param values values, at least as large as {@code index} on every axis
     * @param axis the axis the positions index
     * @return new storage
     */
    default Tensor scatter(Tensor a, Tensor index, Tensor values, int axis) {
        throw Unsupported.op("NDArray.scatter", a.getDevice());
    }

    /**
     * Inverts square matrices over the last two axes (Gauss-Jordan with partial pivoting: the
     * first row of largest magnitude wins), in float64.
     *
     * @param a the operand (..., n, n), of a floating type
     * @return new storage of the input type
     */
    default Tensor inverse(Tensor a) {
        throw Unsupported.op("NDArray.inverse", a.getDevice());
    }
}
