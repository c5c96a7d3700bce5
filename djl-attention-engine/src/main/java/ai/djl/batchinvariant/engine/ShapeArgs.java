/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Argument rules of the shape and axis operations, written to answer as DJL's PyTorch engine
 * does: a rank-0 array has one axis (0 or -1) for the operations that take an axis, split
 * follows {@code torch.split}, squeeze of an axis whose size is not 1 leaves the array as it is.
 * The arithmetic stays in the backend; this class only decides shapes and refuses bad arguments
 * with {@link IllegalArgumentException}, the class the PyTorch engine's errors are compared to.
 */
final class ShapeArgs {

    private ShapeArgs() {}

    /**
     * Normalises an axis like PyTorch: a rank-0 array accepts 0 and -1.
     *
     * @param axis the axis, negative counts from the end
     * @param rank the rank of the array
     * @return the axis in [0, max(rank, 1))
     */
    static int axis(int axis, int rank) {
        int r = Math.max(rank, 1);
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) {
            throw new IllegalArgumentException(
                    "Dimension out of range (expected to be in range of [" + -r + ", " + (r - 1) + "], but got "
                            + axis + ")");
        }
        return a;
    }

    /**
     * Normalises reduction axes and refuses an axis named twice (PyTorch: "dim appears multiple
     * times"); for a rank-0 array every valid axis means the whole array, so it returns null.
     *
     * @param axes the axes, or null for all
     * @param rank the rank of the array
     * @return the axes as given (valid and distinct), or null for a rank-0 array
     */
    static int[] reduceAxes(int[] axes, int rank) {
        if (axes == null) {
            return null;
        }
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int a : axes) {
            int n = axis(a, rank);
            if (seen[n]) {
                throw new IllegalArgumentException("dim " + n + " appears multiple times in the list of dims");
            }
            seen[n] = true;
        }
        return rank == 0 ? null : axes;
    }

    /**
     * Runs an axis operation; a rank-0 array is seen as shape (1) and the one-element result is
     * made rank 0 again, which is what PyTorch returns for a scalar.
     *
     * @param a the array
     * @param axis the axis asked for (checked against the rank)
     * @param op the backend operation on a tensor
     * @return the result array
     */
    static BiNDArray onAxis(BiNDArray a, int axis, UnaryOperator<Tensor> op) {
        Tensor t = a.tensor();
        if (t.getShape().dimension() != 0) {
            return a.wrap(op.apply(t));
        }
        axis(axis, 0);
        Tensor one = t.view(new Shape(1));
        Tensor r = op.apply(one);
        one.close();
        return a.wrap(scalar(r));
    }

    /** Makes a one-element result of a (1)-shaped input rank 0 again. */
    static Tensor scalar(Tensor r) {
        if (r.getShape().dimension() == 0) {
            return r;
        }
        Tensor s = r.view(new Shape());
        r.close();
        return s;
    }

    /**
     * {@code torch.split(x, size)} with size = length / sections, as the PyTorch engine does: the
     * pieces have that size and the last one may be shorter; a zero-length axis gives one piece.
     *
     * @param a the array
     * @param sections the number of sections
     * @param axisIn the axis; looked up with DJL's {@code Shape.get}, as the PyTorch engine does,
     *     so a negative or missing axis fails the same way there and here
     * @return the pieces
     */
    static NDList split(BiNDArray a, long sections, int axisIn) {
        long len = a.getShape().get(axisIn);
        long size = len / sections;
        if (size == 0 && len != 0) {
            throw new IllegalArgumentException(
                    "split: " + sections + " sections of an axis of length " + len + " would be empty");
        }
        NDList out = new NDList();
        if (len == 0) {
            out.add(a.sliceAxis(axisIn, 0, 0));
            return out;
        }
        for (long start = 0; start < len; start += size) {
            out.add(a.sliceAxis(axisIn, start, Math.min(len, start + size)));
        }
        return out;
    }

    /**
     * Splits at the given indices like the PyTorch engine: pieces [0, i0), [i0, i1), ...,
     * [i_last, length); a piece of negative length is refused.
     *
     * @param a the array
     * @param indices the split points
     * @param axisIn the axis; looked up with DJL's {@code Shape.size(int...)}, as the PyTorch
     *     engine does (a negative or missing axis is an {@link IllegalArgumentException})
     * @return the pieces
     */
    static NDList split(BiNDArray a, long[] indices, int axisIn) {
        long len = a.getShape().size(axisIn);
        if (indices.length == 0) {
            return new NDList(a);
        }
        long start = 0;
        for (int i = 0; i <= indices.length; i++) {
            long end = i < indices.length ? indices[i] : len;
            if (end < start) {
                throw new IllegalArgumentException("split_with_sizes expects split_sizes have only non-negative"
                        + " entries; split points " + java.util.Arrays.toString(indices) + " on length " + len);
            }
            start = end;
        }
        NDList out = new NDList();
        start = 0;
        for (int i = 0; i <= indices.length; i++) {
            long end = i < indices.length ? indices[i] : len;
            out.add(a.sliceAxis(axisIn, start, end));
            start = end;
        }
        return out;
    }

    /**
     * The shape after {@code squeeze(axes)}: PyTorch drops the named axes of size 1 and leaves
     * the others; a rank-0 array accepts axis 0 and -1.
     *
     * @param s the shape
     * @param axes the axes
     * @return the squeezed shape
     */
    static Shape squeeze(Shape s, int[] axes) {
        int rank = s.dimension();
        boolean[] drop = new boolean[Math.max(rank, 1)];
        for (int a : axes) {
            int ax = axis(a, rank);
            drop[ax] = rank > 0 && s.get(ax) == 1;
        }
        List<Long> dims = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (!drop[i]) {
                dims.add(s.get(i));
            }
        }
        return new Shape(dims);
    }

    /**
     * The permutation that swaps two axes (negative axes count from the end); null for a rank-0
     * array, which has nothing to swap.
     *
     * @param rank the rank
     * @param a1 the first axis
     * @param a2 the second axis
     * @return the permutation, or null
     */
    static int[] swap(int rank, int a1, int a2) {
        int x = axis(a1, rank);
        int y = axis(a2, rank);
        if (rank == 0) {
            return null;
        }
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = i;
        }
        perm[x] = y;
        perm[y] = x;
        return perm;
    }

    /**
     * Refuses tile repeats that name fewer axes than the array has (PyTorch: "Number of
     * dimensions of repeat dims can not be smaller than number of dimensions of tensor").
     *
     * @param s the shape
     * @param repeats the repeats
     */
    static void checkTile(Shape s, long[] repeats) {
        if (repeats.length < s.dimension()) {
            throw new IllegalArgumentException("Number of dimensions of repeat dims (" + repeats.length
                    + ") can not be smaller than number of dimensions of tensor " + s);
        }
    }

    /**
     * Refuses repeat on a rank-0 array, as the PyTorch engine does (it repeats along axis 1).
     *
     * @param s the shape
     */
    static void checkRepeat(Shape s) {
        if (s.dimension() == 0) {
            throw new IllegalArgumentException(
                    "Dimension out of range (expected to be in range of [-1, 0], but got 1): repeat of a rank-0 array");
        }
    }
}
