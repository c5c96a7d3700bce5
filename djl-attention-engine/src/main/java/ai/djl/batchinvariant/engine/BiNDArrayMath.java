/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.SpecialFn;
import ai.djl.batchinvariant.engine.internal.UnsupportedNDArray;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The engine array's special functions, order statistics and array math: each a delegation to
 * the {@link Backend#special}, {@link Backend#sorting} and {@link Backend#arrayMath} families of
 * the array's backend. Kept apart from {@link BiNDArray} so that class stays readable; the
 * storage accessors are {@link BiNDArray}'s.
 */
abstract class BiNDArrayMath extends UnsupportedNDArray {

    /** The backend serving this array's device. */
    abstract Backend backend();

    /** Wraps a result of this array's backend. */
    abstract BiNDArray wrap(Tensor t);

    /** Another operand's storage, on this array's device. */
    abstract Tensor other(NDArray other);

    /**
     * Returns the storage.
     *
     * @return the tensor
     */
    public abstract Tensor tensor();

    private NDArray special(SpecialFn fn) {
        return wrap(backend().special().unary(fn, tensor()));
    }

    @Override public NDArray asin() { return special(SpecialFn.ASIN); }
    @Override public NDArray acos() { return special(SpecialFn.ACOS); }
    @Override public NDArray atan() { return special(SpecialFn.ATAN); }
    @Override public NDArray sinh() { return special(SpecialFn.SINH); }
    @Override public NDArray cosh() { return special(SpecialFn.COSH); }
    @Override public NDArray asinh() { return special(SpecialFn.ASINH); }
    @Override public NDArray acosh() { return special(SpecialFn.ACOSH); }
    @Override public NDArray atanh() { return special(SpecialFn.ATANH); }
    @Override public NDArray erfinv() { return special(SpecialFn.ERFINV); }
    @Override public NDArray gammaln() { return special(SpecialFn.GAMMALN); }

    /** {@inheritDoc} */
    @Override
    public NDArray atan2(NDArray other) {
        return wrap(backend().special().binary(SpecialFn.ATAN2, tensor(), other(other)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray xlogy(NDArray other) {
        // DJL's contract (and its PyTorch engine) rejects rank-0 operands here.
        if (isScalar() || other.isScalar()) {
            throw new IllegalArgumentException("scalar is not allowed for xlogy()");
        }
        return wrap(backend().special().binary(SpecialFn.XLOGY, tensor(), other(other)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toDegrees() {
        // As DJL's PyTorch engine defines it: two roundings in the array's type.
        try (NDArray m = mul(180.0)) {
            return m.div(Math.PI);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toRadians() {
        try (NDArray m = mul(Math.PI)) {
            return m.div(180.0);
        }
    }

    // ---------------------------------------------------------------- truth counts
    // DJL's defaults compose the same operations but leave their intermediates in the manager.

    /** {@inheritDoc} */
    @Override
    public NDArray countNonzero() {
        return nonzero(null);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray countNonzero(int axis) {
        return nonzero(new int[] {axis});
    }

    private NDArray nonzero(int[] axes) {
        NDArray b = toType(DataType.BOOLEAN, false);
        try {
            return axes == null ? b.sum() : b.sum(axes);
        } finally {
            if (b != this) {
                b.close();
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray all() {
        try (NDArray n = countNonzero()) {
            return n.eq(size());
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray any() {
        try (NDArray n = countNonzero()) {
            return n.gt(0);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray none() {
        try (NDArray n = countNonzero()) {
            return n.eq(0);
        }
    }

    // ---------------------------------------------------------------- order statistics

    @Override public NDArray sort() { return sort(-1); }
    @Override public NDArray sort(int axis) { return wrap(backend().sorting().sort(tensor(), axis, true, false)); }

    /** {@inheritDoc} */
    @Override
    public NDArray argSort(int axis, boolean ascending) {
        return wrap(backend().sorting().sort(tensor(), axis, ascending, true));
    }

    /** {@inheritDoc} The median along the last axis, as DJL's PyTorch engine defines it. */
    @Override
    public NDArray median() {
        return median(new int[] {-1});
    }

    /** {@inheritDoc} */
    @Override
    public NDArray median(int[] axes) {
        return wrap(backend().sorting().median(tensor(), axes));
    }

    /** {@inheritDoc} Along the last axis, as DJL's PyTorch engine defines it. */
    @Override
    public NDArray percentile(Number percentile) {
        return percentile(percentile, new int[] {-1});
    }

    /** {@inheritDoc} */
    @Override
    public NDArray percentile(Number percentile, int[] axes) {
        return wrap(backend().sorting().percentile(tensor(), percentile.doubleValue(), axes));
    }

    /** {@inheritDoc} Values always come sorted. */
    @Override
    public NDList unique(Integer dim, boolean sorted, boolean returnInverse, boolean returnCounts) {
        Tensor[] r = backend().sorting().unique(tensor(), dim, returnInverse, returnCounts);
        return new NDList(wrap(r[0]), wrap(r[1]), wrap(r[2]));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray nonzero() {
        return wrap(backend().sorting().nonzero(tensor()));
    }

    // ---------------------------------------------------------------- array math

    @Override public NDArray cumProd(int axis) { return wrap(backend().arrayMath().cumProd(tensor(), axis, null)); }

    /** {@inheritDoc} */
    @Override
    public NDArray cumProd(int axis, DataType dataType) {
        return wrap(backend().arrayMath().cumProd(tensor(), axis, dataType));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray diff(int n, int axis) {
        return wrap(backend().arrayMath().diff(tensor(), n, axis));
    }

    @Override public NDArray diagonal() { return diagonal(0, 0, 1); }
    @Override public NDArray diagonal(int offset) { return diagonal(offset, 0, 1); }

    /** {@inheritDoc} */
    @Override
    public NDArray diagonal(int offset, int axis1, int axis2) {
        return wrap(backend().arrayMath().diagonal(tensor(), offset, axis1, axis2));
    }

    /** {@inheritDoc} The sum of {@link #diagonal(int, int, int)} over its last axis. */
    @Override
    public NDArray trace(int offset, int axis1, int axis2) {
        Tensor d = backend().arrayMath().diagonal(tensor(), offset, axis1, axis2);
        return wrap(backend().reductions().reduce(ReduceOp.SUM, d, new int[] {-1}, false));
    }

    /** {@inheritDoc} The 2-norm over all elements. */
    @Override
    public NDArray norm(boolean keepDims) {
        return norm(2, new int[0], keepDims);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray norm(int ord, int[] axes, boolean keepDims) {
        return wrap(backend().arrayMath().norm(tensor(), ord, axes, keepDims));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray normalize(double p, long dim, double eps) {
        return wrap(backend().arrayMath().normalize(tensor(), p, Math.toIntExact(dim), eps));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray pad(Shape padding, double value) {
        return wrap(backend().arrayMath().pad(tensor(), padding.getShape(), value));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray put(NDArray index, NDArray value) {
        return wrap(backend().arrayMath().put(tensor(), other(index), other(value)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray scatter(NDArray index, NDArray value, int axis) {
        return wrap(backend().arrayMath().scatter(tensor(), other(index), other(value), axis));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray inverse() {
        return wrap(backend().arrayMath().inverse(tensor()));
    }

    /** {@inheritDoc} Two arrays (B..., n, k) and (B..., k, m) with equal batch axes (no broadcasting). */
    @Override
    public NDArray batchDot(NDArray other) {
        Shape a = getShape();
        Shape b = other.getShape();
        if (a.dimension() < 3 || a.dimension() != b.dimension()
                || !a.slice(0, a.dimension() - 2).equals(b.slice(0, b.dimension() - 2))) {
            throw new IllegalArgumentException("batchDot needs two arrays of rank 3 or more with equal batch axes, got "
                    + a + " and " + b);
        }
        return wrap(backend().linalg().matMul(tensor(), other(other)));
    }

    /** {@inheritDoc} As PyTorch's rot90: flips and one swap of the two axes, no arithmetic. */
    @Override
    public NDArray rotate90(int times, int[] axes) {
        int rank = getShape().dimension();
        if (axes.length != 2) {
            throw new IllegalArgumentException("rotate90 needs 2 axes, got " + axes.length);
        }
        if (rank < 2) {
            throw new IllegalArgumentException("rotate90 needs an array of rank 2 or more, got " + getShape());
        }
        int a0 = Strided.axis(axes[0], rank);
        int a1 = Strided.axis(axes[1], rank);
        if (a0 == a1) {
            throw new IllegalArgumentException("rotate90 axes must differ, got " + axes[0] + " and " + axes[1]);
        }
        int[] swap = new int[rank];
        for (int i = 0; i < rank; i++) {
            swap[i] = i == a0 ? a1 : i == a1 ? a0 : i;
        }
        switch (Math.floorMod(times, 4)) {
            case 1:
                return flipThenSwap(new int[] {a1}, swap);
            case 2:
                return wrap(backend().shapes().flip(tensor(), new int[] {a0, a1}));
            case 3:
                return flipThenSwap(new int[] {a0}, swap);
            default:
                return wrap(backend().copy(tensor()));
        }
    }

    private NDArray flipThenSwap(int[] flipAxes, int[] swap) {
        Tensor flipped = backend().shapes().flip(tensor(), flipAxes);
        try {
            return wrap(backend().shapes().transpose(flipped, swap));
        } finally {
            flipped.close();
        }
    }
}
