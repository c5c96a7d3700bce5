/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The per-row sums of the row kernels (softmax, layer norm, RMS norm). A row of length n is
 * summed as {@value #LANES} interleaved partial sums — element i goes to partial sum {@code i mod
 * 32}, each partial sum a chain in index order from +0 — and the partial sums then meet in one
 * fixed halving tree: {@code s[j] += s[j + 16]} for j below 16, then 8, 4, 2 and 1 ({@link
 * #combine}). The order depends on n alone, never on the rows beside it or the thread that runs
 * it.
 *
 * <p>Why this order: a row sum as one chain in index order runs one dependent add at a time (a
 * float add has 3 to 4 cycles of latency), so layer norm and softmax spent more time in their
 * chains than memory needed to stream the row. Thirty-two independent partial sums are four
 * 256-bit vectors of lanes, each lane an output of its own in the vector form ({@link
 * VectorRowKernels#laneSum}), which therefore gives the bits of the plain loops here; and they are
 * more accurate than one chain (each adds n / 32 terms). The attention kernels' q·k sums use the
 * same idea with eight partial sums.
 */
final class LaneSums {

    /** Partial sums per row. */
    static final int LANES = 32;

    /** What is summed: the element, its square, or its square after subtracting a centre. */
    enum Term {
        /** x. */
        VALUE,
        /** x · x, the product rounded before it is added. */
        SQUARE,
        /** (x - c) · (x - c), the difference and the product each rounded. */
        CENTRED_SQUARE
    }

    private LaneSums() {}

    /**
     * The sum of {@code t(x[off + i])} for i in [0, n) in this class's order, on the vector path
     * or the plain loops (the same bits).
     *
     * @param vector whether to use the Vector API
     * @param t the term
     * @param x the row's array
     * @param off the row's first element
     * @param n the row length
     * @param c the centre of {@link Term#CENTRED_SQUARE} (ignored otherwise)
     * @return the sum
     */
    static float sum(boolean vector, Term t, float[] x, int off, int n, float c) {
        float[] s = new float[LANES];
        return finish(t, x, off, n, c, s, vector ? VectorRowKernels.laneSum(t, x, off, n, c, s) : 0);
    }

    /**
     * Adds the terms of elements i to n - 1 to the partial sums {@code s} (which hold the terms
     * before i, i a multiple of {@value #LANES}), then combines them: the rest of {@link #sum}, for
     * a kernel that summed the first i elements itself.
     *
     * @param t the term
     * @param x the row's array
     * @param off the row's first element
     * @param n the row length
     * @param c the centre of {@link Term#CENTRED_SQUARE} (ignored otherwise)
     * @param s the {@value #LANES} partial sums so far (overwritten)
     * @param i the first element not yet summed
     * @return the sum
     */
    static float finish(Term t, float[] x, int off, int n, float c, float[] s, int i) {
        final int mask = LANES - 1;
        switch (t) {
            case SQUARE:
                for (; i < n; i++) {
                    float v = x[off + i];
                    s[i & mask] += v * v;
                }
                break;
            case CENTRED_SQUARE:
                for (; i < n; i++) {
                    float d = x[off + i] - c;
                    s[i & mask] += d * d;
                }
                break;
            default:
                for (; i < n; i++) {
                    s[i & mask] += x[off + i];
                }
                break;
        }
        return combine(s);
    }

    /**
     * Combines the partial sums by the halving tree (s is overwritten).
     *
     * @param s the {@value #LANES} partial sums
     * @return their total
     */
    static float combine(float[] s) {
        for (int w = LANES / 2; w > 0; w >>= 1) {
            for (int j = 0; j < w; j++) {
                s[j] += s[j + w];
            }
        }
        return s[0];
    }
}
