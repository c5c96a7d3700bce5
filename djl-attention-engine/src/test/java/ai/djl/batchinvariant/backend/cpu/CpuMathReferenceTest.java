/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.References;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

/**
 * The CPU reductions called directly, against float64 sums written here: gemm over every
 * remainder of its four-row and four-k unrolling, with offsets into larger arrays and garbage in
 * the output beforehand; dot with offsets; softmax and log-softmax rows; layer norm and RMS norm
 * with and without their scale and shift. Sizes large enough to go parallel are included, and
 * every element of the arrays outside the output window must be left as it was.
 */
class CpuMathReferenceTest {

    private final Random rnd = new Random(41);

    private float[] gaussian(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static void assertNear(double want, float got, double tol, String what) {
        assertTrue(Math.abs(got - want) <= tol, what + ": got " + got + ", want " + want + " (tol " + tol + ")");
    }

    private void checkGemm(int m, int n, int k) {
        int aOff = 3;
        int bOff = 5;
        int cOff = 7;
        float[] a = gaussian(aOff + m * k + 2);
        float[] b = gaussian(bOff + k * n + 2);
        float[] c = new float[cOff + m * n + 4];
        Arrays.fill(c, 12345f);
        CpuMath.gemm(a, aOff, b, bOff, c, cOff, m, n, k);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[aOff + i * k + p] * b[bOff + p * n + j];
                    s += t;
                    mag += Math.abs(t);
                }
                assertNear(s, c[cOff + i * n + j], 1e-6 * (k + 1) * (mag + 1),
                        "gemm " + m + "x" + n + "x" + k + " c[" + i + "][" + j + "]");
            }
        }
        for (int i = 0; i < cOff; i++) {
            assertEquals(12345f, c[i], "gemm wrote before its output");
        }
        for (int i = cOff + m * n; i < c.length; i++) {
            assertEquals(12345f, c[i], "gemm wrote past its output");
        }
    }

    @Test
    void gemmMatchesFloat64OverEveryRemainder() {
        for (int m : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 12, 13}) {
            for (int k : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 16}) {
                for (int n : new int[] {1, 3, 6}) {
                    checkGemm(m, n, k);
                }
            }
        }
    }

    @Test
    void gemmOverSeveralRowAndColumnBlocksInParallel() {
        checkGemm(21, 1030, 13);
        checkGemm(64, 600, 64);
    }

    @Test
    void dotSumsEveryLaneWithOffsets() {
        for (int n : new int[] {4, 8, 12, 64, 132}) {
            float[] x = gaussian(n + 3);
            float[] y = gaussian(n + 6);
            double s = 0;
            double mag = 0;
            for (int i = 0; i < n; i++) {
                s += (double) x[3 + i] * y[6 + i];
                mag += Math.abs((double) x[3 + i] * y[6 + i]);
            }
            assertNear(s, CpuMath.dot(x, 3, y, 6, n), 1e-6 * n * (mag + 1), "dot n=" + n);
        }
        // each of the four lanes alone
        for (int lane = 0; lane < 4; lane++) {
            float[] x = new float[8];
            float[] y = new float[8];
            x[lane] = 3f;
            y[lane] = 5f;
            x[4 + lane] = 2f;
            y[4 + lane] = 7f;
            assertEquals(29f, CpuMath.dot(x, 0, y, 0, 8), "lane " + lane);
        }
    }

    @Test
    void softmaxAndLogSoftmaxRows() {
        for (boolean log : new boolean[] {false, true}) {
            for (int n : new int[] {1, 2, 7, 300}) {
                int rows = 5;
                float[] x = gaussian(rows * n);
                for (int i = 0; i < x.length; i++) {
                    x[i] *= 4;
                }
                x[0] = 60f; // large logit: only the max shift keeps exp finite
                float[] got = x.clone();
                CpuMath.softmaxRows(got, rows, n, log);
                for (int r = 0; r < rows; r++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        max = Math.max(max, x[r * n + i]);
                    }
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += Math.exp(x[r * n + i] - max);
                    }
                    for (int i = 0; i < n; i++) {
                        double z = x[r * n + i] - max;
                        double want = log ? z - Math.log(sum) : Math.exp(z) / sum;
                        assertNear(want, got[r * n + i], 1e-6 + 1e-5 * Math.abs(want),
                                (log ? "log-softmax" : "softmax") + " n=" + n + " [" + r + "][" + i + "]");
                    }
                }
            }
        }
        // many rows: the parallel path
        float[] big = gaussian(2000 * 64);
        float[] got = big.clone();
        CpuMath.softmaxRows(got, 2000, 64, false);
        for (int r = 0; r < 2000; r += 97) {
            double sum = 0;
            for (int i = 0; i < 64; i++) {
                sum += got[r * 64 + i];
            }
            assertEquals(1.0, sum, 1e-5, "row " + r + " sums to one");
        }
    }

    @Test
    void layerNormWithAndWithoutScaleAndShift() {
        int rows = 4;
        int n = 37;
        float eps = 1e-3f;
        float[] x = gaussian(rows * n);
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] * 3 + 2; // a mean far from 0 and a variance far from 1
        }
        float[] gamma = gaussian(n);
        float[] beta = gaussian(n);
        for (int variant = 0; variant < 4; variant++) {
            float[] g = (variant & 1) != 0 ? gamma : null;
            float[] bt = (variant & 2) != 0 ? beta : null;
            float[] out = new float[rows * n];
            CpuMath.layerNormRows(x, out, rows, n, g, bt, eps);
            double[] ref = References.layerNorm(x, n, g, bt, eps);
            for (int j = 0; j < rows * n; j++) {
                assertNear(ref[j], out[j], 2e-5 * (1 + Math.abs(ref[j])), "layerNorm variant " + variant + " [" + j + "]");
            }
        }
        // a constant row: variance 0, so eps alone decides the scale
        float[] flat = new float[8];
        Arrays.fill(flat, 5f);
        float[] out = new float[8];
        CpuMath.layerNormRows(flat, out, 1, 8, null, beta, 0.25f);
        for (int i = 0; i < 8; i++) {
            assertEquals(beta[i], out[i], 1e-6);
        }
    }

    @Test
    void rmsNormWithAndWithoutWeight() {
        int rows = 3;
        int n = 29;
        float eps = 1e-2f;
        float[] x = gaussian(rows * n);
        float[] w = gaussian(n);
        for (float[] weight : new float[][] {null, w}) {
            float[] out = new float[rows * n];
            CpuMath.rmsNormRows(x, out, rows, n, weight, eps);
            for (int r = 0; r < rows; r++) {
                double ms = 0;
                for (int i = 0; i < n; i++) {
                    ms += (double) x[r * n + i] * x[r * n + i];
                }
                ms /= n;
                for (int i = 0; i < n; i++) {
                    double want = x[r * n + i] / Math.sqrt(ms + eps) * (weight == null ? 1 : weight[i]);
                    assertNear(want, out[r * n + i], 2e-5 * (1 + Math.abs(want)),
                            "rmsNorm " + (weight == null ? "unweighted" : "weighted") + " [" + r + "][" + i + "]");
                }
            }
        }
        float[] zero = new float[4];
        float[] out = new float[4];
        CpuMath.rmsNormRows(zero, out, 1, 4, null, 1e-6f);
        assertArrayEquals(new float[4], out);
    }
}
