/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The per-row sums of the row kernels: for each of up to {@value #WIDTH} consecutive rows of
 * length n, one chain {@code ((0 + t(x[0])) + t(x[1])) + …} in index order, where t is the
 * identity, the square or the centred square. Only the chains of different rows run side by side
 * (one dependent add per row per step), so every sum has the bits of the one-row loop.
 *
 * <p>Why eight rows: a float add has a latency of 3 to 4 cycles and a core issues two a cycle, so
 * one chain uses a sixth to an eighth of the adders, four chains at most two thirds, eight can
 * fill them. Eight chains took the sum of
 * squares of rows in L2 from 0.29 to 0.25 ns an element on one core of the benchmark machine.
 * Lanes across rows would need a transpose of each 8 × 8 block, which JDK 17's Vector API compiles
 * to slow code (1.8 to 2.1 ns an element, with rearranges and blends on constant shuffles and
 * masks), and a gather load per step took 0.43 ns. Layer norm's centred squares of eight rows
 * may come from {@link VectorKernels#centredSquares8}, which computes them in vector lanes (one
 * lane an element) and leaves the chains to {@link #chains8}: the same operations, in the same
 * order, per row.
 */
final class RowSums {

    /** The most rows summed side by side. */
    static final int WIDTH = 8;

    /**
     * Elements of each row whose squares {@link VectorKernels#centredSquares8} computes at a
     * time: eight rows' blocks (4 KiB) stay in L1 until {@link #chains8} adds them.
     */
    static final int BLOCK = 128;

    private RowSums() {}

    /**
     * {@code s[k] = x[o + 0] + x[o + 1] + …} (in that order) for the g rows at {@code base + k * n}.
     *
     * @param x the rows
     * @param base the first row's offset
     * @param n the row length
     * @param g the number of rows (1 to {@value #WIDTH})
     * @param s the sums (length at least g)
     */
    static void sums(float[] x, int base, int n, int g, float[] s) {
        int k = 0;
        if (g - k >= 8) {
            sums8(x, base, n, s, 0);
            k = 8;
        }
        for (; g - k >= 4; k += 4) {
            sums4(x, base + k * n, n, s, k);
        }
        for (; k < g; k++) {
            int o = base + k * n;
            float acc = 0f;
            for (int i = 0; i < n; i++) {
                acc += x[o + i];
            }
            s[k] = acc;
        }
    }

    private static void sums8(float[] x, int o0, int n, float[] s, int at) {
        int o1 = o0 + n;
        int o2 = o1 + n;
        int o3 = o2 + n;
        int o4 = o3 + n;
        int o5 = o4 + n;
        int o6 = o5 + n;
        int o7 = o6 + n;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        for (int i = 0; i < n; i++) {
            s0 += x[o0 + i];
            s1 += x[o1 + i];
            s2 += x[o2 + i];
            s3 += x[o3 + i];
            s4 += x[o4 + i];
            s5 += x[o5 + i];
            s6 += x[o6 + i];
            s7 += x[o7 + i];
        }
        s[at] = s0;
        s[at + 1] = s1;
        s[at + 2] = s2;
        s[at + 3] = s3;
        s[at + 4] = s4;
        s[at + 5] = s5;
        s[at + 6] = s6;
        s[at + 7] = s7;
    }

    private static void sums4(float[] x, int o0, int n, float[] s, int at) {
        int o1 = o0 + n;
        int o2 = o1 + n;
        int o3 = o2 + n;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (int i = 0; i < n; i++) {
            s0 += x[o0 + i];
            s1 += x[o1 + i];
            s2 += x[o2 + i];
            s3 += x[o3 + i];
        }
        s[at] = s0;
        s[at + 1] = s1;
        s[at + 2] = s2;
        s[at + 3] = s3;
    }

    /**
     * {@code s[k] = x[o]·x[o] + x[o + 1]·x[o + 1] + …}: each square rounded, then added in index
     * order, for the g rows at {@code base + k * n}.
     *
     * @param x the rows
     * @param base the first row's offset
     * @param n the row length
     * @param g the number of rows (1 to {@value #WIDTH})
     * @param s the sums (length at least g)
     */
    static void squares(float[] x, int base, int n, int g, float[] s) {
        int k = 0;
        if (g - k >= 8) {
            squares8(x, base, n, s);
            k = 8;
        }
        for (; g - k >= 4; k += 4) {
            squares4(x, base + k * n, n, s, k);
        }
        for (; k < g; k++) {
            int o = base + k * n;
            float acc = 0f;
            for (int i = 0; i < n; i++) {
                acc += x[o + i] * x[o + i];
            }
            s[k] = acc;
        }
    }

    private static void squares8(float[] x, int o0, int n, float[] s) {
        int o1 = o0 + n;
        int o2 = o1 + n;
        int o3 = o2 + n;
        int o4 = o3 + n;
        int o5 = o4 + n;
        int o6 = o5 + n;
        int o7 = o6 + n;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        for (int i = 0; i < n; i++) {
            float a0 = x[o0 + i];
            float a1 = x[o1 + i];
            float a2 = x[o2 + i];
            float a3 = x[o3 + i];
            float a4 = x[o4 + i];
            float a5 = x[o5 + i];
            float a6 = x[o6 + i];
            float a7 = x[o7 + i];
            s0 += a0 * a0;
            s1 += a1 * a1;
            s2 += a2 * a2;
            s3 += a3 * a3;
            s4 += a4 * a4;
            s5 += a5 * a5;
            s6 += a6 * a6;
            s7 += a7 * a7;
        }
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        s[4] = s4;
        s[5] = s5;
        s[6] = s6;
        s[7] = s7;
    }

    private static void squares4(float[] x, int o0, int n, float[] s, int at) {
        int o1 = o0 + n;
        int o2 = o1 + n;
        int o3 = o2 + n;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (int i = 0; i < n; i++) {
            float a0 = x[o0 + i];
            float a1 = x[o1 + i];
            float a2 = x[o2 + i];
            float a3 = x[o3 + i];
            s0 += a0 * a0;
            s1 += a1 * a1;
            s2 += a2 * a2;
            s3 += a3 * a3;
        }
        s[at] = s0;
        s[at + 1] = s1;
        s[at + 2] = s2;
        s[at + 3] = s3;
    }

    /**
     * {@code s[k] = d0·d0 + d1·d1 + …} with {@code di = x[o + i] - mean[k]}: each difference and
     * each square rounded, then added in index order (layer norm's variance without storing the
     * centred row), for the g rows at {@code base + k * n}.
     *
     * @param x the rows
     * @param base the first row's offset
     * @param n the row length
     * @param g the number of rows (1 to {@value #WIDTH})
     * @param mean each row's mean
     * @param s the sums (length at least g)
     * @param vector whether eight rows may take {@link VectorKernels#centredSquares8} (same bits)
     */
    static void centredSquares(float[] x, int base, int n, int g, float[] mean, float[] s, boolean vector) {
        int k = 0;
        if (g - k >= 8 && vector && n >= BLOCK) {
            VectorKernels.centredSquares8(x, base, n, mean, s, new float[8 * BLOCK]);
            k = 8;
        } else if (g - k >= 8) {
            centred8(x, base, n, mean, s);
            k = 8;
        }
        for (; k < g; k++) {
            int o = base + k * n;
            float m = mean[k];
            float acc = 0f;
            for (int i = 0; i < n; i++) {
                float d = x[o + i] - m;
                acc += d * d;
            }
            s[k] = acc;
        }
    }

    private static void centred8(float[] x, int o0, int n, float[] mean, float[] s) {
        int o1 = o0 + n;
        int o2 = o1 + n;
        int o3 = o2 + n;
        int o4 = o3 + n;
        int o5 = o4 + n;
        int o6 = o5 + n;
        int o7 = o6 + n;
        float m0 = mean[0];
        float m1 = mean[1];
        float m2 = mean[2];
        float m3 = mean[3];
        float m4 = mean[4];
        float m5 = mean[5];
        float m6 = mean[6];
        float m7 = mean[7];
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        for (int i = 0; i < n; i++) {
            float d0 = x[o0 + i] - m0;
            float d1 = x[o1 + i] - m1;
            float d2 = x[o2 + i] - m2;
            float d3 = x[o3 + i] - m3;
            float d4 = x[o4 + i] - m4;
            float d5 = x[o5 + i] - m5;
            float d6 = x[o6 + i] - m6;
            float d7 = x[o7 + i] - m7;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        s[4] = s4;
        s[5] = s5;
        s[6] = s6;
        s[7] = s7;
    }

    /**
     * Adds block k of {@code scratch} ({@value #BLOCK} values at {@code k * BLOCK}) to {@code
     * s[k]} in index order, for the eight rows k side by side.
     *
     * @param scratch eight rows' blocks
     * @param s the eight running sums (in and out)
     */
    static void chains8(float[] scratch, float[] s) {
        final int b = BLOCK;
        float s0 = s[0];
        float s1 = s[1];
        float s2 = s[2];
        float s3 = s[3];
        float s4 = s[4];
        float s5 = s[5];
        float s6 = s[6];
        float s7 = s[7];
        for (int j = 0; j < b; j++) {
            s0 += scratch[j];
            s1 += scratch[b + j];
            s2 += scratch[2 * b + j];
            s3 += scratch[3 * b + j];
            s4 += scratch[4 * b + j];
            s5 += scratch[5 * b + j];
            s6 += scratch[6 * b + j];
            s7 += scratch[7 * b + j];
        }
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        s[4] = s4;
        s[5] = s5;
        s[6] = s6;
        s[7] = s7;
    }
}
