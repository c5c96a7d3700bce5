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
        return gather(t, new Shape(dims), Strided.permutation(shape, axes));
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
