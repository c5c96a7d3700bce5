/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Softmax, layer norm and RMS norm over contiguous float32 rows, with the bits of the one-row
 * loops (the norms' as {@code KernelReference} in the tests writes them, softmax's as {@link
 * CpuMath#softmaxRows}). A row's sums stay one chain in index order; the speed comes from running
 * the chains of {@value #GROUP} independent rows side by side ({@link RowSums}), from vectorised
 * element-wise passes (exp, scale, shift, normalise), from passes that read a group's rows again
 * while they are still in the core's L2 (a group of eight 4096-float rows is 128 KiB), and from
 * threads over groups of rows.
 */
final class RowKernels {

    /** Rows whose sums run side by side. */
    static final int GROUP = RowSums.WIDTH;

    /**
     * RMS norm's rows a group: four. Its only pass over memory is the squares' (the division
     * reads the group again from L2), and with two threads streaming eight rows a core took 2 to
     * 13% longer than four (in the benchmark, and called alternately with the four-row form in
     * one process), though eight were faster on one thread. Layer norm and softmax, whose later
     * passes gain from eight rows' chains, keep {@link #GROUP}.
     */
    static final int RMS_GROUP = 4;

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
     * exps are written straight into the output, so the input is read, never copied. Per group of
     * rows: the max (one read of the rows from memory), exp(x - max) into the output (the rows
     * again, now from L2), the sums of the exps (from L2), then the normalising pass.
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
            float[] sum = new float[GROUP];
            // log-softmax needs the exps only for their sums: they go to the output rows as
            // scratch, unless the output is the input (in place), which they would overwrite
            boolean aside = log && out == x;
            float[] e = aside ? new float[g * n] : out;
            int eBase = aside ? 0 : r0 * n;
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                max[k] = AttentionKernels.max(vector, x, off, n);
                AttentionKernels.exp(vector, x, off, n, max[k], e, eBase + k * n);
            }
            RowSums.sums(e, eBase, n, g, sum);
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
     * {@link #layerNorm(float[], float[], int, int, float[], float[], float)} with the output pass
     * on the Vector API or not (the same bits: tests compare the two). Three passes over a group:
     * the sums (from memory), the sums of the centred squares (from L2: each difference is
     * computed again rather than stored, which would cost a write and a read of the output), and
     * {@code ((x - mean) * rstd) * gamma + beta} into the output, the only write.
     *
     * @param vector whether the output pass may use the Vector API
     * @param x the input rows
     * @param out the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param gamma the scale (length n), or null
     * @param beta the shift (length n), or null
     * @param eps the epsilon
     */
    static void layerNorm(boolean vector, float[] x, float[] out, int rows, int n, float[] gamma, float[] beta,
            float eps) {
        int groups = (rows + GROUP - 1) / GROUP;
        Parallel.forEach(groups, 6L * GROUP * n, gi -> {
            int r0 = gi * GROUP;
            int g = Math.min(GROUP, rows - r0);
            float[] mean = new float[GROUP];
            float[] sq = new float[GROUP];
            RowSums.sums(x, r0 * n, n, g, mean);
            for (int k = 0; k < g; k++) {
                mean[k] = mean[k] / n;
            }
            RowSums.centredSquares(x, r0 * n, n, g, mean, sq, vector);
            for (int k = 0; k < g; k++) {
                int off = (r0 + k) * n;
                float rstd = 1f / (float) Math.sqrt(sq[k] / n + eps);
                if (vector) {
                    VectorKernels.normalise(x, off, n, mean[k], rstd, gamma, beta, out);
                } else {
                    normalise(x, off, n, mean[k], rstd, gamma, beta, out);
                }
            }
        });
    }

    /** The plain form of {@link VectorKernels#normalise}; the null checks are hoisted per case. */
    private static void normalise(float[] x, int off, int n, float mean, float rstd, float[] gamma, float[] beta,
            float[] o) {
        if (gamma != null && beta != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = (x[off + i] - mean) * rstd * gamma[i] + beta[i];
            }
        } else if (gamma != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = (x[off + i] - mean) * rstd * gamma[i];
            }
        } else if (beta != null) {
            for (int i = 0; i < n; i++) {
                o[off + i] = (x[off + i] - mean) * rstd + beta[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                o[off + i] = (x[off + i] - mean) * rstd;
            }
        }
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
     *
     * @param vector whether the division pass may use the Vector API
     * @param v the input rows
     * @param o the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param w the weight (length n), or null
     * @param eps the epsilon
     */
    static void rmsNorm(boolean vector, float[] v, float[] o, int rows, int n, float[] w, float eps) {
        int groups = (rows + RMS_GROUP - 1) / RMS_GROUP;
        Parallel.forEach(groups, 4L * RMS_GROUP * n, gi -> {
            int r0 = gi * RMS_GROUP;
            int g = Math.min(RMS_GROUP, rows - r0);
            float[] sq = new float[RMS_GROUP];
            RowSums.squares(v, r0 * n, n, g, sq);
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
