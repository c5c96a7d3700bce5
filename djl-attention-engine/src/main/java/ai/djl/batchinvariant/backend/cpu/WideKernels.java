/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The float64 and integer forms of the row kernels of {@link CpuMath}: float64 arrays are reduced
 * in double (PyTorch keeps float64 end to end) and integer matrix products are exact in 64-bit
 * integer arithmetic (wrapping like the storage type when truncated to it). As in {@link CpuMath},
 * every output element is summed by one thread in increasing index order, an order that depends
 * only on its own row, so a row's bits never depend on how many rows share the call.
 */
public final class WideKernels {

    private WideKernels() {}

    /**
     * C = A·B in double for row-major A (M×K) and B (K×N), each element summed over k in
     * increasing order.
     *
     * @param a the left matrix
     * @param aOff offset of A
     * @param b the right matrix
     * @param bOff offset of B
     * @param c the output (overwritten)
     * @param cOff offset of C
     * @param m rows of A
     * @param n columns of B
     * @param k the reduced dimension
     */
    public static void gemm(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int n, int k) {
        Parallel.forEach(m, 2L * n * k, r -> {
            int o = cOff + r * n;
            for (int j = 0; j < n; j++) {
                c[o + j] = 0.0;
            }
            for (int kk = 0; kk < k; kk++) {
                double av = a[aOff + r * k + kk];
                int bRow = bOff + kk * n;
                for (int j = 0; j < n; j++) {
                    c[o + j] += av * b[bRow + j];
                }
            }
        });
    }

    /**
     * C = A·B exactly in 64-bit integers (wrapping on overflow) for row-major A (M×K) and B (K×N).
     *
     * @param a the left matrix
     * @param aOff offset of A
     * @param b the right matrix
     * @param bOff offset of B
     * @param c the output (overwritten)
     * @param cOff offset of C
     * @param m rows of A
     * @param n columns of B
     * @param k the reduced dimension
     */
    public static void gemm(long[] a, int aOff, long[] b, int bOff, long[] c, int cOff, int m, int n, int k) {
        Parallel.forEach(m, 2L * n * k, r -> {
            int o = cOff + r * n;
            for (int j = 0; j < n; j++) {
                c[o + j] = 0L;
            }
            for (int kk = 0; kk < k; kk++) {
                long av = a[aOff + r * k + kk];
                int bRow = bOff + kk * n;
                for (int j = 0; j < n; j++) {
                    c[o + j] += av * b[bRow + j];
                }
            }
        });
    }

    /**
     * Softmax (or log-softmax) in double of each of {@code rows} contiguous rows of length n, in
     * place: max, then the sum of exp(x - max) in index order.
     *
     * @param x the data
     * @param rows the number of rows
     * @param n the row length
     * @param log whether to produce log-softmax
     */
    public static void softmaxRows(double[] x, int rows, int n, boolean log) {
        Parallel.forEach(rows, 4L * n, r -> {
            int off = r * n;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[off + i]);
            }
            double sum = 0.0;
            if (log) {
                for (int i = 0; i < n; i++) {
                    sum += StrictMath.exp(x[off + i] - max);
                }
                double lse = max + StrictMath.log(sum);
                for (int i = 0; i < n; i++) {
                    x[off + i] = x[off + i] - lse;
                }
            } else {
                for (int i = 0; i < n; i++) {
                    double e = StrictMath.exp(x[off + i] - max);
                    x[off + i] = e;
                    sum += e;
                }
                for (int i = 0; i < n; i++) {
                    x[off + i] /= sum;
                }
            }
        });
    }

    /**
     * Layer normalisation in double of each row: (x - mean) / sqrt(var + eps) * gamma + beta, with
     * mean and (biased) variance reduced in index order.
     *
     * @param x the input rows
     * @param out the output rows
     * @param rows the number of rows
     * @param n the row length
     * @param gamma the scale (length n), or null
     * @param beta the shift (length n), or null
     * @param eps the epsilon
     */
    public static void layerNormRows(double[] x, double[] out, int rows, int n, double[] gamma, double[] beta,
            double eps) {
        Parallel.forEach(rows, 6L * n, r -> {
            int off = r * n;
            double sum = 0.0;
            for (int i = 0; i < n; i++) {
                sum += x[off + i];
            }
            double mean = sum / n;
            double sq = 0.0;
            for (int i = 0; i < n; i++) {
                double d = x[off + i] - mean;
                sq += d * d;
            }
            double rstd = 1.0 / StrictMath.sqrt(sq / n + eps);
            for (int i = 0; i < n; i++) {
                double y = (x[off + i] - mean) * rstd;
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
}
