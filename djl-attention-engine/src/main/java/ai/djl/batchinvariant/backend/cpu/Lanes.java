/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.SortKeys;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * A tensor rearranged so that chosen axes come last and each output row owns one contiguous lane:
 * the layout every order statistic and per-axis op here works in, so a lane's result depends on
 * that lane alone. A rank-0 tensor is one lane of one element (its single axis is -1 or 0).
 */
final class Lanes {

    /** The rearranged storage (a copy, or the source when nothing moved). */
    final Tensor moved;
    /** The permutation applied (null for rank 0). */
    final int[] perm;
    /** The shape of the axes kept in front. */
    final Shape kept;
    /** The lane length. */
    final int n;
    /** The number of lanes. */
    final int rows;

    private Lanes(Tensor moved, int[] perm, Shape kept, int n) {
        this.moved = moved;
        this.perm = perm;
        this.kept = kept;
        this.n = n;
        this.rows = (int) kept.size();
    }

    /**
     * Moves the given axes last, in the given order.
     *
     * @param t the tensor
     * @param axesIn the axes (negative allowed), or null for all
     * @return the lanes
     */
    static Lanes of(Tensor t, int[] axesIn) {
        Shape shape = t.getShape();
        int rank = shape.dimension();
        if (rank == 0) {
            if (axesIn != null) {
                for (int a : axesIn) {
                    // PyTorch gives a scalar the one axis -1 (or 0)
                    if (a != 0 && a != -1) {
                        throw new IllegalArgumentException("axis " + a + " is out of range for rank 0");
                    }
                }
            }
            return new Lanes(t, null, new Shape(), 1);
        }
        int[] axes = axesIn == null ? range(rank) : normalise(axesIn, rank);
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            reduced[a] = true;
        }
        int[] perm = new int[rank];
        long[] keptDims = new long[rank - axes.length];
        int k = 0;
        long n = 1;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                keptDims[k] = shape.get(i);
                perm[k++] = i;
            }
        }
        for (int a : axes) {
            perm[k++] = a;
            n *= shape.get(a);
        }
        Tensor moved = isIdentity(perm) ? t : CpuShapes.transpose(t, perm);
        return new Lanes(moved, perm, new Shape(keptDims), (int) n);
    }

    /**
     * The axes, normalised and checked for repeats.
     *
     * @param axes the axes
     * @param rank the rank
     * @return the non-negative axes
     */
    static int[] normalise(int[] axes, int rank) {
        int[] out = new int[axes.length];
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int i = 0; i < axes.length; i++) {
            out[i] = Strided.axis(axes[i], rank);
            if (seen[out[i]]) {
                throw new IllegalArgumentException("axis " + axes[i] + " repeats in " + Arrays.toString(axes));
            }
            seen[out[i]] = true;
        }
        return out;
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /**
     * Puts storage laid out like {@link #moved} back in the source's axis order.
     *
     * @param type the storage type
     * @param data the storage, of the moved shape
     * @return the tensor in the source layout
     */
    Tensor restore(DataType type, Object data) {
        Tensor t = Tensor.host(moved.getShape(), type, data);
        return perm == null ? t : CpuShapes.transpose(t, CpuShapes.inverse(perm));
    }

    /**
     * Compares two elements of one type: integers exactly, floats numerically with every NaN
     * above every number and -0.0 equal to 0.0.
     */
    static int compare(Object d, DataType t, int i, int j) {
        if (!HostData.isFloating(t)) {
            return Long.compare(HostData.getLong(d, t, i), HostData.getLong(d, t, j));
        }
        double x = HostData.getDouble(d, t, i);
        double y = HostData.getDouble(d, t, j);
        if (x < y) {
            return -1;
        }
        if (x > y) {
            return 1;
        }
        boolean nx = Double.isNaN(x);
        boolean ny = Double.isNaN(y);
        return nx == ny ? 0 : nx ? 1 : -1;
    }

    /**
     * The stable sorting permutation of one lane: for float32, the 16-bit floats and the integers
     * of at most 32 bits by {@link SortKeys} ({@link #sortKey} keeps {@link #compare}'s order),
     * for float64 and int64 a stable sort of boxed indices by {@link #compare}. Both give the one
     * permutation that orders the values and equal values by index.
     *
     * @param d the storage
     * @param t its type
     * @param base the lane's first element
     * @param n the lane length
     * @param ascending the direction (descending keeps equal values in index order too)
     * @return lane-relative positions in sorted order
     */
    static int[] order(Object d, DataType t, int base, int n, boolean ascending) {
        if (!packs(t)) {
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            // Arrays.sort on objects is a stable merge sort: equal values keep their index order.
            Arrays.sort(idx, (p, q) -> ascending ? compare(d, t, base + p, base + q) : compare(d, t, base + q, base + p));
            return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
        }
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = sortKey(d, t, base + i, true);
        }
        return SortKeys.order(keys, ascending);
    }

    /**
     * Whether {@link #sortKey} takes the type: every one of at most 32 bits.
     *
     * @param t the type
     * @return false for float64 and int64
     */
    static boolean packs(DataType t) {
        return t != DataType.FLOAT64 && t != DataType.INT64;
    }

    /**
     * An element's order as an int for a type {@link #packs} takes: integers themselves, floats by
     * {@link SortKeys#of}.
     *
     * @param d the storage
     * @param t its type
     * @param i the element
     * @param zerosEqual whether -0.0 sorts with 0.0 ({@link #compare}) or just below it
     *     ({@link Double#compare}, topK's order)
     * @return the key
     */
    static int sortKey(Object d, DataType t, int i, boolean zerosEqual) {
        if (!HostData.isFloating(t)) {
            return (int) HostData.getLong(d, t, i);
        }
        return SortKeys.of(HostData.getFloat(d, t, i), zerosEqual);
    }
}
