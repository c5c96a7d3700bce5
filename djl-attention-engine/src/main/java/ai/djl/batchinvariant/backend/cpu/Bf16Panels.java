/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The bfloat16 form of {@link PackedGemm}'s panels: weights whose float32 values are all widened
 * bfloat16 values (low 16 bits zero: the weights of a bfloat16 checkpoint computed in float32)
 * are stored as their upper halves, two per int, and widened back inside the micro-kernel. The
 * widening is exact, so every product and sum is the one the float32 panels give; a decode step,
 * which streams every weight once, reads half the bytes.
 *
 * <p>Layout: panel q, row kk occupies ints {@code (q·K + kk)·W/2} onwards (W = the panel width,
 * L = W/4); int {@code g·L + lane} (g = 0, 1) holds column {@code 2L·g + lane} in its high half and
 * column {@code 2L·g + L + lane} in its low half, so that one int vector gives two float vectors
 * by a mask and a shift. Columns past N are zero. {@code
 * -Dai.djl.batchinvariant.cpu_bf16_panels=false} keeps every panel in float32.
 */
final class Bf16Panels {

    /** The system property that turns the bfloat16 form off. */
    static final String PROPERTY = "ai.djl.batchinvariant.cpu_bf16_panels";
    /** Whether weights that allow it are packed in bfloat16 pairs. */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY));

    private Bf16Panels() {}

    /**
     * Tells whether every value has zero low 16 bits (is a widened bfloat16 value, NaNs included).
     *
     * @param x the values
     * @param off the first
     * @param len how many
     * @return true if all are
     */
    static boolean allBf16(float[] x, int off, long len) {
        int end = (int) (off + len);
        int or = 0;
        for (int i = off; i < end; i++) {
            or |= Float.floatToRawIntBits(x[i]);
            // checked in stretches, so a float32 matrix is rejected after its first few values
            if ((i & 4095) == 4095 && (or & 0xFFFF) != 0) {
                return false;
            }
        }
        return (or & 0xFFFF) == 0;
    }

    /**
     * Packs B = Wᵀ from a row-major W (N×K) whose values all pass {@link #allBf16}.
     *
     * @param wt the matrix W
     * @param off offset of W in {@code wt}
     * @param n rows of W (columns of B)
     * @param k columns of W (rows of B)
     * @param w the panel width (a multiple of 4)
     * @return the pairs
     */
    static int[] pack(float[] wt, int off, int n, int k, int w) {
        int panels = (n + w - 1) / w;
        int hw = w / 2;
        int l = w / 4;
        int[] h = new int[panels * k * hw];
        Parallel.forEach(panels, (long) w * k, q -> {
            int base = q * k * hw;
            for (int g = 0; g < hw; g++) {
                int hiCol = q * w + (g / l) * 2 * l + g % l;
                int loCol = hiCol + l;
                int hiSrc = off + hiCol * k;
                int loSrc = off + loCol * k;
                boolean hi = hiCol < n;
                boolean lo = loCol < n;
                for (int kk = 0; kk < k; kk++) {
                    int hv = hi ? Float.floatToRawIntBits(wt[hiSrc + kk]) & 0xFFFF0000 : 0;
                    int lv = lo ? Float.floatToRawIntBits(wt[loSrc + kk]) >>> 16 : 0;
                    h[base + kk * hw + g] = hv | lv;
                }
            }
        });
        return h;
    }

    /**
     * Widens one panel row of pairs into {@code w} floats, in column order.
     *
     * @param h the pairs
     * @param off the row's first int
     * @param w the panel width
     * @param dst the row's floats
     */
    static void widen(int[] h, int off, int w, float[] dst) {
        int l = w / 4;
        for (int g = 0; g < 2; g++) {
            int src = off + g * l;
            int hiDst = g * 2 * l;
            int loDst = hiDst + l;
            for (int lane = 0; lane < l; lane++) {
                int v = h[src + lane];
                dst[hiDst + lane] = Float.intBitsToFloat(v & 0xFFFF0000);
                dst[loDst + lane] = Float.intBitsToFloat(v << 16);
            }
        }
    }
}
