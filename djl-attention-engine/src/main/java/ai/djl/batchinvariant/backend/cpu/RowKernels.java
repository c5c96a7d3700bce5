/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Softmax, layer norm and RMS norm over contiguous float32 rows, with the bits of the one-row
 * loops ({@link CpuMath#softmaxRows}, {@link CpuMath#layerNormRows}, {@link CpuMath#rmsNormRows}).
 * A row's sums take the order of {@link LaneSums} (32 interleaved partial sums, one fixed tree),
 * which runs at the rate the row streams in; the element-wise passes (exp, scale, shift,
 * normalise) run on the Vector API; a row's later passes find it in the core's L1 or L2 (a row of
 * 4096 floats is 16 KiB); threads take whole rows.
 */
final class RowKernels {

    /**
     * Most consecutive rows a task takes, so that one loop writes a row out while it streams the
     * next one in ({@link VectorRowKernels#divScaleThenSquares}, {@link
     * VectorRowKernels#normaliseSquaresSum}, {@link VectorKernels#expSumMax}): a row's passes one
     * after the other leave half of a core's memory traffic idle. A task's first rows are only read
     * and its last only written (layer norm: two of each), so longer tasks stream better: layer
     * norm at 75-79% of a copy's rate with 16-row tasks, 83% with 64 (rows of 4096, no faster with
     * 256). The bits do not depend on it: each row takes the same operations wherever it falls.
     */
    static final int ROWS_A_TASK = 64;
    /** Fewest rows a task takes where there are too few rows for two tasks a thread. */
    private static final int MIN_ROWS_A_TASK = 16;

    private RowKernels() {}

    /** The rows of a task: r0 to r1 - 1. */
    @FunctionalInterface
    private interface RowBlock {
        void run(int r0, int r1);
    }

    /**
     * Runs body over the rows in tasks of consecutive rows on the kernels' threads: at least two
     * tasks a thread where that leaves each task {@link #MIN_ROWS_A_TASK} rows or more, each at
     * most {@link #ROWS_A_TASK}.
     *
     * @param rows the number of rows
     * @param costPerRow the row's cost for {@link Parallel#forEach}
     * @param body the work of one task
     */
    private static void inRowBlocks(int rows, long costPerRow, RowBlock body) {
        int tasks = 2 * Parallel.threads();
        int size = Math.max(MIN_ROWS_A_TASK, Math.min(ROWS_A_TASK, (rows + tasks - 1) / tasks));
        int blocks = (rows + size - 1) / size;
        Parallel.forEach(blocks, size * costPerRow, bi -> body.run(bi * size, Math.min(rows, (bi + 1) * size)));
    }

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
     * exps are written straight into the output, so the input is read, never copied. Per row: the
     * max (the one read of the row from memory), exp(x - max) into the output with the sum of the
     * exps, then the output pass. On the vector path one loop a row ({@link
     * VectorKernels#expSumMax}) takes the row's exps and their sum, the next row's max and the
     * previous row's output pass.
     *
     * @param vector whether exp may use the vector path
     * @param x the rows
     * @param out the output rows (same length)
     * @param rows the number of rows
     * @param n the row length
     * @param log whether to produce log-softmax
     */
    static void softmax(boolean vector, float[] x, float[] out, int rows, int n, boolean log) {
        inRowBlocks(rows, 4L * n, (r0, r1) -> {
            // log-softmax needs the exps only for their sum: they go to one row of scratch for the
            // task, which stays in L1 (written into the output row, they made each row's lines
            // travel to and from the core twice, and in place they would overwrite the input)
            float[] aside = log ? new float[n] : null;
            float[] s = new float[LaneSums.LANES];
            float max = AttentionKernels.max(vector, x, r0 * n, n);
            // the row whose output pass is still to run (vector path), and its factor or lse
            int pending = -1;
            float c = 0f;
            for (int r = r0; r < r1; r++) {
                int off = r * n;
                boolean next = r + 1 < r1;
                float[] e = aside != null ? aside : out;
                int eOff = aside != null ? 0 : off;
                float sum;
                float nextMax = Float.NEGATIVE_INFINITY;
                if (vector) {
                    nextMax = VectorKernels.expSumMax(x, off, n, max, e, eOff, s, next ? off + n : -1, out, pending,
                            c, log);
                    sum = s[0];
                } else {
                    AttentionKernels.exp(false, x, off, n, max, e, eOff);
                    sum = LaneSums.sum(false, LaneSums.Term.VALUE, e, eOff, n, 0f);
                }
                c = log ? max + FastMath.log(sum) : 1f / sum;
                if (vector) {
                    // this row's output pass runs in the next row's loop, or here after the last
                    pending = off;
                    if (!next) {
                        if (log) {
                            VectorRowKernels.subScalar(x, off, n, c, out, off);
                        } else {
                            VectorRowKernels.mulScalar(out, off, n, c);
                        }
                    }
                } else {
                    outputPass(x, out, off, n, c, log);
                }
                if (next) {
                    // a NaN maximum is redone in order (its payload)
                    max = vector && nextMax == nextMax ? nextMax : AttentionKernels.max(vector, x, off + n, n);
                }
            }
        });
    }

    /**
     * Softmax's output pass over {@code o[off .. off + n)}: {@code o *= c} (c the reciprocal of the
     * exps' sum), or for log-softmax {@code o = x - c} (c the log-sum-exp).
     */
    static void outputPass(float[] x, float[] o, int off, int n, float c, boolean log) {
        if (log) {
            for (int i = off; i < off + n; i++) {
                o[i] = x[i] - c;
            }
        } else {
            for (int i = off; i < off + n; i++) {
                o[i] *= c;
            }
        }
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
     * {@link #layerNorm(float[], float[], int, int, float[], float[], float)} with the sums and the
     * output pass on the Vector API or not (the same bits: tests compare the two). Three passes
     * over a row: the sum (from memory), the sum of the centred squares (from L1: each difference
     * is computed again rather than stored, which would cost a write and a read of the output),
     * and {@code ((x - mean) * rstd) * gamma + beta} into the output, the only write. The vector
     * path runs the three over three consecutive rows in one loop ({@link #layerNormPipelined}).
     *
     * @param vector whether the Vector API may be used
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
        inRowBlocks(rows, 6L * n, (r0, r1) -> {
            if (vector) {
                layerNormPipelined(x, out, r0, r1, n, gamma, beta, eps);
                return;
            }
            for (int r = r0; r < r1; r++) {
                int off = r * n;
                float mean = LaneSums.sum(false, LaneSums.Term.VALUE, x, off, n, 0f) / n;
                float sq = LaneSums.sum(false, LaneSums.Term.CENTRED_SQUARE, x, off, n, mean);
                normalise(x, off, n, mean, 1f / (float) Math.sqrt(sq / n + eps), gamma, beta, out);
            }
        });
    }

    /**
     * The vector path of layer norm over rows r0 to r1 - 1, its passes in a three-row pipeline:
     * while row r is written out, the centred squares of row r + 1 are summed (from L1) and row r
     * + 2 is summed as it streams in ({@link VectorRowKernels#normaliseSquaresSum}). Each row's
     * two sums and outputs take exactly the operations of the one-row loop.
     */
    private static void layerNormPipelined(float[] x, float[] out, int r0, int r1, int n, float[] gamma,
            float[] beta, float eps) {
        float[] sqs = new float[LaneSums.LANES];
        float[] s = new float[LaneSums.LANES];
        float mean = LaneSums.sum(true, LaneSums.Term.VALUE, x, r0 * n, n, 0f) / n;
        float sq = LaneSums.sum(true, LaneSums.Term.CENTRED_SQUARE, x, r0 * n, n, mean);
        // the next row's mean, known one row ahead of its squares
        float nextMean = r0 + 1 < r1 ? LaneSums.sum(true, LaneSums.Term.VALUE, x, (r0 + 1) * n, n, 0f) / n : 0f;
        for (int r = r0; r < r1; r++) {
            int off = r * n;
            float rstd = 1f / (float) Math.sqrt(sq / n + eps);
            if (r + 2 < r1) {
                int mid = off + n;
                int i = VectorRowKernels.normaliseSquaresSum(x, off, n, mean, rstd, gamma, beta, out, mid, nextMean,
                        sqs, mid + n, s);
                sq = LaneSums.finish(LaneSums.Term.CENTRED_SQUARE, x, mid, n, nextMean, sqs, i);
                mean = nextMean;
                nextMean = LaneSums.finish(LaneSums.Term.VALUE, x, mid + n, n, 0f, s, i) / n;
                continue;
            }
            VectorRowKernels.normalise(x, off, n, mean, rstd, gamma, beta, out);
            if (r + 1 < r1) {
                mean = nextMean;
                sq = LaneSums.sum(true, LaneSums.Term.CENTRED_SQUARE, x, off + n, n, mean);
            }
        }
    }

    /** The plain form of {@link VectorRowKernels#normalise}; the null checks are hoisted per case. */
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
     * RMS normalisation of each row, x / sqrt(mean(x * x) + eps) * weight: each square rounded,
     * summed in {@link LaneSums}' order, then one division and one multiplication per element.
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
     * Vector API or not (the same bits: tests compare the two). Two passes over a row: the sum of
     * squares (from memory), then the division (from L1; C2 leaves a loop over arrays at different
     * offsets scalar, and a scalar division costs several cycles an element).
     *
     * @param vector whether the Vector API may be used
     * @param v the input rows
     * @param o the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param w the weight (length n), or null
     * @param eps the epsilon
     */
    static void rmsNorm(boolean vector, float[] v, float[] o, int rows, int n, float[] w, float eps) {
        inRowBlocks(rows, 4L * n, (r0, r1) -> {
            float[] s = new float[LaneSums.LANES];
            float sq = LaneSums.sum(vector, LaneSums.Term.SQUARE, v, r0 * n, n, 0f);
            for (int r = r0; r < r1; r++) {
                int off = r * n;
                float denom = (float) Math.sqrt(sq / n + eps);
                boolean next = r + 1 < r1;
                if (vector && next) {
                    int i = VectorRowKernels.divScaleThenSquares(v, off, n, denom, w, o, off + n, s);
                    sq = LaneSums.finish(LaneSums.Term.SQUARE, v, off + n, n, 0f, s, i);
                    continue;
                }
                if (vector) {
                    VectorRowKernels.divScale(v, off, n, denom, w, o);
                } else if (w == null) {
                    for (int i = 0; i < n; i++) {
                        o[off + i] = v[off + i] / denom;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        o[off + i] = v[off + i] / denom * w[i];
                    }
                }
                if (next) {
                    sq = LaneSums.sum(vector, LaneSums.Term.SQUARE, v, off + n, n, 0f);
                }
            }
        });
    }
}
