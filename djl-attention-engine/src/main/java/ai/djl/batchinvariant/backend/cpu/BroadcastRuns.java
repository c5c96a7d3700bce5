/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * An output cut into runs over which every operand is contiguous or one value, so that element-wise
 * kernels with broadcasting stream without an index array. The output's trailing dimensions
 * over which each operand keeps one mode (the longest such run, "inner") are walked by a plain
 * loop; the leading ones ("outer") give each run's starting offsets. Runs longer than {@link
 * ElementwiseKernels#BLOCK} are cut into blocks, the work items a thread takes.
 */
final class BroadcastRuns {

    private final long[] dims;
    private final int[][] strides;
    private final int[] steps;
    private final int outerDims;
    private final int inner;
    private final int chunks;
    private final int items;

    private BroadcastRuns(long[] dims, int[][] strides) {
        this.dims = dims;
        this.strides = strides;
        int rank = dims.length;
        // modes over the inner run: 0 undecided (dimensions of 1 so far), 1 contiguous, 2 one value
        int[] modes = new int[strides.length];
        int[] next = new int[strides.length];
        int run = 1;
        int k = rank;
        scan:
        for (; k > 0; k--) {
            int d = (int) dims[k - 1];
            if (d == 1) {
                continue;
            }
            for (int j = 0; j < strides.length; j++) {
                next[j] = mode(modes[j], strides[j][k - 1], run);
                if (next[j] < 0) {
                    break scan;
                }
            }
            System.arraycopy(next, 0, modes, 0, modes.length);
            run *= d;
        }
        outerDims = k;
        inner = run;
        steps = new int[strides.length];
        for (int j = 0; j < strides.length; j++) {
            steps[j] = modes[j] == 2 ? 0 : 1;
        }
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        chunks = (inner + ElementwiseKernels.BLOCK - 1) / ElementwiseKernels.BLOCK;
        items = n == 0 ? 0 : n / inner * chunks;
    }

    /**
     * Plans the runs of an output.
     *
     * @param dims the output's dimensions
     * @param strides each operand's strides over them, 0 where broadcast ({@code
     *     Strided.broadcastStrides})
     * @return the plan
     */
    static BroadcastRuns of(long[] dims, int[]... strides) {
        return new BroadcastRuns(dims, strides);
    }

    /**
     * An operand's mode once the inner run takes one more dimension of stride s, the run so far
     * holding {@code inner} elements: contiguous (1) where s continues it, one value (2) where s is
     * 0, -1 where the dimension breaks the operand's mode.
     */
    private static int mode(int m, int s, int inner) {
        if (s == inner && m != 2) {
            return 1;
        }
        if (s == 0 && m != 1) {
            return 2;
        }
        return -1;
    }

    /** @return the count of work items (runs, or blocks of long runs) */
    int items() {
        return items;
    }

    /** @return elements a work item holds at most, the cost {@link Parallel#forEach} weighs */
    int itemLength() {
        return Math.min(inner, ElementwiseKernels.BLOCK);
    }

    /**
     * @param item a work item
     * @return its element count
     */
    int length(int item) {
        return Math.min(ElementwiseKernels.BLOCK, inner - (item % chunks) * ElementwiseKernels.BLOCK);
    }

    /**
     * @param item a work item
     * @return the output offset of its first element
     */
    int outStart(int item) {
        return item / chunks * inner + (item % chunks) * ElementwiseKernels.BLOCK;
    }

    /**
     * @param operand an operand's index in {@link #of}'s strides
     * @return its step along a run: 1 contiguous, 0 one value
     */
    int step(int operand) {
        return steps[operand];
    }

    /**
     * @param operand an operand's index in {@link #of}'s strides
     * @param item a work item
     * @return the operand's offset at the item's first element
     */
    int start(int operand, int item) {
        int[] s = strides[operand];
        int off = 0;
        int rest = item / chunks;
        for (int d = outerDims - 1; d >= 0; d--) {
            int len = (int) dims[d];
            off += rest % len * s[d];
            rest /= len;
        }
        return off + (item % chunks) * ElementwiseKernels.BLOCK * steps[operand];
    }
}
