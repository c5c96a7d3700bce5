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
    private static final int ROW_BLOCK = 8;
    /** Columns of the output handed to one work item of a matrix product. */
    private static final int COL_BLOCK = 512;

    private CpuMath() {}

    /**
     * C = A·B for row-major A (M×K) and B (K×N), float32 accumulation over k in increasing order.
     * Rows are processed in blocks of {@value #ROW_BLOCK} and columns in blocks of {@value
     * #COL_BLOCK} so each pass over B serves several rows from cache; blocking changes which
     * elements are computed together, never the order in which one element is summed, so a row's
     * bits do not depend on M.
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
        int rowBlocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
        int colBlocks = (n + COL_BLOCK - 1) / COL_BLOCK;
        Parallel.forEach(
                rowBlocks * colBlocks,
                (long) ROW_BLOCK * COL_BLOCK * k,
                item -> {
                    int r0 = (item / colBlocks) * ROW_BLOCK;
                    int c0 = (item % colBlocks) * COL_BLOCK;
                    gemmBlock(a, aOff, b, bOff, c, cOff, r0, Math.min(m, r0 + ROW_BLOCK), c0,
                            Math.min(n, c0 + COL_BLOCK), n, k);
                });
    }

    private static void gemmBlock(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
            int r0, int r1, int c0, int c1, int n, int k) {
        for (int r = r0; r < r1; r++) {
            for (int j = c0; j < c1; j++) {
                c[cOff + r * n + j] = 0f;
            }
        }
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int o0 = cOff + r * n;
            int o1 = o0 + n;
            int o2 = o1 + n;
            int o3 = o2 + n;
            int ra = aOff + r * k;
            int kk = 0;
            // four k steps per pass: each c element is still summed in increasing k, one rounding
            // per step, but is loaded and stored once per four steps
            for (; kk + 4 <= k; kk += 4) {
                float a00 = a[ra + kk];
                float a01 = a[ra + kk + 1];
                float a02 = a[ra + kk + 2];
                float a03 = a[ra + kk + 3];
                float a10 = a[ra + k + kk];
                float a11 = a[ra + k + kk + 1];
                float a12 = a[ra + k + kk + 2];
                float a13 = a[ra + k + kk + 3];
                float a20 = a[ra + 2 * k + kk];
                float a21 = a[ra + 2 * k + kk + 1];
                float a22 = a[ra + 2 * k + kk + 2];
                float a23 = a[ra + 2 * k + kk + 3];
                float a30 = a[ra + 3 * k + kk];
                float a31 = a[ra + 3 * k + kk + 1];
                float a32 = a[ra + 3 * k + kk + 2];
                float a33 = a[ra + 3 * k + kk + 3];
                int b0 = bOff + kk * n;
                int b1 = b0 + n;
                int b2 = b1 + n;
                int b3 = b2 + n;
                for (int j = c0; j < c1; j++) {
                    float v0 = b[b0 + j];
                    float v1 = b[b1 + j];
                    float v2 = b[b2 + j];
                    float v3 = b[b3 + j];
                    c[o0 + j] = c[o0 + j] + a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
                    c[o1 + j] = c[o1 + j] + a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
                    c[o2 + j] = c[o2 + j] + a20 * v0 + a21 * v1 + a22 * v2 + a23 * v3;
                    c[o3 + j] = c[o3 + j] + a30 * v0 + a31 * v1 + a32 * v2 + a33 * v3;
                }
            }
            for (; kk < k; kk++) {
                float a0 = a[ra + kk];
                float a1 = a[ra + k + kk];
                float a2 = a[ra + 2 * k + kk];
                float a3 = a[ra + 3 * k + kk];
                int bRow = bOff + kk * n;
                for (int j = c0; j < c1; j++) {
                    float bv = b[bRow + j];
                    c[o0 + j] += a0 * bv;
                    c[o1 + j] += a1 * bv;
                    c[o2 + j] += a2 * bv;
                    c[o3 + j] += a3 * bv;
                }
            }
        }
        for (; r < r1; r++) {
            int o0 = cOff + r * n;
            int ra = aOff + r * k;
            int kk = 0;
            for (; kk + 4 <= k; kk += 4) {
                float a00 = a[ra + kk];
                float a01 = a[ra + kk + 1];
                float a02 = a[ra + kk + 2];
                float a03 = a[ra + kk + 3];
                int b0 = bOff + kk * n;
                int b1 = b0 + n;
                int b2 = b1 + n;
                int b3 = b2 + n;
                for (int j = c0; j < c1; j++) {
                    c[o0 + j] = c[o0 + j] + a00 * b[b0 + j] + a01 * b[b1 + j] + a02 * b[b2 + j] + a03 * b[b3 + j];
                }
            }
            for (; kk < k; kk++) {
                float a0 = a[ra + kk];
                int bRow = bOff + kk * n;
                for (int j = c0; j < c1; j++) {
                    c[o0 + j] += a0 * b[bRow + j];
                }
            }
        }
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
            s0 += x[xOff + i] * y[yOff + i];
            s1 += x[xOff + i + 1] * y[yOff + i + 1];
            s2 += x[xOff + i + 2] * y[yOff + i + 2];
            s3 += x[xOff + i + 3] * y[yOff + i + 3];
        }
        return (s0 + s1) + (s2 + s3);
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
