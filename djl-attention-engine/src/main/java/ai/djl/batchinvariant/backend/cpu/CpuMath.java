/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The CPU backend's reductions: matrix products, softmax and normalisations over rows. Every
 * output element is reduced by one thread in one fixed order that depends only on the reduced
 * length (never on the number of rows), so row i of an M-row call has the same bits as the same
 * row computed alone.
 */
public final class CpuMath {

    private CpuMath() {}

    /**
     * C = A·B for row-major A (M×K) and B (K×N), float32 accumulation over k in increasing order:
     * each output is {@code fma(a[i][k-1], b[k-1][j], … fma(a[i][0], b[0][j], 0))}, one exactly
     * rounded fused multiply-add per step. Blocking, packing, SIMD lanes and threads only decide which
     * outputs are computed together, never the order of one output's sum (see {@link
     * PackedGemm}), so a row's bits do not depend on M.
     *
     * @param a the left matrix
     * @param aOff offset of A in {@code a}
     * @param b the right matrix
     * @param bOff offset of B in {@code b}
     * @param c the output (overwritten)
     * @param cOff offset of C in {@code c}
     * @param m rows of A
     * @param n columns of B
     * @param k the reduced dimension
     */
    public static void gemm(
            float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k) {
        PackedGemm.gemm(a, aOff, b, bOff, c, cOff, m, n, k);
    }

    /**
     * Dot product of length n (a multiple of 4) with four interleaved partial sums combined in a
     * fixed tree: the same order for every call, and several times the throughput of one chain.
     *
     * @param x the first vector
     * @param xOff its offset
     * @param y the second vector
     * @param yOff its offset
     * @param n the length
     * @return the dot product
     */
    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (int i = 0; i < n; i += 4) {
            s0 = Math.fma(x[xOff + i], y[yOff + i], s0);
            s1 = Math.fma(x[xOff + i + 1], y[yOff + i + 1], s1);
            s2 = Math.fma(x[xOff + i + 2], y[yOff + i + 2], s2);
            s3 = Math.fma(x[xOff + i + 3], y[yOff + i + 3], s3);
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Softmax (or log-softmax) of each of {@code rows} contiguous rows of length n, in place: the
     * plain loops whose bits {@link RowKernels#softmax} gives, the sum of the exps in {@link
     * LaneSums}' order.
     *
     * @param x the data
     * @param rows the number of rows
     * @param n the row length
     * @param log whether to produce log-softmax
     */
    public static void softmaxRows(float[] x, int rows, int n, boolean log) {
        Parallel.forEach(
                rows,
                4L * n,
                r -> {
                    int off = r * n;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        max = Math.max(max, x[off + i]);
                    }
                    float[] e = new float[n];
                    for (int i = 0; i < n; i++) {
                        e[i] = FastMath.exp(x[off + i] - max);
                    }
                    float sum = LaneSums.sum(false, LaneSums.Term.VALUE, e, 0, n, 0f);
                    if (log) {
                        float lse = max + FastMath.log(sum);
                        for (int i = 0; i < n; i++) {
                            x[off + i] = x[off + i] - lse;
                        }
                    } else {
                        float inv = 1f / sum;
                        for (int i = 0; i < n; i++) {
                            x[off + i] = e[i] * inv;
                        }
                    }
                });
    }

    /**
     * Layer normalisation of each row: (x - mean) / sqrt(var + eps) * gamma + beta, with mean and
     * (biased) variance summed in {@link LaneSums}' order; the plain loops whose bits {@link
     * RowKernels#layerNorm} gives.
     *
     * @param x the input rows
     * @param out the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param gamma the scale (length n), or null
     * @param beta the shift (length n), or null
     * @param eps the epsilon
     */
    public static void layerNormRows(
            float[] x, float[] out, int rows, int n, float[] gamma, float[] beta, float eps) {
        Parallel.forEach(
                rows,
                6L * n,
                r -> {
                    int off = r * n;
                    float mean = LaneSums.sum(false, LaneSums.Term.VALUE, x, off, n, 0f) / n;
                    float sq = LaneSums.sum(false, LaneSums.Term.CENTRED_SQUARE, x, off, n, mean);
                    float rstd = 1f / (float) Math.sqrt(sq / n + eps);
                    for (int i = 0; i < n; i++) {
                        float y = (x[off + i] - mean) * rstd;
                        if (gamma != null) {
                            y *= gamma[i];
                        }
                        if (beta != null) {
                            y += beta[i];
                        }
                        out[off + i] = y;
                    }
                });
    }

    /**
     * RMS normalisation of each row: x / sqrt(mean(x^2) + eps) * weight, the squares summed in
     * {@link LaneSums}' order; the plain loops whose bits {@link RowKernels#rmsNorm} gives.
     *
     * @param x the input rows
     * @param out the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param weight the scale (length n), or null
     * @param eps the epsilon
     */
    public static void rmsNormRows(float[] x, float[] out, int rows, int n, float[] weight, float eps) {
        Parallel.forEach(
                rows,
                4L * n,
                r -> {
                    int off = r * n;
                    float sq = LaneSums.sum(false, LaneSums.Term.SQUARE, x, off, n, 0f);
                    float denom = (float) Math.sqrt(sq / n + eps);
                    for (int i = 0; i < n; i++) {
                        float y = x[off + i] / denom;
                        out[off + i] = weight == null ? y : y * weight[i];
                    }
                });
    }
}
