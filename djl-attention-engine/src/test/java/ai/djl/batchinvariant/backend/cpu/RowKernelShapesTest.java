/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

/**
 * The row kernels' every tail shape against the reference loops, bits equal: row counts 1, 2, 3,
 * 5, 7, 8, 9, 17 and 64 (threads take rows), row lengths below, at and past the vector length and
 * the {@value LaneSums#LANES} partial sums of {@link LaneSums} (1, 7, 16, 31, 32, 33, 63, 65,
 * 300, 4096), the vector and the plain path, gamma and beta each present or null, rows of signed
 * zeros, infinities and NaN. Softmax, layer norm and RMS norm are compared with {@link
 * CpuMath#softmaxRows}, {@link CpuMath#layerNormRows} and {@link CpuMath#rmsNormRows}, and RMS
 * norm also with the division form written out in {@code KernelReference.rmsNormRow} (x /
 * sqrt(mean(x * x) + eps) * w, one division per element). The half-precision entry points, which reuse their converted copy as the output,
 * are checked against the float32 path; vector exp against {@link FastMath#exp} on a sweep of
 * every float class.
 */
class RowKernelShapesTest {

    private static final int[] ROWS = {1, 2, 3, 5, 7, 8, 9, 17, 64};
    private static final int[] LENGTHS = {1, 7, 16, 31, 32, 33, 63, 65, 300, 4096};

    private final Random rnd = new Random(2026);

    private static boolean[] paths() {
        return Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false};
    }

    /**
     * Random rows with specials sprinkled in, and whole rows of them: row 1 all -0.0, row 2 all
     * +0.0 but one -0.0, row 3 with a +infinity, row 4 all -infinity, row 5 with a NaN, row 6
     * with values whose squares overflow (where the call has that many rows).
     */
    private float[] rows(int rows, int n) {
        float[] x = KernelReference.data(rnd, rows * n, 0.01);
        if (rows > 1) {
            Arrays.fill(x, n, 2 * n, -0f);
        }
        if (rows > 2) {
            Arrays.fill(x, 2 * n, 3 * n, 0f);
            x[2 * n + n / 2] = -0f;
        }
        if (rows > 3) {
            x[3 * n + n / 3] = Float.POSITIVE_INFINITY;
        }
        if (rows > 4) {
            Arrays.fill(x, 4 * n, 5 * n, Float.NEGATIVE_INFINITY);
        }
        if (rows > 5) {
            x[5 * n + n - 1] = Float.NaN;
        }
        if (rows > 6) {
            Arrays.fill(x, 6 * n, 7 * n, 2e30f);
        }
        return x;
    }

    private static String where(String op, boolean vector, int rows, int n, float[] want, float[] got, int at) {
        return op + " vector=" + vector + " rows=" + rows + " n=" + n + " row=" + (at < 0 ? -1 : at / n)
                + KernelReference.describe(want, got, at);
    }

    @Test
    void softmaxEveryShapeMatchesCpuMath() {
        for (boolean log : new boolean[] {false, true}) {
            for (int rows : ROWS) {
                for (int n : LENGTHS) {
                    float[] x = rows(rows, n);
                    float[] want = x.clone();
                    CpuMath.softmaxRows(want, rows, n, log);
                    for (boolean vector : paths()) {
                        float[] out = new float[x.length];
                        Arrays.fill(out, Float.NaN);
                        RowKernels.softmax(vector, x, out, rows, n, log);
                        int at = KernelReference.firstDifference(want, out);
                        assertEquals(-1, at, where(log ? "logSoftmax" : "softmax", vector, rows, n, want, out, at));
                        float[] inPlace = x.clone();
                        RowKernels.softmax(vector, inPlace, rows, n, log);
                        at = KernelReference.firstDifference(want, inPlace);
                        assertEquals(-1, at, where("in place", vector, rows, n, want, inPlace, at));
                    }
                }
            }
        }
    }

    @Test
    void layerNormEveryShapeMatchesCpuMath() {
        for (int rows : ROWS) {
            for (int n : LENGTHS) {
                float[] x = rows(rows, n);
                float[] gamma = KernelReference.data(rnd, n, 0.05);
                float[] beta = KernelReference.data(rnd, n, 0.05);
                for (int variant = 0; variant < 4; variant++) {
                    float[] g = (variant & 1) == 0 ? gamma : null;
                    float[] b = (variant & 2) == 0 ? beta : null;
                    float[] want = new float[x.length];
                    CpuMath.layerNormRows(x, want, rows, n, g, b, 1e-5f);
                    for (boolean vector : paths()) {
                        float[] got = new float[x.length];
                        Arrays.fill(got, Float.NaN);
                        RowKernels.layerNorm(vector, x, got, rows, n, g, b, 1e-5f);
                        int at = KernelReference.firstDifference(want, got);
                        assertEquals(-1, at, where("layerNorm gamma=" + (g != null) + " beta=" + (b != null), vector,
                                rows, n, want, got, at));
                        float[] inPlace = x.clone();
                        RowKernels.layerNorm(vector, inPlace, inPlace, rows, n, g, b, 1e-5f);
                        at = KernelReference.firstDifference(want, inPlace);
                        assertEquals(-1, at, where("layerNorm in place", vector, rows, n, want, inPlace, at));
                    }
                }
            }
        }
    }

    @Test
    void rmsNormEveryShapeMatchesTheDivisionLoop() {
        for (int rows : ROWS) {
            for (int n : LENGTHS) {
                float[] x = rows(rows, n);
                float[] weight = KernelReference.data(rnd, n, 0.05);
                for (float[] w : new float[][] {weight, null}) {
                    float[] want = new float[x.length];
                    for (int r = 0; r < rows; r++) {
                        KernelReference.rmsNormRow(x, want, r * n, n, w, 1e-6f);
                    }
                    float[] plain = new float[x.length];
                    CpuMath.rmsNormRows(x, plain, rows, n, w, 1e-6f);
                    int same = KernelReference.firstDifference(want, plain);
                    assertEquals(-1, same, where("CpuMath.rmsNormRows", false, rows, n, want, plain, same));
                    for (boolean vector : paths()) {
                        float[] got = new float[x.length];
                        Arrays.fill(got, Float.NaN);
                        RowKernels.rmsNorm(vector, x, got, rows, n, w, 1e-6f);
                        int at = KernelReference.firstDifference(want, got);
                        assertEquals(-1, at, where("rmsNorm weight=" + (w != null), vector, rows, n, want, got, at));
                        float[] inPlace = x.clone();
                        RowKernels.rmsNorm(vector, inPlace, inPlace, rows, n, w, 1e-6f);
                        at = KernelReference.firstDifference(want, inPlace);
                        assertEquals(-1, at, where("rmsNorm in place", vector, rows, n, want, inPlace, at));
                    }
                }
            }
        }
    }

    @Test
    void vectorExpMatchesFastMathOnASweepOfEveryFloatClass() {
        // every 4099th bit pattern (NaNs, infinities, zeros, subnormals, every binade of both
        // signs) and every float within 4096 ulps of the vector path's edges (|x| = 87) and of
        // exp's overflow and underflow limits; softmax's exp(x - max) runs this code. A whole
        // sweep of the 2^32 patterns (ExpExhaustiveCheck, by hand) found no difference either.
        if (!Simd.ENABLED) {
            return;
        }
        int[] edges = {Float.floatToRawIntBits(87f), Float.floatToRawIntBits(-87f),
            Float.floatToRawIntBits(88.72283f), Float.floatToRawIntBits(-103.97208f), 0, 0x80000000};
        int count = (int) ((1L << 32) / 4099) + 1 + edges.length * 8192;
        float[] s = new float[count];
        int at = 0;
        for (long bits = 0; bits < (1L << 32); bits += 4099) {
            s[at++] = Float.intBitsToFloat((int) bits);
        }
        for (int edge : edges) {
            for (int d = -4096; d < 4096; d++) {
                s[at++] = Float.intBitsToFloat(edge + d);
            }
        }
        for (float m : new float[] {0f, 1.5f, -3f}) {
            float[] p = new float[at];
            VectorElementwiseKernels.exp(s, 0, at, m, p, 0);
            for (int i = 0; i < at; i++) {
                float want = FastMath.exp(s[i] - m);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(p[i]),
                        "exp(" + Integer.toHexString(Float.floatToRawIntBits(s[i])) + " - " + m + ")");
            }
        }
    }

    @Test
    void halfPrecisionInputsTakeTheFloat32PathsBits() {
        // the bfloat16 and float16 entry points write into their converted copy; the result must be
        // the float32 op on the same values, rounded once to the input's type
        int rows = 9;
        int n = 33;
        Shape shape = new Shape(rows, n);
        for (DataType type : new DataType[] {DataType.BFLOAT16, DataType.FLOAT16}) {
            float[] values = rows(rows, n);
            for (int i = 0; i < values.length; i++) {
                values[i] = HostData.round(type, values[i]);
            }
            Tensor half = Tensor.host(shape, type, HostData.fromFloats(values, type));
            Tensor single = Tensor.host(shape, DataType.FLOAT32, values.clone());
            float[] w = KernelReference.data(rnd, n, 0);
            for (int i = 0; i < n; i++) {
                w[i] = HostData.round(type, w[i]);
            }
            Tensor wHalf = Tensor.host(new Shape(n), type, HostData.fromFloats(w, type));
            Tensor wSingle = Tensor.host(new Shape(n), DataType.FLOAT32, w.clone());
            CpuReductions ops = CpuReductions.INSTANCE;
            assertRounded(type, ops.softmax(single, -1, false), ops.softmax(half, -1, false), "softmax");
            assertRounded(type, ops.softmax(single, -1, true), ops.softmax(half, -1, true), "logSoftmax");
            assertRounded(type, ops.layerNorm(single, new Shape(n), wSingle, wSingle, 1e-5f),
                    ops.layerNorm(half, new Shape(n), wHalf, wHalf, 1e-5f), "layerNorm");
            assertRounded(type, ops.rmsNorm(single, wSingle, 1e-6f), ops.rmsNorm(half, wHalf, 1e-6f), "rmsNorm");
            float[] before = HostData.toFloats(half.hostData(), type, rows * n);
            assertEquals(-1, KernelReference.firstDifference(values, before), type + ": the input is left as it was");
        }
    }

    private static void assertRounded(DataType type, Tensor single, Tensor half, String op) {
        float[] s = (float[]) single.hostData();
        float[] want = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            want[i] = HostData.round(type, s[i]);
        }
        float[] got = HostData.toFloats(half.hostData(), type, s.length);
        int at = KernelReference.firstDifference(want, got);
        assertEquals(-1, at, op + " " + type + KernelReference.describe(want, got, at));
    }
}
