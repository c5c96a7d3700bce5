/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The micro-kernel of {@link PackedGemm} in plain Java, for runtimes without the Vector API. The
 * same sums as {@link VectorGemmKernels}, term by term: each output adds its products in
 * increasing k, one rounded product and one rounded sum per step.
 *
 * <p>The loops are shaped for HotSpot's loop vectoriser, which (in Java 17) gives up when two
 * arrays in one loop are indexed with different offsets: every row of partial sums and each of
 * the four panel rows of a step are therefore copied into arrays of their own, indexed alike.
 */
final class PlainGemmKernels {

    /** Rows one call can take. */
    static final int MAX_ROWS = 8;

    private PlainGemmKernels() {}

    /**
     * {@code rows} rows × {@code w} columns over k in [k0, k1).
     *
     * @param rows the number of rows, 1 to {@link #MAX_ROWS}
     * @param a the left matrix
     * @param aRow offset of the first row in {@code a}
     * @param lda distance between rows of {@code a}
     * @param p the packed panel data
     * @param pOff offset of the panel in {@code p}; row kk starts at pOff + kk·w
     * @param w the panel width
     * @param t the tile of partial sums, rows {@code w} apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows(int rows, float[] a, int aRow, int lda, float[] p, int pOff, int w, float[] t,
            int tOff, int k0, int k1, boolean first) {
        float[][] acc = new float[rows][w];
        if (!first) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(t, tOff + r * w, acc[r], 0, w);
            }
        }
        float[] b0 = new float[w];
        float[] b1 = new float[w];
        float[] b2 = new float[w];
        float[] b3 = new float[w];
        int kk = k0;
        for (; kk + 4 <= k1; kk += 4) {
            int pb = pOff + kk * w;
            System.arraycopy(p, pb, b0, 0, w);
            System.arraycopy(p, pb + w, b1, 0, w);
            System.arraycopy(p, pb + 2 * w, b2, 0, w);
            System.arraycopy(p, pb + 3 * w, b3, 0, w);
            for (int r = 0; r < rows; r++) {
                int o = aRow + r * lda + kk;
                step4(acc[r], b0, b1, b2, b3, a[o], a[o + 1], a[o + 2], a[o + 3], w);
            }
        }
        for (; kk < k1; kk++) {
            System.arraycopy(p, pOff + kk * w, b0, 0, w);
            for (int r = 0; r < rows; r++) {
                step1(acc[r], b0, a[aRow + r * lda + kk], w);
            }
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(acc[r], 0, t, tOff + r * w, w);
        }
    }

    /** Four k steps: Java adds left to right, so each element still sums in increasing k. */
    private static void step4(float[] c, float[] b0, float[] b1, float[] b2, float[] b3, float x0,
            float x1, float x2, float x3, int w) {
        for (int j = 0; j < w; j++) {
            c[j] = c[j] + x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
        }
    }

    private static void step1(float[] c, float[] b0, float x0, int w) {
        for (int j = 0; j < w; j++) {
            c[j] = c[j] + x0 * b0[j];
        }
    }
}
