/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/** Index arithmetic over row-major shapes: strides, broadcasting and axis permutation. */
public final class Strided {

    private Strided() {}

    /**
     * Row-major strides of a shape.
     *
     * @param dims the dimensions
     * @return the strides in elements
     */
    public static int[] strides(long[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc = Math.multiplyExact(acc, (int) dims[i]);
        }
        return s;
    }

    /**
     * The broadcast of two shapes (numpy rules).
     *
     * @param a the first shape
     * @param b the second shape
     * @return the broadcast shape
     * @throws IllegalArgumentException if the shapes cannot broadcast
     */
    public static Shape broadcast(Shape a, Shape b) {
        long[] x = a.getShape();
        long[] y = b.getShape();
        int n = Math.max(x.length, y.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long dx = i < n - x.length ? 1 : x[i - (n - x.length)];
            long dy = i < n - y.length ? 1 : y[i - (n - y.length)];
            if (dx != dy && dx != 1 && dy != 1) {
                throw new IllegalArgumentException(
                        "shapes " + a + " and " + b + " cannot be broadcast together");
            }
            out[i] = dx == 1 ? dy : dx;
        }
        return new Shape(out);
    }

    /**
     * Strides with which to read an array of shape {@code src} as if it had the broadcast shape
     * {@code target}: broadcast dimensions get stride 0.
     *
     * @param src the array's shape
     * @param target the broadcast shape
     * @return strides, one per dimension of target
     */
    public static int[] broadcastStrides(Shape src, Shape target) {
        long[] s = src.getShape();
        int n = target.dimension();
        int[] own = strides(s);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int j = i - (n - s.length);
            out[i] = j < 0 || s[j] == 1 ? 0 : own[j];
        }
        return out;
    }

    /**
     * Source offsets of every element of {@code target}, read with the given strides, in row-major
     * order of target.
     *
     * @param target the shape iterated
     * @param strides strides per dimension of target
     * @param base the first offset
     * @return one offset per element
     */
    public static int[] offsets(Shape target, int[] strides, int base) {
        long[] dims = target.getShape();
        int size = (int) target.size();
        int[] out = new int[size];
        int n = dims.length;
        int[] idx = new int[n];
        int off = base;
        for (int i = 0; i < size; i++) {
            out[i] = off;
            for (int d = n - 1; d >= 0; d--) {
                idx[d]++;
                off += strides[d];
                if (idx[d] < dims[d]) {
                    break;
                }
                off -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * Offsets to read an array of shape {@code src} in the order of its axes permuted by {@code
     * axes}.
     *
     * @param src the array's shape
     * @param axes the permutation (output axis i reads input axis axes[i])
     * @return one offset per element of the permuted array
     */
    public static int[] permutation(Shape src, int[] axes) {
        long[] dims = src.getShape();
        int[] own = strides(dims);
        long[] outDims = new long[axes.length];
        int[] st = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            outDims[i] = dims[axes[i]];
            st[i] = own[axes[i]];
        }
        return offsets(new Shape(outDims), st, 0);
    }

    /**
     * Checks and normalises an axis (negative counts from the end).
     *
     * @param axis the axis
     * @param rank the rank
     * @return the axis in [0, rank)
     */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        }
        return a;
    }

    /**
     * Checks a permutation of [0, rank).
     *
     * @param axes the permutation
     * @param rank the rank
     * @return the normalised permutation
     */
    public static int[] permutationAxes(int[] axes, int rank) {
        if (axes.length != rank) {
            throw new IllegalArgumentException(
                    "axes " + Arrays.toString(axes) + " must list each of the " + rank + " axes once");
        }
        int[] out = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = axis(axes[i], rank);
            if (seen[out[i]]) {
                throw new IllegalArgumentException(
                        "axes " + Arrays.toString(axes) + " repeat axis " + out[i]);
            }
            seen[out[i]] = true;
        }
        return out;
    }
}
