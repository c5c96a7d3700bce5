/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.ndarray.types.DataType;

/**
 * Which single-pass row kernel (softmax and log-softmax in reduce.cu, RMS and layer norm in
 * norm.cu; {@code kernels/include/bi/rows.cuh}) takes rows of a given length, and how it is
 * launched. A variant holds rows of up to {@link #maxRow} elements: G threads a row, each holding
 * V 16-byte chunks, so G * V * (16 / element size) = maxRow. It is chosen from the row length and
 * the dtype alone, never from the number of rows, so a row has the same bits alone and in a batch.
 * float32, float16 and bfloat16 rows of 1 to {@value #MAX_ROW} elements have a variant; longer
 * rows and float64 take the multi-pass kernels. Pure host arithmetic: tested without a GPU against
 * the kernels' own variant lists.
 */
public final class RowVariants {

    /** The longest row a single-pass kernel holds. */
    public static final int MAX_ROW = 32768;

    private RowVariants() {}

    /**
     * Returns the longest row of the variant that takes rows of {@code n} elements.
     *
     * @param type the element type
     * @param n the row length
     * @return a power of two from 512 (float32) or 1024 (16-bit floats) to {@value #MAX_ROW}, or 0
     *     where no single-pass variant applies (the multi-pass kernels run)
     */
    public static int maxRow(DataType type, long n) {
        int smallest;
        switch (type) {
            case FLOAT32:
                smallest = 512;
                break;
            case FLOAT16:
            case BFLOAT16:
                smallest = 1024;
                break;
            default:
                return 0;
        }
        if (n < 1 || n > MAX_ROW) {
            return 0;
        }
        int m = smallest;
        while (m < n) {
            m *= 2;
        }
        return m;
    }

    /**
     * Returns the threads that share a row (G): 16 elements a thread (four 16-byte chunks) for
     * float32 up to 16384 elements, 32 otherwise.
     *
     * @param type the element type
     * @param maxRow the variant, as {@link #maxRow} returns it
     * @return 32 to 1024
     */
    public static int groupThreads(DataType type, int maxRow) {
        int perThread = type == DataType.FLOAT32 && maxRow <= 16384 ? 16 : 32;
        return maxRow / perThread;
    }

    /**
     * Returns the threads of a block: eight one-warp rows for G = 32, else one row a block
     * ({@code bi::row_block}).
     *
     * @param group the threads a row
     * @return the block size
     */
    public static int blockThreads(int group) {
        return group == 32 ? 256 : group;
    }

    /**
     * Returns the blocks of a launch: one row for each group.
     *
     * @param rows the rows
     * @param group the threads a row
     * @return the grid size
     * @throws IllegalArgumentException if the grid would exceed the device limit
     */
    public static int blocks(long rows, int group) {
        int perBlock = blockThreads(group) / group;
        long blocks = (rows + perBlock - 1) / perBlock;
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(rows + " rows need more blocks than a launch has");
        }
        return (int) blocks;
    }
}
