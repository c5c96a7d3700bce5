/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.UnaryOp;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * {@link DoubleLaneKernels} and {@link TrigLaneKernels} against the scalar code they replace, bits
 * equal: log2, erf, sin and cos of every 509th float32 bit pattern in order (neighbours share a vector step, so most steps run in lanes;
 * {@code -Dlanes.stride=1} checks every float, as {@code DoubleLanesAgreement} does faster), the
 * double log against {@link StrictMath#log} over doubles of every exponent, subnormals, values
 * near powers of two, around 1 and at the edges of fdlibm's middle range (the float32 log2 hides
 * a changed branch edge: the double results differ, the floats do not, on all 2^31 of them), and arrays mixing NaN, infinities, zeros, negatives and the branches'
 * edges at random places, at offsets, with tails, in place, and through {@link
 * ElementwiseKernels#each} on both paths; float64 arrays' log (in lanes) and other functions on
 * the threads against {@link Float64Math}. Inverse case: the same comparison sees a log2 whose
 * logarithm is rounded to float before the division (a double route that multiplied by 1 / ln 2
 * instead gave the same floats on every pattern here: the float rounding hides it).
 */
class DoubleLanesTest {

    private static final int STRIDE = Integer.getInteger("lanes.stride", 509);
    private final Random rnd = new Random(23);

    @BeforeEach
    void needsTheVectorApi() {
        Assumptions.assumeTrue(Simd.ENABLED, "no Vector API");
    }

    @Test
    void log2OfFloatPatternsHasTheScalarBits() {
        float[] x = patterns(0, Float.floatToRawIntBits(Float.POSITIVE_INFINITY) + 1);
        float[] got = new float[x.length];
        DoubleLaneKernels.log2(x, 0, x.length, got, 0);
        assertSame("log2", x, got, Elementwise::log2);
    }

    @Test
    void erfOfFloatPatternsHasTheScalarBits() {
        int top = Float.floatToRawIntBits(4.5f);
        for (int sign : new int[] {0, 0x80000000}) {
            float[] x = patterns(sign, top);
            float[] got = new float[x.length];
            DoubleLaneKernels.erf(x, 0, x.length, got, 0);
            assertSame("erf", x, got, ErfFunctions::erf);
        }
    }

    @Test
    void sinAndCosOfFloatPatternsHaveStrictMathsBits() {
        // past 2^19 π/2 every step takes StrictMath; a few patterns beyond are included
        int top = Float.floatToRawIntBits(1e6f);
        for (int sign : new int[] {0, 0x80000000}) {
            float[] x = patterns(sign, top);
            float[] sin = new float[x.length];
            float[] cos = new float[x.length];
            TrigLaneKernels.sin(x, 0, x.length, sin, 0);
            TrigLaneKernels.cos(x, 0, x.length, cos, 0);
            assertSame("sin", x, sin, v -> (float) StrictMath.sin(v));
            assertSame("cos", x, cos, v -> (float) StrictMath.cos(v));
        }
    }

    @Test
    void doubleLogHasStrictMathsBits() {
        double[] x = new double[200_003];
        for (int i = 0; i < x.length; i++) {
            switch (i % 6) {
                case 0:
                    // every exponent, subnormals included
                    x[i] = Double.longBitsToDouble(rnd.nextLong() & Long.MAX_VALUE);
                    break;
                case 1:
                    x[i] = Math.scalb(1.0 + (rnd.nextDouble() - 0.5) * 0x1p-18, rnd.nextInt(200) - 100);
                    break;
                case 2:
                    x[i] = rnd.nextDouble() * 4;
                    break;
                case 3:
                    // high mantissa bits at the edges of fdlibm's middle range, 2^-2 to 2^2
                    long m = (rnd.nextBoolean() ? 0x61470L : 0x6b848L) + rnd.nextInt(20);
                    x[i] = Double.longBitsToDouble((1021L + rnd.nextInt(5)) << 52 | m << 32 | (rnd.nextLong() >>> 32));
                    break;
                case 4:
                    // k = 0: x in [√2 / 2, √2)
                    x[i] = 0.7071 + rnd.nextDouble() * 0.7071;
                    break;
                default:
                    x[i] = Double.MIN_VALUE * (1 + rnd.nextInt(1 << 20));
            }
        }
        x[7] = Double.NaN;
        x[11] = 0.0;
        x[13] = -1.0;
        x[17] = Double.POSITIVE_INFINITY;
        x[19] = 1.0;
        double[] got = new double[x.length + 5];
        DoubleLaneKernels.log(x, 3, x.length - 3, got, 5);
        for (int i = 3; i < x.length; i++) {
            long want = Double.doubleToRawLongBits(StrictMath.log(x[i]));
            int at = i;
            assertEquals(want, Double.doubleToRawLongBits(got[i + 2]), () -> "log(" + x[at] + ")");
        }
    }

    @Test
    void float64ArraysMatchTheScalarFunctions() {
        // several blocks, so the threads share the array; log by the lanes, the others element-wise
        double[] x = new double[3 * ElementwiseKernels.BLOCK + 77];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 50 == 0 ? Double.longBitsToDouble(rnd.nextLong()) : rnd.nextGaussian() * Math.exp(rnd.nextInt(20) - 10);
        }
        x[5] = Double.NaN;
        x[6] = 0.0;
        x[7] = Double.POSITIVE_INFINITY;
        for (UnaryOp op : new UnaryOp[] {UnaryOp.LOG, UnaryOp.EXP, UnaryOp.SIN, UnaryOp.LOG2}) {
            double[] got = (double[]) Elementwise.unary(x, ai.djl.ndarray.types.DataType.FLOAT64, x.length, op).data();
            for (int i = 0; i < x.length; i++) {
                long want = Double.doubleToRawLongBits(Float64Math.apply(op, x[i]));
                int at = i;
                assertEquals(want, Double.doubleToRawLongBits(got[i]), () -> op + "(" + x[at] + ")");
            }
        }
    }

    @Test
    void mixedArraysMatchOnBothPathsInPlaceAndAtOffsets() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -1f, 1f, 2f, 0.5f,
            Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 4f, -4f, Math.nextUp(4f), 0.46875f,
            Math.nextUp(0.46875f), -0.46875f, Math.nextDown(1f), Math.nextUp(1f), Math.nextDown(2f), 3.99f,
            (float) (Math.PI / 2), (float) -Math.PI, (float) (Math.PI / 4), Math.nextUp((float) (Math.PI / 4)),
            (float) (3 * Math.PI / 4), 823549.6f, 823550f, 1e30f, 1e-30f, 0.3f, 0.78125f};
        for (int n : new int[] {1, 7, 8, 9, 1023, 1024, 1025, 5000, 70_001}) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                int kind = rnd.nextInt(10);
                x[i] = kind == 0 ? special[rnd.nextInt(special.length)]
                        : kind < 5 ? (float) rnd.nextGaussian() : (float) (rnd.nextGaussian() * Math.exp(rnd.nextInt(40) - 20));
            }
            for (UnaryOp op : new UnaryOp[] {UnaryOp.LOG2, UnaryOp.ERF, UnaryOp.SIN, UnaryOp.COS}) {
                float[] plain = new float[n];
                float[] lanes = new float[n];
                ElementwiseKernels.each(false, op, slice(x, 3, n), plain, n, false);
                ElementwiseKernels.each(true, op, slice(x, 3, n), lanes, n, false);
                float[] inPlace = x.clone();
                if (op == UnaryOp.LOG2) {
                    DoubleLaneKernels.log2(inPlace, 3, n, inPlace, 3);
                } else if (op == UnaryOp.ERF) {
                    DoubleLaneKernels.erf(inPlace, 3, n, inPlace, 3);
                } else if (op == UnaryOp.SIN) {
                    TrigLaneKernels.sin(inPlace, 3, n, inPlace, 3);
                } else {
                    TrigLaneKernels.cos(inPlace, 3, n, inPlace, 3);
                }
                float[] want = new float[n];
                for (int i = 0; i < n; i++) {
                    want[i] = Elementwise.apply(op, x[i + 3]);
                }
                for (float[] got : new float[][] {plain, lanes, slice(inPlace, 3, n)}) {
                    int d = KernelReference.firstDifference(want, got);
                    assertEquals(-1, d, () -> op + " n=" + n + ": " + KernelReference.describe(want, got, d));
                }
            }
        }
    }

    @Test
    void inverseCaseLog2InFloatIsSeen() {
        float[] x = patterns(0, Float.floatToRawIntBits(Float.POSITIVE_INFINITY));
        float[] got = new float[x.length];
        DoubleLaneKernels.log2(x, 0, x.length, got, 0);
        float ln2 = (float) Elementwise.LN2;
        int differ = 0;
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits((float) StrictMath.log(x[i]) / ln2)) {
                differ++;
            }
        }
        assertNotEquals(0, differ);
    }

    /** Every {@link #STRIDE}th bit pattern from 0 to top, with the sign bits given. */
    private static float[] patterns(int sign, int top) {
        float[] x = new float[(int) ((top + (long) STRIDE - 1) / STRIDE)];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat((int) ((long) i * STRIDE) | sign);
        }
        return x;
    }

    private static float[] slice(float[] a, int from, int n) {
        float[] s = new float[n];
        System.arraycopy(a, from, s, 0, n);
        return s;
    }

    private static void assertSame(String name, float[] x, float[] got, FloatOp scalar) {
        for (int i = 0; i < x.length; i++) {
            float want = scalar.apply(x[i]);
            int at = i;
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                    () -> name + "(" + x[at] + "): " + want + " against " + got[at]);
        }
    }

    /** A scalar float function. */
    private interface FloatOp {
        float apply(float x);
    }
}
