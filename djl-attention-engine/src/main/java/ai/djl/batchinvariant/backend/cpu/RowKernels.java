/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Softmax, layer norm and RMS norm over contiguous float32 rows, with the bits of the one-row
 * loops in {@link CpuMath} (kept there as the reference). A row's sums stay one chain in index
 * order; the speed comes from running the chains of {@value #GROUP} independent rows side by side
 * (one dependent add per row per step, so the adder is never idle), from vectorised element-wise
 * passes (scale, shift, exp, normalise) and from threads over groups of rows.
 */
final class RowKernels {

    /** Rows whose sums run side by side. */
    static final int GROUP = 4;

    private RowKernels() {}

    /**
     * Softmax (or log-softmax) of each row, in place; the bits of {@link CpuMath#softmaxRows}.
     *
     * @param vector whether exp may use the vector path
     * @param x the rows
     * @param rows the number of rows
     * @param n the row length
     * @param log whether to produce log-softmax
     */
    static void softmax(boolean vector, float[] x, int rows, int n, boolean log) {
        softmax(vector, x, x, rows, n, log);
    }

    /**
     * Softmax (or log-softmax) of each row of {@code x} into {@code out} (which may be x): the
     * exps are written straight into the output, so the input is read, never copied.
     *
     * @param vector whether exp may use the vector path
     * @param x the rows
     * @param out the output rows (same length)
     * @param rows the number of rows
     * @param n the row length
     * @param log whether to produce log-softmax
     */
    static void softmax(boolean vector, float[] x, float[] out, int rows, int n, boolean log) {
        int groups = (rows + GROUP - 1) / GROUP;
        Parallel.forEach(groups, 4L * GROUP * n, gi -> {
            int r0 = gi * GROUP;
            int g = Math.min(GROUP, rows - r0);
            float[] max = new float[GROUP];
            float[] e = log ? new float[g * n] : out;
            int eBase = log ? 0 : r0 * n;
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                max[k] = AttentionKernels.max(vector, x, off, n);
                // exp(x - max) for every element: into the output (softmax) or aside (log-softmax)
                AttentionKernels.exp(vector, x, off, n, max[k], e, eBase + k * n);
            }
            float[] sum = sums(e, eBase, n, g);
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                if (log) {
                    float lse = max[k] + FastMath.log(sum[k]);
                    if (vector) {
                        VectorKernels.subScalar(x, off, n, lse, out, off);
                    } else {
                        for (int i = 0; i < n; i++) {
                            out[off + i] = x[off + i] - lse;
                        }
                    }
                } else {
                    float inv = 1f / sum[k];
                    if (vector) {
                        VectorKernels.mulScalar(out, off, n, inv);
                    } else {
                        for (int i = 0; i < n; i++) {
                            out[off + i] *= inv;
                        }
                    }
                }
            }
        });
    }

    /**
     * The sums of {@code g} consecutive rows of length n starting at {@code base}, each added in
     * index order from 0.
     */
    private static float[] sums(float[] x, int base, int n, int g) {
        float[] s = new float[GROUP];
        if (g == GROUP) {
            int o0 = base;
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
            s[0] = s0;
            s[1] = s1;
            s[2] = s2;
            s[3] = s3;
            return s;
        }
        for (int k = 0; k < g; k++) {
            float acc = 0f;
            int o = base + k * n;
            for (int i = 0; i < n; i++) {
                acc += x[o + i];
            }
            s[k] = acc;
        }
        return s;
    }

    /**
     * Layer normalisation of each row; the bits of {@link CpuMath#layerNormRows}.
     *
     * @param x the input rows
     * @param out the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param gamma the scale (length n), or null
     * @param beta the shift (length n), or null
     * @param eps the epsilon
     */
    static void layerNorm(float[] x, float[] out, int rows, int n, float[] gamma, float[] beta, float eps) {
        layerNorm(Simd.ENABLED, x, out, rows, n, gamma, beta, eps);
    }

    /**
     * {@link #layerNorm(float[], float[], int, int, float[], float[], float)} with the element-wise
     * passes on the Vector API or not (the same bits: tests compare the two).
     */
    static void layerNorm(boolean vector, float[] x, float[] out, int rows, int n, float[] gamma, float[] beta,
            float eps) {
        int groups = (rows + GROUP - 1) / GROUP;
        Parallel.forEach(groups, 6L * GROUP * n, gi -> {
            int r0 = gi * GROUP;
            int g = Math.min(GROUP, rows - r0);
            float[] sum = sums(x, r0 * n, n, g);
            float[] mean = new float[GROUP];
            for (int k = 0; k < g; k++) {
                mean[k] = sum[k] / n;
                // (x - mean) once per element, reused by the variance and the output
                int off = (r0 + k) * n;
                float mk = mean[k];
                if (vector) {
                    VectorKernels.subScalar(x, off, n, mk, out, off);
                } else {
                    for (int i = 0; i < n; i++) {
                        out[off + i] = x[off + i] - mk;
                    }
                }
            }
            float[] sq = squares(out, r0 * n, n, g);
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                float rstd = 1f / (float) Math.sqrt(sq[k] / n + eps);
                if (vector) {
                    VectorKernels.scaleShift(out, off, n, rstd, gamma, beta);
                } else {
                    scaleShift(out, off, n, rstd, gamma, beta);
                }
            }
        });
    }

    private static void scaleShift(float[] o, int off, int n, float rstd, float[] gamma, float[] beta) {
        if (gamma != null && beta != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = o[off + i] * rstd * gamma[i] + beta[i];
            }
        } else if (gamma != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = o[off + i] * rstd * gamma[i];
            }
        } else if (beta != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = o[off + i] * rstd + beta[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                o[off + i] = o[off + i] * rstd;
            }
        }
    }

    /** The sums of squares of {@code g} rows, each square rounded, each row in index order. */
    private static float[] squares(float[] x, int base, int n, int g) {
        float[] s = new float[GROUP];
        if (g == GROUP) {
            int o0 = base;
            int o1 = o0 + n;
            int o2 = o1 + n;
            int o3 = o2 + n;
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            for (int i = 0; i < n; i++) {
                s0 += x[o0 + i] * x[o0 + i];
                s1 += x[o1 + i] * x[o1 + i];
                s2 += x[o2 + i] * x[o2 + i];
                s3 += x[o3 + i] * x[o3 + i];
            }
            s[0] = s0;
            s[1] = s1;
            s[2] = s2;
            s[3] = s3;
            return s;
        }
        for (int k = 0; k < g; k++) {
            float acc = 0f;
            int o = base + k * n;
            for (int i = 0; i < n; i++) {
                acc += x[o + i] * x[o + i];
            }
            s[k] = acc;
        }
        return s;
    }

    /**
     * RMS normalisation of each row, x / sqrt(mean(x * x) + eps) * weight, with the rounding steps
     * of the composed ops (each square rounded, summed in index order, one division per element).
     *
     * @param v the input rows
     * @param o the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param w the weight (length n), or null
     * @param eps the epsilon
     */
    static void rmsNorm(float[] v, float[] o, int rows, int n, float[] w, float eps) {
        rmsNorm(Simd.ENABLED, v, o, rows, n, w, eps);
    }

    /**
     * {@link #rmsNorm(float[], float[], int, int, float[], float)} with the division pass on the
     * Vector API or not (the same bits: tests compare the two). The division pass was the slow
     * one: C2 leaves a loop over arrays at different offsets scalar, and a scalar division costs
     * several cycles an element.
     */
    static void rmsNorm(boolean vector, float[] v, float[] o, int rows, int n, float[] w, float eps) {
        int groups = (rows + GROUP - 1) / GROUP;
        Parallel.forEach(groups, 4L * GROUP * n, gi -> {
            int r0 = gi * GROUP;
            int g = Math.min(GROUP, rows - r0);
            float[] sq = squares(v, r0 * n, n, g);
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                float denom = (float) Math.sqrt(sq[k] / n + eps);
                if (vector) {
                    VectorKernels.divScale(v, off, n, denom, w, o);
                } else if (w == null) {
                    for (int i = 0; i < n; i++) {
                        o[off + i] = v[off + i] / denom;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        o[off + i] = v[off + i] / denom * w[i];
                    }
                }
            }
        });
    }
}
