/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.types.Shape;

/**
 * How each shape operation reads its source: a walk shape, source strides along it and a first
 * element, written contiguously into the result. Pure host arithmetic, so a test can replay a
 * plan in Java against the CPU backend without a GPU.
 */
final class CopyPlans {

    private CopyPlans() {}

    /** One strided read: the walk, the source strides along it, the first element, the result's shape. */
    static final class Walk {
        final long[] shape;
        final long[] inStrides;
        final long inOffset;
        final Shape outShape;

        Walk(long[] shape, long[] inStrides, long inOffset, Shape outShape) {
            this.shape = shape;
            this.inStrides = inStrides;
            this.inOffset = inOffset;
            this.outShape = outShape;
        }
    }

    static Walk transpose(Shape shape, int[] axesIn) {
        long[] dims = shape.getShape();
        int rank = dims.length;
        int[] axes = Strided.permutationAxes(axesIn, rank);
        long[] st = StridedArgs.contiguous(dims);
        long[] out = new long[rank];
        long[] in = new long[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = dims[axes[i]];
            in[i] = st[axes[i]];
        }
        return new Walk(out, in, 0, new Shape(out));
    }

    static Walk broadcast(Shape shape, Shape target) {
        if (!Strided.broadcast(shape, target).equals(target)) {
            throw new IllegalArgumentException("cannot broadcast " + shape + " to " + target);
        }
        return new Walk(target.getShape(), StridedArgs.broadcast(shape, target), 0, target);
    }

    /** The result walked as (..., dims[axis], repeats, ...), the repeats axis at stride 0. */
    static Walk repeat(Shape shape, int axisIn, long repeats) {
        long[] dims = shape.getShape();
        int rank = dims.length;
        int axis = Strided.axis(axisIn, rank);
        long[] st = StridedArgs.contiguous(dims);
        long[] walk = new long[rank + 1];
        long[] in = new long[rank + 1];
        for (int d = 0, w = 0; d < rank; d++) {
            walk[w] = dims[d];
            in[w++] = st[d];
            if (d == axis) {
                walk[w] = repeats;
                in[w++] = 0;
            }
        }
        long[] outDims = dims.clone();
        outDims[axis] *= repeats;
        return new Walk(walk, in, 0, new Shape(outDims));
    }

    /** The result walked as (repeat_0, src_0, repeat_1, src_1, ...), the repeat axes at stride 0. */
    static Walk tile(Shape shape, long[] repeats) {
        int rank = Math.max(repeats.length, shape.dimension());
        long[] src = new long[rank];
        long[] reps = new long[rank];
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            int j = i - (rank - shape.dimension());
            src[i] = j < 0 ? 1 : shape.get(j);
            int k = i - (rank - repeats.length);
            reps[i] = k < 0 ? 1 : repeats[k];
            dims[i] = src[i] * reps[i];
        }
        long[] st = StridedArgs.contiguous(src);
        long[] walk = new long[2 * rank];
        long[] in = new long[2 * rank];
        for (int i = 0; i < rank; i++) {
            walk[2 * i] = reps[i];
            walk[2 * i + 1] = src[i];
            in[2 * i + 1] = st[i];
        }
        return new Walk(walk, in, 0, new Shape(dims));
    }

    static Walk slice(Shape shape, int axis, long start, long end) {
        long[] dims = shape.getShape().clone();
        long[] st = StridedArgs.contiguous(dims);
        dims[axis] = Math.max(0, end - start);
        return new Walk(dims, st, start * st[axis], new Shape(dims));
    }

    static Walk flip(Shape shape, int[] axes) {
        long[] dims = shape.getShape();
        int rank = dims.length;
        boolean[] f = new boolean[rank];
        for (int ax : axes) {
            f[Strided.axis(ax, rank)] = true;
        }
        long[] st = StridedArgs.contiguous(dims);
        long base = 0;
        for (int d = 0; d < rank; d++) {
            if (f[d] && dims[d] > 0) {
                base += (dims[d] - 1) * st[d];
                st[d] = -st[d];
            }
        }
        return new Walk(dims, st, base, shape);
    }

    /** A strided slice {@code min + i * step} per axis, read (getSlice) or written (setSlice). */
    static Walk slice(Shape src, long[] min, long[] step, Shape sliceShape, Shape outShape) {
        long[] st = StridedArgs.contiguous(src.getShape());
        long[] sst = new long[st.length];
        long base = 0;
        for (int d = 0; d < st.length; d++) {
            sst[d] = st[d] * step[d];
            base += min[d] * st[d];
        }
        return new Walk(sliceShape.getShape(), sst, base, outShape);
    }
}
