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

    /** Rows of the output handed to one work item of a matrix product. */
    private static final int ROW_BLOCK = 4;

    private CpuMath() {}

    /**
     * C = A·B for row-major A (M×K) and B (K×N), float32 accumulation over k in increasing order.
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
        int blocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
        Parallel.forEach(
                blocks,
                (long) ROW_BLOCK * n * k,
                blk -> {
                    int r0 = blk * ROW_BLOCK;
                    int r1 = Math.min(m, r0 + ROW_BLOCK);
                    for (int r = r0; r < r1; r++) {
                        gemmRow(a, aOff + r * k, b, bOff, c, cOff + r * n, n, k);
                    }
                });
    }

    /**
     * One output row: c[0..n) = sum over kk of a[kk] * B[kk][0..n), kk ascending.
     *
     * @param a the row of A
     * @param aOff its offset
     * @param b B (K×N)
     * @param bOff its offset
     * @param c the output row
     * @param cOff its offset
     * @param n columns
     * @param k reduced dimension
     */
    public static void gemmRow(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n, int k) {
        for (int j = 0; j < n; j++) {
            c[cOff + j] = 0f;
        }
        for (int kk = 0; kk < k; kk++) {
            float av = a[aOff + kk];
            int bRow = bOff + kk * n;
            for (int j = 0; j < n; j++) {
                c[cOff + j] += av * b[bRow + j];
            }
        }
    }

    /**
     * Dot product of length n with eight interleaved partial sums combined in a fixed tree: the
     * same order for every call, and about four times the throughput of a single chain.
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
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 += x[xOff + i] * y[yOff + i];
            s1 += x[xOff + i + 1] * y[yOff + i + 1];
            s2 += x[xOff + i + 2] * y[yOff + i + 2];
            s3 += x[xOff + i + 3] * y[yOff + i + 3];
            s4 += x[xOff + i + 4] * y[yOff + i + 4];
            s5 += x[xOff + i + 5] * y[yOff + i + 5];
            s6 += x[xOff + i + 6] * y[yOff + i + 6];
            s7 += x[xOff + i + 7] * y[yOff + i + 7];
        }
        for (; i < n; i++) {
            s0 += x[xOff + i] * y[yOff + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * Softmax (or log-softmax) of each of {@code rows} contiguous rows of length n, in place.
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
                    float sum = 0f;
                    if (log) {
                        for (int i = 0; i < n; i++) {
                            sum += FastMath.exp(x[off + i] - max);
                        }
                        float lse = max + FastMath.log(sum);
                        for (int i = 0; i < n; i++) {
                            x[off + i] = x[off + i] - lse;
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            float e = FastMath.exp(x[off + i] - max);
                            x[off + i] = e;
                            sum += e;
                        }
                        float inv = 1f / sum;
                        for (int i = 0; i < n; i++) {
                            x[off + i] *= inv;
                        }
                    }
                });
    }

    /**
     * Layer normalisation of each row: (x - mean) / sqrt(var + eps) * gamma + beta, with mean and
     * (biased) variance reduced in index order.
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
                    float sum = 0f;
                    for (int i = 0; i < n; i++) {
                        sum += x[off + i];
                    }
                    float mean = sum / n;
                    float sq = 0f;
                    for (int i = 0; i < n; i++) {
                        float d = x[off + i] - mean;
                        sq += d * d;
                    }
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
     * RMS normalisation of each row: x / sqrt(mean(x^2) + eps) * weight.
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
                    float sq = 0f;
                    for (int i = 0; i < n; i++) {
                        sq += x[off + i] * x[off + i];
                    }
                    float rstd = 1f / (float) Math.sqrt(sq / n + eps);
                    for (int i = 0; i < n; i++) {
                        float y = x[off + i] * rstd;
                        out[off + i] = weight == null ? y : y * weight[i];
                    }
                });
    }
}
