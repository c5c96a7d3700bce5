/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Softmax and log-softmax over an axis that is not the last ({@link ColumnSoftmax}) against the
 * plain row loops ({@link CpuMath#softmaxRows}) on the axis moved last, bits equal: vector and
 * plain paths, output apart and in place, axis lengths below, at and past the 32 partial sums,
 * column counts with a partial vector and a partial block, several slabs before the axis, NaN,
 * infinities, signed zeros, overflowing values and columns of -infinity; and through the backend
 * ({@link CpuReductions#softmax}) for float32, float16 and bfloat16, over a middle axis and the
 * last. Inverse case: the same
 * columns with their exps summed in one chain differ, so the comparison can fail.
 */
class ColumnSoftmaxTest {

    private final Random rnd = new Random(23);

    /** (outer, n, inner). */
    private static final int[][] SHAPES = {
        {1, 1, 16},
        {1, 7, 19},
        {2, 32, 24},
        {3, 33, 130},
        {1, 100, 257},
        {2, 65, 40},
        {1, 300, 1000},
    };

    @Test
    void columnsMatchTheRowLoopsOnTheAxisMovedLast() {
        for (int[] s : SHAPES) {
            int outer = s[0];
            int n = s[1];
            int inner = s[2];
            double odd = n > 100 ? 0.0005 : 0.02;
            float[] x = KernelReference.data(rnd, outer * n * inner, odd);
            scale(x);
            if (inner > 3) {
                // a column of -infinity: its maximum is -infinity and every difference NaN
                for (int i = 0; i < n; i++) {
                    x[i * inner + 3] = Float.NEGATIVE_INFINITY;
                }
            }
            for (boolean log : new boolean[] {false, true}) {
                float[] want = reference(x, outer, n, inner, log);
                for (boolean vector : Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false}) {
                    float[] out = new float[x.length];
                    java.util.Arrays.fill(out, Float.intBitsToFloat(0x7f800123));
                    ColumnSoftmax.softmax(vector, x, out, outer, n, inner, log);
                    check(want, out, s, log, vector, "apart");
                    float[] in = x.clone();
                    ColumnSoftmax.softmax(vector, in, in, outer, n, inner, log);
                    check(want, in, s, log, vector, "in place");
                }
            }
        }
    }

    @Test
    void theBackendTakesTheColumnsForEveryFloatType() {
        Shape shape = new Shape(3, 45, 2, 20);
        float[] x = KernelReference.data(rnd, (int) shape.size(), 0.01);
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16}) {
            Tensor t = Tensor.host(shape, type, HostData.fromFloats(x.clone(), type));
            float[] rounded = HostData.toFloats(t.hostData(), type, t.size32());
            for (boolean log : new boolean[] {false, true}) {
                Tensor got = CpuReductions.INSTANCE.softmax(t, 1, log);
                float[] want = reference(rounded, 3, 45, 40, log);
                Object wantStored = HostData.fromFloats(want, type);
                float[] g = HostData.toFloats(got.hostData(), type, got.size32());
                float[] w = HostData.toFloats(wantStored, type, got.size32());
                assertEquals(-1, KernelReference.firstDifference(w, g), type + " log " + log);
                // and the last axis, whose rows take the same widened copy
                float[] rows = rounded.clone();
                CpuMath.softmaxRows(rows, 3 * 45 * 2, 20, log);
                float[] last = HostData.toFloats(CpuReductions.INSTANCE.softmax(t, 3, log).hostData(), type, rows.length);
                float[] lastWant = HostData.toFloats(HostData.fromFloats(rows, type), type, rows.length);
                assertEquals(-1, KernelReference.firstDifference(lastWant, last), type + " last axis, log " + log);
            }
        }
    }

    @Test
    void inverseTheSameColumnsSummedInOneChainDiffer() {
        int n = 1000;
        int inner = 64;
        float[] x = new float[n * inner];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * 3f;
        }
        float[] want = new float[x.length];
        ColumnSoftmax.softmax(Simd.ENABLED, x, want, 1, n, inner, false);
        float[] chain = new float[x.length];
        for (int k = 0; k < inner; k++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Math.max(m, x[i * inner + k]);
            }
            float sum = 0f;
            for (int i = 0; i < n; i++) {
                chain[i * inner + k] = FastMath.exp(x[i * inner + k] - m);
                sum += chain[i * inner + k];
            }
            float inv = 1f / sum;
            for (int i = 0; i < n; i++) {
                chain[i * inner + k] *= inv;
            }
        }
        assertNotEquals(-1, KernelReference.firstDifference(want, chain));
    }

    /** Spreads the values so that some exps underflow and some columns are dominated by one value. */
    private void scale(float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (rnd.nextInt(50) == 0) {
                x[i] *= 60f;
            }
        }
    }

    /** The row loops on a copy with the axis moved last, moved back. */
    private static float[] reference(float[] x, int outer, int n, int inner, boolean log) {
        float[] rows = new float[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < inner; k++) {
                    rows[(o * inner + k) * n + i] = x[(o * n + i) * inner + k];
                }
            }
        }
        CpuMath.softmaxRows(rows, outer * inner, n, log);
        float[] back = new float[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < inner; k++) {
                    back[(o * n + i) * inner + k] = rows[(o * inner + k) * n + i];
                }
            }
        }
        return back;
    }

    private static void check(float[] want, float[] got, int[] s, boolean log, boolean vector, String where) {
        int d = KernelReference.firstDifference(want, got);
        assertEquals(-1, d, () -> "shape " + java.util.Arrays.toString(s) + " log " + log + " vector " + vector
                + " " + where + ": " + KernelReference.describe(want, got, d));
    }
}
