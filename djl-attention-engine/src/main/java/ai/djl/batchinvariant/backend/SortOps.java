/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

/**
 * Order statistics: sorting, medians, percentiles, unique values and non-zero positions. Every
 * sort is stable (equal values keep their index order; NaN sorts above every number), and each
 * output row is computed from its own lane alone. A backend without a kernel inherits the
 * defaults, which refuse the op by name.
 */
public interface SortOps {

    /** The family of a backend that runs none of these ops. */
    SortOps REFUSING = new SortOps() {};

    /**
     * Sorts along an axis.
     *
     * @param a the operand
     * @param axis the axis (negative counts from the end; a rank-0 array has the one axis -1/0)
     * @param ascending the direction; descending keeps equal values in index order as well
     * @param indices return the int64 positions (argSort) instead of the values
     * @return new storage of the same shape
     */
    default Tensor sort(Tensor a, int axis, boolean ascending, boolean indices) {
        throw Unsupported.op(indices ? "NDArray.argSort" : "NDArray.sort", a.getDevice());
    }

    /**
     * The lower median over the given axes: the element of rank {@code (n - 1) / 2}, NaN if the
     * lane holds a NaN.
     *
     * @param a the operand
     * @param axes the axes reduced together
     * @return new storage of the input type, without the reduced axes
     */
    default Tensor median(Tensor a, int[] axes) {
        throw Unsupported.op("NDArray.median", a.getDevice());
    }

    /**
     * The percentile over the given axes, interpolated linearly between the two nearest ranks
     * (numpy's default).
     *
     * @param a the operand
     * @param q the percentile, in [0, 100]
     * @param axes the axes reduced together, or null for all
     * @return new storage of the input type (which must be floating)
     */
    default Tensor percentile(Tensor a, double q, int[] axes) {
        throw Unsupported.op("NDArray.percentile", a.getDevice());
    }

    /**
     * The sorted distinct values (or distinct slices along {@code dim}), with the inverse map and
     * the counts.
     *
     * @param a the operand
     * @param dim the axis whose slices are compared, or null to flatten
     * @param inverse whether to compute the inverse map (else an empty int64 array)
     * @param counts whether to compute the counts (else an empty int64 array)
     * @return values, inverse, counts
     */
    default Tensor[] unique(Tensor a, Integer dim, boolean inverse, boolean counts) {
        throw Unsupported.op("NDArray.unique", a.getDevice());
    }

    /**
     * The positions of the non-zero elements (NaN counts as non-zero), in row-major order.
     *
     * @param a the operand
     * @return int64 storage of shape (count, max(rank, 1))
     */
    default Tensor nonzero(Tensor a) {
        throw Unsupported.op("NDArray.nonzero", a.getDevice());
    }
}
