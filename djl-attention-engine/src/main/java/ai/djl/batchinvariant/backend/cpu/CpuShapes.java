/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Gathers by precomputed offsets and axis permutations, shared by the CPU op families. */
final class CpuShapes {

    private CpuShapes() {}

    /**
     * Copies the elements at the given offsets into new storage of the given shape.
     *
     * @param t the source
     * @param outShape the output shape ({@code offs.length} elements)
     * @param offs source offsets, one per output element, in output order
     * @return the gathered copy
     */
    static Tensor gather(Tensor t, Shape outShape, int[] offs) {
        DataType dataType = t.getDataType();
        Object src = t.borrowHostData();
        Object out = HostArrays.uninitialized(dataType, offs.length);
        if (dataType == DataType.FLOAT32) {
            float[] s = (float[]) src;
            float[] o = (float[]) out;
            for (int i = 0; i < offs.length; i++) {
                o[i] = s[offs[i]];
            }
        } else {
            for (int i = 0; i < offs.length; i++) {
                copyElement(dataType, src, offs[i], out, i);
            }
        }
        return HostArrays.wrap(outShape, dataType, out);
    }

    /**
     * Gathers whole blocks: output block r is the {@code block} elements from {@code starts[r]}
     * (rows taken by index, or kept by a mask), one System.arraycopy each on the kernels' threads
     * rather than an offset per element (512 rows of 4096 taken: 1.5 ms through offsets).
     *
     * @param t the source
     * @param outShape the output's shape, starts.length * block elements
     * @param starts each block's first source element, checked by the caller
     * @param block the block length
     * @return the gathered tensor
     */
    static Tensor gatherBlocks(Tensor t, Shape outShape, int[] starts, int block) {
        if (block == 1) {
            return gather(t, outShape, starts);
        }
        DataType dataType = t.getDataType();
        Object src = t.borrowHostData();
        Object out = HostArrays.uninitialized(dataType, starts.length * block);
        Parallel.forEach(starts.length, block, r -> System.arraycopy(src, starts[r], out, r * block, block));
        return HostArrays.wrap(outShape, dataType, out);
    }

    /**
     * Copies a strided view into new storage without an index array: output position (i0, …,
     * ik) reads the source at base + Σ id · strides[d]. Rows of the last dimension go to the
     * kernels' threads, each a System.arraycopy where its stride is 1, a fill where 0, a loop
     * otherwise — transpose, broadcast, slices and flips, which through an offset per element
     * (built first, 4 bytes each) took several times as long as the copy.
     *
     * @param t the source
     * @param dims the view's dimensions
     * @param strides the source's step along each of them (0 broadcasts, negative flips)
     * @param base the source offset of the view's first element
     * @param outShape the output's shape (as many elements as dims holds)
     * @return the copy
     */
    static Tensor strided(Tensor t, long[] dims, int[] strides, int base, Shape outShape) {
        DataType dataType = t.getDataType();
        Object src = t.borrowHostData();
        int n = (int) outShape.size();
        Object out = HostArrays.uninitialized(dataType, n);
        int rank = dims.length;
        int inner = rank == 0 ? 1 : (int) dims[rank - 1];
        if (n > 0) {
            int step = rank == 0 ? 0 : strides[rank - 1];
            if (src instanceof float[] && rank >= 2 && strides[rank - 2] == 1 && step != 1 && inner > 1) {
                transposed((float[]) src, dims, strides, base, (float[]) out);
            } else {
                Parallel.forEach(n / inner, inner, r -> copyRun(src, rowStart(dims, strides, base, r), step, out,
                        r * inner, inner));
            }
        }
        return HostArrays.wrap(outShape, dataType, out);
    }

    /** The source offset of output row r (every dimension but the last). */
    private static int rowStart(long[] dims, int[] strides, int base, int r) {
        int off = base;
        int rest = r;
        for (int d = dims.length - 2; d >= 0; d--) {
            int len = (int) dims[d];
            off += rest % len * strides[d];
            rest /= len;
        }
        return off;
    }

    /** Output rows a transposing copy takes together: 16 floats, one cache line of each source row. */
    private static final int TILE = 16;

    /**
     * A float32 view whose second-to-last dimension is contiguous in the source and whose last
     * is not — a transpose of the last two axes: 16 output rows at a time, each source line read
     * once for all 16 (row by row, every element of an output row came from another cache line;
     * {@code transpose().duplicate()} of 1024 × 4096 took 10.8–11.7 ms so, 8.0–8.3 tiled).
     */
    private static void transposed(float[] src, long[] dims, int[] strides, int base, float[] out) {
        int rank = dims.length;
        int inner = (int) dims[rank - 1];
        int rows = (int) dims[rank - 2];
        int step = strides[rank - 1];
        int groups = (rows + TILE - 1) / TILE;
        int outer = out.length / (rows * inner);
        Parallel.forEach(outer * groups, (long) TILE * inner, item -> {
            int first = item / groups * rows + item % groups * TILE;
            int count = Math.min(TILE, rows - item % groups * TILE);
            int off = rowStart(dims, strides, base, first);
            int o = first * inner;
            for (int j = 0; j < inner; j++) {
                int s = off + j * step;
                for (int k = 0; k < count; k++) {
                    out[o + k * inner + j] = src[s + k];
                }
            }
        });
    }

    /** dst[o + i] = src[off + i · step] for i in [0, len), arrays of one storage type. */
    private static void copyRun(Object src, int off, int step, Object dst, int o, int len) {
        if (step == 1) {
            System.arraycopy(src, off, dst, o, len);
        } else if (step == -1 && dst instanceof float[] && Simd.ENABLED) {
            // a flip of the last axis: the loop below is left scalar by C2 (1.37 ms for 1024 × 4096)
            VectorSpanKernels.reversed((float[]) src, off, (float[]) dst, o, len);
        } else if (dst instanceof float[]) {
            float[] a = (float[]) src;
            float[] b = (float[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        } else if (dst instanceof double[]) {
            double[] a = (double[]) src;
            double[] b = (double[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        } else if (dst instanceof short[]) {
            short[] a = (short[]) src;
            short[] b = (short[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        } else if (dst instanceof int[]) {
            int[] a = (int[]) src;
            int[] b = (int[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        } else if (dst instanceof long[]) {
            long[] a = (long[]) src;
            long[] b = (long[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        } else {
            byte[] a = (byte[]) src;
            byte[] b = (byte[]) dst;
            for (int i = 0; i < len; i++) {
                b[o + i] = a[off + i * step];
            }
        }
    }

    private static void copyElement(DataType dataType, Object src, int from, Object dst, int to) {
        switch (dataType) {
            case FLOAT32: ((float[]) dst)[to] = ((float[]) src)[from]; break;
            case FLOAT64: ((double[]) dst)[to] = ((double[]) src)[from]; break;
            case FLOAT16:
            case BFLOAT16: ((short[]) dst)[to] = ((short[]) src)[from]; break;
            case INT32: ((int[]) dst)[to] = ((int[]) src)[from]; break;
            case INT64: ((long[]) dst)[to] = ((long[]) src)[from]; break;
            default: ((byte[]) dst)[to] = ((byte[]) src)[from];
        }
    }

    /**
     * Permutes the axes (a copy).
     *
     * @param t the source
     * @param axesIn the permutation (negative axes allowed)
     * @return the permuted copy
     */
    static Tensor transpose(Tensor t, int[] axesIn) {
        Shape shape = t.getShape();
        int rank = shape.dimension();
        int[] axes = Strided.permutationAxes(axesIn, rank);
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = shape.get(axes[i]);
        }
        int[] own = Strided.strides(shape.getShape());
        int[] st = new int[rank];
        for (int i = 0; i < rank; i++) {
            st[i] = own[axes[i]];
        }
        return strided(t, dims, st, 0, new Shape(dims));
    }

    /**
     * The permutation that moves one axis last and keeps the others in order.
     *
     * @param rank the rank
     * @param axis the axis to move
     * @return the permutation
     */
    static int[] moveLast(int rank, int axis) {
        int[] perm = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (i != axis) {
                perm[k++] = i;
            }
        }
        perm[rank - 1] = axis;
        return perm;
    }

    /**
     * Inverts a permutation.
     *
     * @param perm the permutation
     * @return its inverse
     */
    static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inv[perm[i]] = i;
        }
        return inv;
    }

    /**
     * Checks an index against a length, allowing negative indices from the end.
     *
     * @param v the index
     * @param size the length
     * @param what what the index is, for the message
     * @return the non-negative index
     */
    static int checkIndex(long v, long size, String what) {
        long i = v < 0 ? v + size : v;
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException(TypeRules.indexOutOfRange(what, v, size));
        }
        return (int) i;
    }
}
