/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.testing;

/** float64 reference formulas shared by tests, written independently of the code under test. */
public final class References {

    private References() {}

    /**
     * Layer norm of rows in float64: (x - mean) / sqrt(biased variance + eps) * gamma + beta.
     *
     * @param x rows of n values
     * @param n the row length
     * @param gamma per-column scale, or null for 1
     * @param beta per-column shift, or null for 0
     * @param eps the epsilon
     * @return the normalised rows
     */
    public static double[] layerNorm(float[] x, int n, float[] gamma, float[] beta, double eps) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / n; r++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[r * n + i];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
            }
            var /= n;
            for (int i = 0; i < n; i++) {
                double v = (x[r * n + i] - mean) / Math.sqrt(var + eps);
                out[r * n + i] = v * (gamma == null ? 1 : gamma[i]) + (beta == null ? 0 : beta[i]);
            }
        }
        return out;
    }
}
