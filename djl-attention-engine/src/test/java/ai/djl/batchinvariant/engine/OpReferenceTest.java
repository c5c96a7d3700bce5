/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.batchinvariant.testing.References;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Values of the CPU reductions through the NDArray API against float64 computed here: softmax and
 * log-softmax (last and inner axis, masked entries, logits near 1e4 where exp without the max
 * shift overflows), layerNorm with gamma and beta, matMul and linear with more than 512 output
 * columns (more than one column block), odd K and row counts that leave remainders, broadcast
 * batches, and linear after its weight changes in place.
 */
class OpReferenceTest extends EngineTestBase {

    private final Random rnd = new Random(17);

    private float[] gaussian(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    /** float64 softmax (or log-softmax) of each row of length n. */
    static double[] softmax(float[] x, int n, boolean log) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / n; r++) {
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
                out[r * n + i] = log ? z - Math.log(sum) : Math.exp(z) / sum;
            }
        }
        return out;
    }

    /** Asserts |got - want| <= abs + rel * |want| element by element (infinities must match). */
    static void assertClose(double[] want, float[] got, double abs, double rel, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            if (Double.isInfinite(want[i]) && got[i] == want[i]) {
                continue; // a masked logit: -inf in, -inf out
            }
            double tol = abs + rel * Math.abs(want[i]);
            assertTrue(Math.abs(got[i] - want[i]) <= tol, what + "[" + i + "] = " + got[i] + ", want " + want[i]);
        }
    }

    @Test
    void softmaxAndLogSoftmaxLastAxis() {
        int n = 300;
        float[] x = gaussian(7 * n, 3);
        x[5] = Float.NEGATIVE_INFINITY;
        x[n + 17] = Float.NEGATIVE_INFINITY;
        NDArray a = manager.create(x, new Shape(7, n));
        float[] sm = a.softmax(-1).toFloatArray();
        assertClose(softmax(x, n, false), sm, 1e-12, 2e-5, "softmax");
        assertEquals(0f, sm[5], 0f, "a -inf logit has probability 0");
        assertClose(softmax(x, n, true), a.logSoftmax(1).toFloatArray(), 2e-5, 2e-6, "logSoftmax");
        assertEquals(Float.NEGATIVE_INFINITY, a.logSoftmax(-1).toFloatArray()[n + 17], 0f);
    }

    @Test
    void softmaxOverAnInnerAxis() {
        // softmax over axis 0 of (5, 3, 4): columns of 5, not rows of 4
        float[] x = gaussian(5 * 3 * 4, 2);
        float[] got = manager.create(x, new Shape(5, 3, 4)).softmax(0).toFloatArray();
        float[] moved = new float[x.length];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 12; j++) {
                moved[j * 5 + i] = x[i * 12 + j];
            }
        }
        double[] ref = softmax(moved, 5, false);
        double[] want = new double[x.length];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 12; j++) {
                want[i * 12 + j] = ref[j * 5 + i];
            }
        }
        assertClose(want, got, 1e-12, 2e-5, "softmax(axis 0)");
    }

    @Test
    void largeLogitsDoNotOverflow() {
        // 1e4 + k/4 are exact floats; exp(1e4) overflows, so only x - max is safe
        int n = 40;
        float[] x = new float[2 * n];
        for (int i = 0; i < n; i++) {
            x[i] = 10000f + (i % 9) * 0.25f;
            x[n + i] = -10000f + (i % 5) * 0.5f;
        }
        x[n + 3] = 10000f;
        NDArray a = manager.create(x, new Shape(2, n));
        float[] sm = a.softmax(-1).toFloatArray();
        float[] lsm = a.logSoftmax(-1).toFloatArray();
        assertClose(softmax(x, n, false), sm, 1e-12, 2e-5, "softmax of large logits");
        // x - lse at magnitude 1e4 carries float32's ulp of 1e4 (about 1e-3)
        assertClose(softmax(x, n, true), lsm, 2e-3, 0, "logSoftmax of large logits");
        // the second row: one logit 1e4 above the others at -1e4 takes everything
        assertEquals(1f, sm[n + 3], 0f);
        assertEquals(0f, sm[n], 0f);
        assertEquals(0f, lsm[n + 3], 0f);
    }

    /** float64 layer norm of rows: (x - mean) / sqrt(biased var + eps) * gamma + beta. */
    static double[] layerNorm(float[] x, int n, float[] gamma, float[] beta, double eps) {
        return References.layerNorm(x, n, gamma, beta, eps);
    }

    @Test
    void layerNormWithGammaBetaAndEps() {
        for (int n : new int[] {8, 384}) {
            float[] x = gaussian(5 * n, 2);
            for (int i = 0; i < n; i++) {
                x[i] += 50f; // a row with a large mean
            }
            float[] g = gaussian(n, 1);
            float[] b = gaussian(n, 1);
            NDArray xa = manager.create(x, new Shape(5, n));
            for (float eps : new float[] {1e-5f, 0.5f}) {
                // eps 0.5 is large enough that eps outside the square root would show
                float[] got = xa.getNDArrayInternal().layerNorm(xa, new Shape(n), manager.create(g), manager.create(b), eps)
                        .head().toFloatArray();
                assertClose(layerNorm(x, n, g, b, eps), got, 2e-5, 2e-5, "layerNorm n=" + n + " eps=" + eps);
            }
        }
    }

    /** float64 C = A B for row-major A (m x k), B (k x n); also returns sum |a b| per element. */
    static double[][] matMul(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        double[] mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += av * b[p * n + j];
                    mag[i * n + j] += Math.abs(av * b[p * n + j]);
                }
            }
        }
        return new double[][] {c, mag};
    }

    /** |got - want| within float32's summation bound, k * 2^-24 * sum |a b| (plus 1e-6). */
    static void assertProduct(double[][] want, float[] got, int k, String what) {
        assertEquals(want[0].length, got.length, what + " length");
        for (int i = 0; i < got.length; i++) {
            double tol = 1e-6 + k * 0x1p-24 * want[1][i];
            assertTrue(Math.abs(got[i] - want[0][i]) <= tol, what + "[" + i + "] = " + got[i] + ", want " + want[0][i]);
        }
    }

    @Test
    void matMulWithMoreThan512Columns() {
        // 13 rows (a block of 8, four, one left), K = 387 (not a multiple of 4), N = 1100 (3 blocks)
        int m = 13;
        int k = 387;
        int n = 1100;
        float[] a = gaussian(m * k, 1);
        float[] b = gaussian(k * n, 1);
        NDArray c = manager.create(a, new Shape(m, k)).matMul(manager.create(b, new Shape(k, n)));
        assertEquals(new Shape(m, n), c.getShape());
        assertProduct(matMul(a, b, m, k, n), c.toFloatArray(), k, "matMul");
        // a vector on the left drops its axis
        float[] v = manager.create(Arrays.copyOf(a, k)).matMul(manager.create(b, new Shape(k, n)))
                .toFloatArray();
        assertProduct(matMul(Arrays.copyOf(a, k), b, 1, k, n), v, k, "vector matMul");
    }

    @Test
    void broadcastBatchedMatMul() {
        // (2, 1, 3, 20) x (1, 4, 20, 6) -> (2, 4, 3, 6)
        float[] a = gaussian(2 * 3 * 20, 1);
        float[] b = gaussian(4 * 20 * 6, 1);
        NDArray c = manager.create(a, new Shape(2, 1, 3, 20)).matMul(manager.create(b, new Shape(1, 4, 20, 6)));
        assertEquals(new Shape(2, 4, 3, 6), c.getShape());
        float[] got = c.toFloatArray();
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                float[] ai = Arrays.copyOfRange(a, i * 60, i * 60 + 60);
                float[] bj = Arrays.copyOfRange(b, j * 120, j * 120 + 120);
                float[] block = Arrays.copyOfRange(got, (i * 4 + j) * 18, (i * 4 + j) * 18 + 18);
                assertProduct(matMul(ai, bj, 3, 20, 6), block, 20, "batch " + i + "," + j);
            }
        }
    }

    @Test
    void linearWithMoreThan512OutputsBiasAndAChangedWeight() {
        int m = 6;
        int k = 130;
        int n = 1100;
        float[] x = gaussian(m * k, 1);
        float[] w = gaussian(n * k, 0.5);
        float[] bias = gaussian(n, 1);
        NDArray xa = manager.create(x, new Shape(m, k));
        NDArray wa = manager.create(w, new Shape(n, k));
        // the weight is (out, in): y = x W^T + b
        float[] wt = new float[k * n];
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < k; i++) {
                wt[i * n + o] = w[o * k + i];
            }
        }
        double[][] ref = matMul(x, wt, m, k, n);
        float[] noBias = xa.getNDArrayInternal().linear(xa, wa, null).head().toFloatArray();
        assertProduct(ref, noBias, k, "linear without bias");
        NDArray y = xa.getNDArrayInternal().linear(xa, wa, manager.create(bias)).head();
        assertEquals(new Shape(m, n), y.getShape());
        for (int i = 0; i < m * n; i++) {
            ref[0][i] += bias[i % n];
            ref[1][i] += Math.abs(bias[i % n]);
        }
        assertProduct(ref, y.toFloatArray(), k + 1, "linear");

        // the weight changes in place: linear must not reuse what it derived from the old one
        float[] w2 = gaussian(n * k, 0.5);
        wa.set(FloatBuffer.wrap(w2));
        assertArrayEquals(w2, wa.toFloatArray());
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < k; i++) {
                wt[i * n + o] = w2[o * k + i];
            }
        }
        assertProduct(matMul(x, wt, m, k, n), xa.getNDArrayInternal().linear(xa, wa, null).head().toFloatArray(), k,
                "linear after the weight changed");
    }
}
