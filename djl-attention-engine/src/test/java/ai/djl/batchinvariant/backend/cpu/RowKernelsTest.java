/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * The row kernels (softmax, log-softmax, layer norm, RMS norm) and the element-wise fast paths
 * against the one-row and one-element loops of {@link KernelReference} and {@link Elementwise},
 * bits equal: row counts from 1 to 20 and, for the norms, 70 and 150 (several row tasks), lengths
 * that are not multiples of any vector length, lengths large enough to go parallel, NaN and
 * infinities, sigmoid at the edges of exp's vector range, every other unary op's block loop; and an
 * inverse case where a changed summation order is caught.
 */
class RowKernelsTest {

    private final Random rnd = new Random(11);

    private static boolean[] paths() {
        return Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false};
    }

    private static final int[] LENGTHS = {1, 3, 7, 8, 31, 64, 100, 1000, 4099};

    @Test
    void softmaxRowsMatchTheOneRowLoop() {
        for (boolean vector : paths()) {
            for (boolean log : new boolean[] {false, true}) {
                for (int n : LENGTHS) {
                    int rows = 1 + rnd.nextInt(20);
                    float[] x = KernelReference.data(rnd, rows * n, n % 2 == 0 ? 0.002 : 0);
                    if (n == 100) {
                        // a row of one huge value and one of -infinity only
                        x[3] = 80f;
                        java.util.Arrays.fill(x, (rows - 1) * n, rows * n, Float.NEGATIVE_INFINITY);
                    }
                    float[] want = x.clone();
                    for (int r = 0; r < rows; r++) {
                        KernelReference.softmaxRow(want, r * n, n, log);
                    }
                    float[] input = x.clone();
                    float[] out = new float[x.length];
                    RowKernels.softmax(vector, x, out, rows, n, log);
                    int at = KernelReference.firstDifference(want, out);
                    assertEquals(-1, at, "vector=" + vector + " log=" + log + " n=" + n + " rows=" + rows
                            + KernelReference.describe(want, out, at));
                    assertEquals(-1, KernelReference.firstDifference(input, x), "the input is left as it was");
                    RowKernels.softmax(vector, x, rows, n, log);
                    at = KernelReference.firstDifference(want, x);
                    assertEquals(-1, at, "in place: vector=" + vector + " log=" + log + " n=" + n + " rows=" + rows
                            + KernelReference.describe(want, x, at));
                }
            }
        }
    }

    @Test
    void normsMatchTheOneRowLoops() {
        for (int n : LENGTHS) {
            // 70 and 150 rows: several tasks, each with its first and last rows outside the pipeline
            for (int rows : new int[] {1, 3, 4, 5, 7, 8, 9, 16, 17, 70, 150}) {
                float[] x = KernelReference.data(rnd, rows * n, n == 31 ? 0.01 : 0);
                float[] gamma = KernelReference.data(rnd, n, 0);
                float[] beta = KernelReference.data(rnd, n, 0);
                for (int variant = 0; variant < 4; variant++) {
                    float[] g = (variant & 1) == 0 ? gamma : null;
                    float[] b = (variant & 2) == 0 ? beta : null;
                    float[] want = new float[rows * n];
                    float[] got = new float[rows * n];
                    for (int r = 0; r < rows; r++) {
                        KernelReference.layerNormRow(x, want, r * n, n, g, b, 1e-5f);
                    }
                    for (boolean vector : paths()) {
                        java.util.Arrays.fill(got, Float.NaN);
                        RowKernels.layerNorm(vector, x, got, rows, n, g, b, 1e-5f);
                        assertEquals(-1, KernelReference.firstDifference(want, got), "layerNorm n=" + n + " rows="
                                + rows + " vector=" + vector);
                    }
                }
                for (float[] w : new float[][] {gamma, null}) {
                    float[] want = new float[rows * n];
                    float[] got = new float[rows * n];
                    for (int r = 0; r < rows; r++) {
                        KernelReference.rmsNormRow(x, want, r * n, n, w, 1e-6f);
                    }
                    for (boolean vector : paths()) {
                        java.util.Arrays.fill(got, Float.NaN);
                        RowKernels.rmsNorm(vector, x, got, rows, n, w, 1e-6f);
                        assertEquals(-1, KernelReference.firstDifference(want, got), "rmsNorm n=" + n + " rows="
                                + rows + " vector=" + vector);
                    }
                }
            }
        }
    }

    @Test
    void largeCallsGoParallelWithTheSameBits() {
        int rows = 64;
        int n = 4096;
        float[] x = KernelReference.data(rnd, rows * n, 0);
        float[] want = new float[rows * n];
        float[] got = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            KernelReference.rmsNormRow(x, want, r * n, n, null, 1e-6f);
        }
        RowKernels.rmsNorm(x, got, rows, n, null, 1e-6f);
        assertEquals(-1, KernelReference.firstDifference(want, got));
        float[] sm = x.clone();
        float[] smWant = x.clone();
        for (int r = 0; r < rows; r++) {
            KernelReference.softmaxRow(smWant, r * n, n, false);
        }
        RowKernels.softmax(Simd.ENABLED, sm, rows, n, false);
        assertEquals(-1, KernelReference.firstDifference(smWant, sm));
    }

    @Test
    void aChangedRowOrderIsCaught() {
        // inverse cases: the same squares summed in another fixed order (one chain in index
        // order, as this backend once did; 16 partial sums instead of 32) give other bits
        int rows = 64;
        int n = 4096;
        float[] x = KernelReference.data(rnd, rows * n, 0);
        float[] got = new float[rows * n];
        RowKernels.rmsNorm(x, got, rows, n, null, 1e-6f);
        assertEquals(-1, KernelReference.firstDifference(rmsNormWithLanes(x, rows, n, 32), got));
        assertNotEquals(-1, KernelReference.firstDifference(rmsNormWithLanes(x, rows, n, 1), got));
        assertNotEquals(-1, KernelReference.firstDifference(rmsNormWithLanes(x, rows, n, 16), got));
    }

    /** RMS norm whose sums of squares take {@code lanes} interleaved partial sums and a halving tree. */
    private static float[] rmsNormWithLanes(float[] x, int rows, int n, int lanes) {
        float[] out = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            float[] part = new float[lanes];
            for (int i = 0; i < n; i++) {
                float v = x[r * n + i];
                part[i % lanes] += v * v;
            }
            for (int w = lanes / 2; w >= 1; w /= 2) {
                for (int j = 0; j < w; j++) {
                    part[j] = part[j] + part[j + w];
                }
            }
            float denom = (float) Math.sqrt(part[0] / n + 1e-6f);
            for (int i = 0; i < n; i++) {
                out[r * n + i] = x[r * n + i] / denom;
            }
        }
        return out;
    }

    @Test
    void elementwiseFastPathsMatchTheGenericLoop() {
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAX, BinaryOp.MIN};
        for (int n : new int[] {1, 17, 1000, 200_003}) {
            float[] x = KernelReference.data(rnd, n, 0.02);
            float[] y = KernelReference.data(rnd, n, 0.02);
            float[] c = {-0f};
            for (BinaryOp op : ops) {
                float[] want = new float[n];
                float[] got = new float[n];
                for (int i = 0; i < n; i++) {
                    want[i] = Elementwise.apply(op, x[i], y[i]);
                }
                ElementwiseKernels.binary(op, x, false, y, false, got, n);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " n=" + n);
                for (int i = 0; i < n; i++) {
                    want[i] = Elementwise.apply(op, x[i], c[0]);
                }
                ElementwiseKernels.binary(op, x, false, c, true, got, n);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " scalar right n=" + n);
                for (int i = 0; i < n; i++) {
                    want[i] = Elementwise.apply(op, c[0], y[i]);
                }
                ElementwiseKernels.binary(op, c, true, y, false, got, n);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " scalar left n=" + n);
            }
            for (UnaryOp op : new UnaryOp[] {UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SQUARE, UnaryOp.RELU, UnaryOp.SQRT,
                UnaryOp.EXP, UnaryOp.SIGMOID, UnaryOp.TANH, UnaryOp.LOG}) {
                for (boolean vector : paths()) {
                    float[] want = new float[n];
                    float[] got = new float[n];
                    for (int i = 0; i < n; i++) {
                        want[i] = Elementwise.apply(op, x[i]);
                    }
                    ElementwiseKernels.unary(vector, op, x, got, n);
                    assertEquals(-1, KernelReference.firstDifference(want, got), op + " n=" + n);
                }
            }
            // the others' block loops (gelu and erf with loops of their own)
            for (UnaryOp op : UnaryOp.values()) {
                if (ElementwiseKernels.handles(op)) {
                    continue;
                }
                float[] want = new float[n];
                for (int i = 0; i < n; i++) {
                    want[i] = Elementwise.apply(op, x[i]);
                }
                for (boolean vector : paths()) {
                    float[] got = new float[n];
                    ElementwiseKernels.each(vector, op, x, got, n, false);
                    assertEquals(-1, KernelReference.firstDifference(want, got), op + " n=" + n);
                }
            }
        }
    }

    /**
     * The one-pass sigmoid against the scalar one around exp's vector range (|x| <= 87) and where
     * the scalar exp leaves its normal range (subnormal results, overflow): every element at
     * every lane position, in place and not, with a tail shorter than a vector.
     */
    @Test
    void sigmoidKeepsTheScalarBitsAtTheEdgesOfExpsRange() {
        float[] edges = {87f, Math.nextUp(87f), Math.nextDown(87f), 86.5f, 88.72283f, 88.8f, 89f, 103.97208f,
            104f, 150f, 0f, -0f, 1e-30f, 20f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NaN};
        atTheEdges(UnaryOp.SIGMOID, edges);
    }

    /** tanh likewise, around its branches' bounds (1/16 and 9) and at the specials. */
    @Test
    void tanhKeepsTheScalarBitsAtItsBranchBounds() {
        float[] edges = {0.0625f, Math.nextUp(0.0625f), Math.nextDown(0.0625f), 9f, Math.nextUp(9f),
            Math.nextDown(9f), 0f, -0f, 1e-30f, Float.MIN_VALUE, 0.5f, 3f, 20f, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NaN};
        atTheEdges(UnaryOp.TANH, edges);
    }

    /** log likewise, around the mantissa's √2 bound, the normal range's ends and the specials. */
    @Test
    void logKeepsTheScalarBitsAtItsBounds() {
        float[] edges = {1.41421356f, Math.nextUp(1.41421356f), Math.nextDown(1.41421356f), 1f, 2f, 0.5f,
            Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL), Float.MIN_VALUE, 0f, -0f, -1f, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NaN, 3e-20f, 7e30f};
        atTheEdges(UnaryOp.LOG, edges);
        // and where whole steps are positive normal floats (the vector path): the bounds at every
        // lane among magnitudes from 2^-126 to 2^127
        float[] inRange = {1.41421356f, Math.nextUp(1.41421356f), Math.nextDown(1.41421356f), 1f,
            Math.nextUp(1f), Math.nextDown(1f), Float.MIN_NORMAL, Float.MAX_VALUE, 0.70710677f};
        int n = 50_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 3 == 0 ? inRange[(i / 3) % inRange.length]
                    : (float) Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(253) - 126);
        }
        float[] want = new float[n];
        for (int i = 0; i < n; i++) {
            want[i] = FastMath.log(x[i]);
        }
        float[] got = new float[n];
        ElementwiseKernels.unary(Simd.ENABLED, UnaryOp.LOG, x, got, n);
        assertEquals(-1, KernelReference.firstDifference(want, got), "log of positive normal floats");
    }

    /**
     * The op's fast path against its scalar function (as {@link Elementwise#apply} computes it) with
     * the edge values, both signs, at every lane position, in place and not.
     */
    private void atTheEdges(UnaryOp op, float[] edges) {
        int n = 3 * 64 + 5;
        float[] x = new float[n];
        for (int shift = 0; shift < 8; shift++) {
            for (int i = 0; i < n; i++) {
                float e = edges[(i + shift) % edges.length];
                // the same magnitudes on both sides, and between the edges ordinary values
                x[i] = (i / edges.length) % 3 == 2 ? (float) rnd.nextGaussian() * 4 : (i % 2 == 0 ? e : -e);
            }
            float[] want = new float[n];
            for (int i = 0; i < n; i++) {
                want[i] = Elementwise.apply(op, x[i]);
            }
            float[] got = new float[n];
            ElementwiseKernels.unary(Simd.ENABLED, op, x, got, n);
            assertEquals(-1, KernelReference.firstDifference(want, got), op + " shift " + shift);
            float[] in = x.clone();
            ElementwiseKernels.unary(Simd.ENABLED, op, in, in, n);
            assertEquals(-1, KernelReference.firstDifference(want, in), op + " in place, shift " + shift);
        }
    }
}
