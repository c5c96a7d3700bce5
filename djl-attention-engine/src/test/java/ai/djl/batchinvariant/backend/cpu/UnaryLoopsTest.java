/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * The float32 loops of the roundings and sign ({@link ElementwiseKernels#each}, sign on both
 * paths) against formulas
 * in double written here ({@code StrictMath}'s floor, ceil and rint; sign as {@link
 * Float64Math#sign}), and leaky ReLU and ELU (vector and plain paths) against their plain float
 * formulas, softPlus in passes against {@code apply}, and isNaN, isInfinite and logical not of float32 against the tests in double, bits
 * equal, over halfway values, values past 2^23 (already integers), NaN,
 * infinities, zeros of both signs, subnormals and random values of every magnitude, on arrays
 * long enough for several tasks. Inverse case: sign by {@code Math.signum} (NaN and -0 kept) is
 * caught.
 */
class UnaryLoopsTest {

    private final Random rnd = new Random(17);

    @Test
    void roundingsAndSignMatchTheirFormulasInDouble() {
        float[] x = values();
        UnaryOp[] ops = {UnaryOp.FLOOR, UnaryOp.CEIL, UnaryOp.ROUND, UnaryOp.TRUNC, UnaryOp.SIGN};
        for (UnaryOp op : ops) {
            float[] got = (float[]) Elementwise.unary(x, DataType.FLOAT32, x.length, op).data();
            float[] want = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                want[i] = formula(op, x[i]);
            }
            int d = KernelReference.firstDifference(want, got);
            assertEquals(-1, d, () -> op + ": " + KernelReference.describe(want, got, d));
            for (boolean vector : Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false}) {
                float[] path = new float[x.length];
                ElementwiseKernels.each(vector, op, x, path, x.length, false);
                int e = KernelReference.firstDifference(want, path);
                assertEquals(-1, e, () -> op + (vector ? " (vector)" : " (plain)") + ": "
                        + KernelReference.describe(want, path, e));
            }
        }
    }

    @Test
    void leakyReluAndEluMatchTheirFormulas() {
        float[] x = values();
        for (boolean vector : Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false}) {
            for (float alpha : new float[] {0.1f, 1f, -0.5f}) {
                float[] leaky = new float[x.length];
                float[] elu = new float[x.length];
                ElementwiseKernels.leakyRelu(vector, x, leaky, x.length, alpha);
                ElementwiseKernels.elu(vector, x, elu, x.length, alpha);
                float[] wantLeaky = new float[x.length];
                float[] wantElu = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    wantLeaky[i] = x[i] > 0 ? x[i] : alpha * x[i];
                    wantElu[i] = x[i] > 0 ? x[i] : alpha * (FastMath.exp(x[i]) - 1f);
                }
                int d = KernelReference.firstDifference(wantLeaky, leaky);
                assertEquals(-1, d, () -> "leakyRelu " + alpha + " " + KernelReference.describe(wantLeaky, leaky, d));
                int e = KernelReference.firstDifference(wantElu, elu);
                assertEquals(-1, e, () -> "elu " + alpha + " " + KernelReference.describe(wantElu, elu, e));
            }
        }
    }

    @Test
    void theBooleanTestsMatchTheirFormulasInDouble() {
        float[] x = values();
        for (UnaryOp op : new UnaryOp[] {UnaryOp.ISNAN, UnaryOp.ISINF, UnaryOp.NOT}) {
            byte[] got = (byte[]) Elementwise.unary(x, DataType.FLOAT32, x.length, op).data();
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                boolean want = op == UnaryOp.ISNAN ? Double.isNaN(v) : op == UnaryOp.ISINF ? Double.isInfinite(v)
                        : v == 0;
                assertEquals(want ? 1 : 0, got[i], op + " of " + x[i]);
            }
        }
    }

    @Test
    void softPlusInPassesMatchesApply() {
        float[] x = values();
        for (int i = 0; i < x.length; i += 3) {
            // around the cut at 20 and where exp over- and underflows
            x[i] = (float) (rnd.nextDouble() * 240 - 120);
        }
        float[] got = (float[]) Elementwise.unary(x, DataType.FLOAT32, x.length, UnaryOp.SOFTPLUS).data();
        float[] want = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = Elementwise.apply(UnaryOp.SOFTPLUS, x[i]);
        }
        int d = KernelReference.firstDifference(want, got);
        assertEquals(-1, d, () -> "softPlus " + KernelReference.describe(want, got, d));
    }

    @Test
    void inverseSignumIsCaught() {
        float[] x = values();
        float[] got = (float[]) Elementwise.unary(x, DataType.FLOAT32, x.length, UnaryOp.SIGN).data();
        float[] signum = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            signum[i] = Math.signum(x[i]);
        }
        assertNotEquals(-1, KernelReference.firstDifference(got, signum));
    }

    private float[] values() {
        float[] special = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f, 8388607.5f, -8388607.5f,
            8388609f, 1e30f, -1e30f, Float.MIN_VALUE, -Float.MIN_VALUE, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY};
        float[] x = new float[200_003];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7 == 0 ? special[rnd.nextInt(special.length)]
                    : (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(60) - 30));
        }
        return x;
    }

    private static float formula(UnaryOp op, float v) {
        double d = v;
        switch (op) {
            case FLOOR:
                return (float) StrictMath.floor(d);
            case CEIL:
                return (float) StrictMath.ceil(d);
            case ROUND:
                return (float) StrictMath.rint(d);
            case TRUNC:
                return (float) (d < 0 ? StrictMath.ceil(d) : StrictMath.floor(d));
            default:
                return (float) Float64Math.sign(d);
        }
    }
}
