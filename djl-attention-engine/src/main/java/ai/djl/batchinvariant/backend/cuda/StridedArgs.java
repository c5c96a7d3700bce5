/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * An iteration shape and the element strides of each operand along it, as the strided kernels
 * take them (at most {@link #MAX_RANK} axes). Axes of length 1 are dropped and neighbouring axes
 * that every operand walks contiguously are merged, so most launches see a rank of 1 or 2 and
 * arrays of rank above 8 still run when their layout allows it. Pure host arithmetic: tested
 * without a GPU.
 */
public final class StridedArgs {

    /** The most axes a kernel walks ({@code bi::MAX_RANK}). */
    public static final int MAX_RANK = 8;

    private final long[] shape;
    private final long[][] strides;

    private StridedArgs(long[] shape, long[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    /**
     * Builds the arguments of one iteration shape, simplified.
     *
     * @param shape the iteration shape
     * @param strides per operand, one stride per axis of {@code shape}
     * @return the simplified arguments
     */
    public static StridedArgs of(long[] shape, long[]... strides) {
        int ops = strides.length;
        long[] dims = new long[shape.length];
        long[][] st = new long[ops][shape.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = rank > 0;
            for (int o = 0; o < ops && merge; o++) {
                merge = st[o][rank - 1] == strides[o][d] * shape[d];
            }
            if (merge) {
                dims[rank - 1] *= shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][rank - 1] = strides[o][d];
                }
            } else {
                dims[rank] = shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][rank] = strides[o][d];
                }
                rank++;
            }
        }
        long[][] out = new long[ops][];
        for (int o = 0; o < ops; o++) {
            out[o] = Arrays.copyOf(st[o], rank);
        }
        return new StridedArgs(Arrays.copyOf(dims, rank), out);
    }

    /**
     * Row-major element strides of a shape.
     *
     * @param dims the shape
     * @return the strides
     */
    public static long[] contiguous(long[] dims) {
        long[] st = new long[dims.length];
        long s = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= dims[d];
        }
        return st;
    }

    /**
     * The strides that read a source of one shape broadcast to another (numpy rules, aligned
     * to the trailing axes): 0 along broadcast axes.
     *
     * @param src the source shape
     * @param target the broadcast shape
     * @return strides, one per axis of {@code target}
     */
    public static long[] broadcast(Shape src, Shape target) {
        int rank = target.dimension();
        int lead = rank - src.dimension();
        long[] own = contiguous(src.getShape());
        long[] st = new long[rank];
        for (int d = lead; d < rank; d++) {
            st[d] = src.get(d - lead) == 1 ? 0 : own[d - lead];
        }
        return st;
    }

    /**
     * Returns the simplified iteration shape.
     *
     * @return the shape (not copied)
     */
    public long[] shape() {
        return shape;
    }

    /**
     * Returns one operand's strides along {@link #shape()}.
     *
     * @param operand the operand, in the order given to {@link #of}
     * @return the strides (not copied)
     */
    public long[] strides(int operand) {
        return strides[operand];
    }

    /**
     * Returns the simplified rank.
     *
     * @return the rank
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Checks that the kernels can walk this shape.
     *
     * @param what the operation, for the message
     * @return this
     * @throws IllegalArgumentException naming the operation and shape if it has more than 8 axes
     */
    public StridedArgs checkRank(String what) {
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException(what + " on a GPU walks at most " + MAX_RANK + " non-mergeable axes;"
                    + " got " + Arrays.toString(shape));
        }
        return this;
    }
}
