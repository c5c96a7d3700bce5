/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The micro-kernel of {@link PackedGemm} in plain Java, for runtimes without the Vector API. The
 * same sums as {@link VectorGemmKernels}, term by term: each output adds its products in
 * increasing k, one fused multiply-add ({@code Math.fma}, which HotSpot vectorises) per step.
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
     * @param p the packed panel data, or null when {@code h} holds it
     * @param h the panel data as bfloat16 pairs ({@link Bf16Panels}), or null
     * @param pOff offset of the panel in {@code p} (in {@code h}: pOff / 2); row kk starts at
     *     pOff + kk·w (pairs: (pOff + kk·w) / 2)
     * @param w the panel width
     * @param t the tile of partial sums, rows {@code w} apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows(int rows, float[] a, int aRow, int lda, float[] p, int[] h, int pOff, int w, float[] t,
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
            load(p, h, pb, w, b0);
            load(p, h, pb + w, w, b1);
            load(p, h, pb + 2 * w, w, b2);
            load(p, h, pb + 3 * w, w, b3);
            for (int r = 0; r < rows; r++) {
                int o = aRow + r * lda + kk;
                step4(acc[r], b0, b1, b2, b3, a[o], a[o + 1], a[o + 2], a[o + 3], w);
            }
        }
        for (; kk < k1; kk++) {
            load(p, h, pOff + kk * w, w, b0);
            for (int r = 0; r < rows; r++) {
                step1(acc[r], b0, a[aRow + r * lda + kk], w);
            }
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(acc[r], 0, t, tOff + r * w, w);
        }
    }

    /** One panel row (w values from float offset {@code at}) into {@code dst}, widened from pairs if need be. */
    private static void load(float[] p, int[] h, int at, int w, float[] dst) {
        if (h != null) {
            Bf16Panels.widen(h, at / 2, w, dst);
        } else {
            System.arraycopy(p, at, dst, 0, w);
        }
    }

    /** Four k steps: Java adds left to right, so each element still sums in increasing k. */
    private static void step4(float[] c, float[] b0, float[] b1, float[] b2, float[] b3, float x0,
            float x1, float x2, float x3, int w) {
        for (int j = 0; j < w; j++) {
            c[j] = Math.fma(x3, b3[j], Math.fma(x2, b2[j], Math.fma(x1, b1[j], Math.fma(x0, b0[j], c[j]))));
        }
    }

    private static void step1(float[] c, float[] b0, float x0, int w) {
        for (int j = 0; j < w; j++) {
            c[j] = Math.fma(x0, b0[j], c[j]);
        }
    }
}
