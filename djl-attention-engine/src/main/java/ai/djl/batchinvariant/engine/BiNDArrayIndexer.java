/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.index.dim.NDIndexAll;
import ai.djl.ndarray.index.dim.NDIndexBooleans;
import ai.djl.ndarray.index.dim.NDIndexElement;
import ai.djl.ndarray.index.dim.NDIndexFixed;
import ai.djl.ndarray.index.dim.NDIndexSlice;
import ai.djl.ndarray.index.dim.NDIndexTake;
import ai.djl.ndarray.index.full.NDIndexFullPick;
import ai.djl.ndarray.index.full.NDIndexFullSlice;
import ai.djl.ndarray.index.full.NDIndexFullTake;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Slicing, picking and slice assignment for {@link BiNDArray}, on the array's backend.
 *
 * <p>Indices follow Python and PyTorch (what DJL's PyTorch engine hands to libtorch): slice bounds
 * are clamped to the axis, an empty slice selects nothing, a fixed index outside [-size, size) is
 * refused with {@link IllegalArgumentException}, an index array of any rank takes along its
 * axis, and a boolean mask covers the leading axes. DJL's default indexer does none of these.
 */
public class BiNDArrayIndexer extends NDArrayIndexer {

    /**
     * {@inheritDoc}
     *
     * <p>A refusal from any step names {@code NDArray.get()}, the method called.
     */
    @Override
    public NDArray get(NDArray array, NDIndex index) {
        try {
            BiNDArray a = (BiNDArray) array;
            NDArray taken = takeNd(a, index);
            if (taken != null) {
                return taken;
            }
            Basic b = Basic.of(index, a.getShape());
            if (b != null && b.empty != null) {
                return a.getManager().zeros(b.empty, a.getDataType());
            }
            return super.get(array, b == null ? index : b.index);
        } catch (UnsupportedOperationException e) {
            throw refusal("NDArray.get()", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A refusal from any step names {@code NDArray.set()}, the method called.
     */
    @Override
    public void set(NDArray array, NDIndex index, Object value) {
        try {
            Basic b = Basic.of(index, array.getShape());
            if (b != null && b.empty != null) {
                return; // nothing selected, nothing written
            }
            super.set(array, b == null ? index : b.index, value);
        } catch (UnsupportedOperationException e) {
            throw refusal("NDArray.set()", e);
        }
    }

    private static UnsupportedOperationException refusal(String op, UnsupportedOperationException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains(op.substring(0, op.length() - 2))) {
            return e;
        }
        return new UnsupportedOperationException("BatchInvariant engine does not support " + op + " here: " + msg, e);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullSlice slice) {
        BiNDArray a = (BiNDArray) array;
        return a.wrap(a.backend().indexing().getSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(),
                slice.getSqueezedShape()));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullPick pick) {
        return array.gather(pick.getIndices(), pick.getAxis());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullTake take) {
        BiNDArray a = (BiNDArray) array;
        return a.wrap(a.backend().indexing().takeAlong(a.tensor(), a.other(take.getIndices()), take.getAxis()));
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, NDArray value) {
        BiNDArray a = (BiNDArray) array;
        a.backend().indexing().setSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(), a.other(value));
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, Number value) {
        BiNDArray a = (BiNDArray) array;
        a.backend().indexing().fillSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(),
                value.doubleValue());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Like PyTorch's {@code a[mask] = value}: the mask covers the leading axes of the array
     * (its shape must match them), the array keeps its type, and the value must broadcast to the
     * selected elements (a scalar, or one row of the trailing axes).
     */
    @Override
    public void set(NDArray array, NDIndexBooleans indices, NDArray value) {
        BiNDArray a = (BiNDArray) array;
        NDArray mask = indices.getIndex();
        Shape s = a.getShape();
        Shape ms = mask.getShape();
        if (ms.dimension() > s.dimension() || !s.slice(0, ms.dimension()).equals(ms)) {
            throw new IllegalArgumentException(
                    "The shape of the mask " + ms + " does not match the shape of the indexed array " + s);
        }
        Shape rest = s.slice(ms.dimension());
        Shape vs = value.getShape();
        // the value broadcasts to (selected count) + rest; only one row for all selected elements
        // (a scalar, or a value of the trailing axes) avoids a scatter
        Shape row = vs.dimension() == rest.dimension() + 1 && vs.get(0) == 1 ? vs.slice(1) : vs;
        if (!fits(row, rest)) {
            if (vs.dimension() == rest.dimension() + 1 && fits(vs.slice(1), rest)) {
                throw new UnsupportedOperationException("BatchInvariant engine does not support NDArray.set() of a"
                        + " boolean mask with one value per selected element; use a scalar or one row " + rest);
            }
            throw new IllegalArgumentException("shape mismatch: value array of shape " + vs
                    + " cannot be broadcast to the indexing result of shape (count)" + rest);
        }
        long[] md = new long[s.dimension()];
        for (int i = 0; i < md.length; i++) {
            md[i] = i < ms.dimension() ? ms.get(i) : 1;
        }
        try (NDArray m = mask.reshape(new Shape(md));
                NDArray v = value.reshape(row);
                NDArray vt = v.toType(a.getDataType(), true);
                NDArray r = vt.getNDArrayInternal().where(m, a)) {
            a.backend().write(a.tensor(), ((BiNDArray) r).tensor());
        }
    }

    /** Whether shape {@code a} broadcasts to {@code b} without growing b (NumPy rules, right-aligned). */
    private static boolean fits(Shape a, Shape b) {
        if (a.dimension() > b.dimension()) {
            return false;
        }
        for (int i = 1; i <= a.dimension(); i++) {
            long x = a.get(a.dimension() - i);
            if (x != 1 && x != b.get(b.dimension() - i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code get} with one index array of rank above 1 (DJL's default indexer takes only rank 1):
     * the result replaces the indexed axis by the index array's shape, as PyTorch's advanced
     * indexing does. Null where the index is of another form.
     */
    private static NDArray takeNd(BiNDArray a, NDIndex index) {
        List<NDIndexElement> els = index.getIndices();
        if (index.getEllipsisIndex() >= 0 || els.size() > a.getShape().dimension()) {
            return null;
        }
        int axis = -1;
        for (int i = 0; i < els.size(); i++) {
            NDIndexElement e = els.get(i);
            if (e instanceof NDIndexTake && axis < 0) {
                axis = i;
            } else if (!(e instanceof NDIndexAll)) {
                return null;
            }
        }
        if (axis < 0) {
            return null;
        }
        NDArray idx = ((NDIndexTake) els.get(axis)).getIndex();
        if (idx.getShape().dimension() <= 1) {
            return null;
        }
        Tensor t = a.backend().indexing().takeAlong(a.tensor(), a.other(idx), axis);
        return a.wrap(t);
    }

    /** Basic indexing (all, fixed, slice, ellipsis) normalised the way Python does it. */
    private static final class Basic {
        /** The index with every slice clamped to its axis and every fixed index non-negative. */
        NDIndex index;
        /** The result's shape when it selects nothing (DJL's slicer cannot make an empty slice). */
        Shape empty;

        static Basic of(NDIndex index, Shape shape) {
            List<NDIndexElement> els = index.getIndices();
            int rank = shape.dimension();
            if (rank == 0 || els.size() > rank) {
                return null;
            }
            for (NDIndexElement e : els) {
                if (!(e instanceof NDIndexAll || e instanceof NDIndexFixed || e instanceof NDIndexSlice)) {
                    return null;
                }
            }
            List<NDIndexElement> dims = new ArrayList<>(els);
            int ell = index.getEllipsisIndex();
            int at = ell >= 0 ? ell : els.size();
            for (int i = els.size(); i < rank; i++) {
                dims.add(at, new NDIndexAll());
            }
            Basic b = new Basic();
            b.index = new NDIndex();
            List<Long> out = new ArrayList<>();
            boolean empty = false;
            for (int d = 0; d < rank; d++) {
                NDIndexElement e = dims.get(d);
                long len = shape.get(d);
                if (e instanceof NDIndexAll) {
                    b.index.addAllDim();
                    out.add(len);
                    empty |= len == 0;
                } else if (e instanceof NDIndexFixed) {
                    long i = ((NDIndexFixed) e).getIndex();
                    if (i < -len || i >= len) {
                        throw new IllegalArgumentException(
                                "index " + i + " is out of bounds for dimension " + d + " with size " + len);
                    }
                    b.index.addIndices(i < 0 ? i + len : i);
                } else {
                    NDIndexSlice sl = (NDIndexSlice) e;
                    long step = sl.getStep() == null ? 1 : sl.getStep();
                    if (step <= 0) {
                        return null; // not Python-clamped here; DJL's own rules apply
                    }
                    long start = clamp(sl.getMin(), 0, len);
                    long stop = Math.max(start, clamp(sl.getMax(), len, len));
                    long count = (stop - start + step - 1) / step;
                    out.add(count);
                    empty |= count == 0;
                    if (count > 0) {
                        b.index.addSliceDim(start, stop, step);
                    }
                }
            }
            if (empty) {
                b.empty = new Shape(out);
            }
            return b;
        }

        /** A slice bound as Python clamps it: negative counts from the end, then into [0, len]. */
        private static long clamp(Long v, long absent, long len) {
            if (v == null) {
                return absent;
            }
            long x = v < 0 ? v + len : v;
            return Math.max(0, Math.min(len, x));
        }
    }
}
