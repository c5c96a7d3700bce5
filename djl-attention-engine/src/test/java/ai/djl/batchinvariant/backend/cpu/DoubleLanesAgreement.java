/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Every float32 argument the double-lane kernels compute in lanes, through {@link DoubleLaneKernels}
 * and the scalar code, counting results whose bits differ: log2 of every positive float (below
 * zero, NaN and infinity every step takes the scalar code) and erf of every float with |x| ≤ 4
 * (beyond, the scalar code); with {@code trig}, sin and cos of every float with |x| up to 2^19
 * π/2 (beyond, {@code StrictMath}); with {@code round}, the float32 floor, ceil, round and trunc
 * of every float ({@link VectorElementwiseKernels#rounding}); with {@code log64}, the double log
 * against {@code StrictMath.log} over 2^30 random doubles. Not a test (minutes on two cores):
 * run by hand on the test classpath with the Vector API module, {@code DoubleLanesAgreement
 * [log2|erf|trig|round|log64]}.
 */
public final class DoubleLanesAgreement {

    private DoubleLanesAgreement() {}

    /**
     * Entry point.
     *
     * @param args {@code log2}, {@code erf}, {@code trig}, {@code round}, {@code log64} or nothing
     *     for log2 and erf
     */
    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "both";
        if ("both".equals(which) || "log2".equals(which)) {
            run("log2", Float.floatToRawIntBits(Float.POSITIVE_INFINITY), false);
        }
        if ("both".equals(which) || "erf".equals(which)) {
            run("erf", Float.floatToRawIntBits(4f) + 1, true);
        }
        if ("round".equals(which)) {
            // every float, NaN and infinities included, both signs
            for (String op : new String[] {"floor", "ceil", "rint", "trunc"}) {
                run(op, Integer.MAX_VALUE, true);
            }
        }
        if ("log64".equals(which)) {
            doubleLog(1 << 30);
        }
        if ("trig".equals(which)) {
            // |x| up to 2^19 π/2, the vector form's range (fdlibm's medium arguments)
            int top = Float.floatToRawIntBits(823549.6f) + 1;
            run("sin", top, true);
            run("cos", top, true);
        }
    }

    private static void run(String name, int top, boolean bothSigns) {
        int chunk = 1 << 20;
        int chunks = (int) ((top + (long) chunk - 1) / chunk);
        AtomicLong differ = new AtomicLong();
        AtomicLong n = new AtomicLong();
        long start = System.nanoTime();
        IntStream.range(0, bothSigns ? 2 * chunks : chunks).parallel().forEach(c -> {
            int sign = c < chunks ? 0 : 0x80000000;
            int from = (c % chunks) * chunk;
            int len = Math.min(chunk, top - from);
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = Float.intBitsToFloat((from + i) | sign);
            }
            float[] got = new float[len];
            switch (name) {
                case "erf":
                    DoubleLaneKernels.erf(x, 0, len, got, 0);
                    break;
                case "sin":
                    TrigLaneKernels.sin(x, 0, len, got, 0);
                    break;
                case "cos":
                    TrigLaneKernels.cos(x, 0, len, got, 0);
                    break;
                case "floor":
                case "ceil":
                case "rint":
                case "trunc":
                    VectorElementwiseKernels.rounding(rounding(name), x, 0, len, got, 0);
                    break;
                default:
                    DoubleLaneKernels.log2(x, 0, len, got, 0);
            }
            long d = 0;
            for (int i = 0; i < len; i++) {
                float want = scalar(name, x[i]);
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want)) {
                    d++;
                }
            }
            differ.addAndGet(d);
            n.addAndGet(len);
        });
        System.out.printf(Locale.ROOT, "%s: %d arguments, results differing in bits %d (%.0f s)%n", name, n.get(),
                differ.get(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * The double log against {@code StrictMath.log} over n random doubles: a third with random
     * positive bit patterns (every exponent, subnormals), a third in [0, 8), a third within 2^-10
     * of 1 (k = 0 and fdlibm's small-f branch).
     */
    private static void doubleLog(int n) {
        int chunk = 1 << 20;
        AtomicLong differ = new AtomicLong();
        long start = System.nanoTime();
        IntStream.range(0, n / chunk).parallel().forEach(c -> {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(c);
            double[] x = new double[chunk];
            for (int i = 0; i < chunk; i++) {
                switch (i % 3) {
                    case 0:
                        x[i] = Double.longBitsToDouble(rnd.nextLong() & Long.MAX_VALUE);
                        break;
                    case 1:
                        x[i] = rnd.nextDouble() * 8;
                        break;
                    default:
                        x[i] = 1 + (rnd.nextDouble() - 0.5) * 0x1p-9;
                }
            }
            double[] got = new double[chunk];
            DoubleLaneKernels.log(x, 0, chunk, got, 0);
            long d = 0;
            for (int i = 0; i < chunk; i++) {
                if (Double.doubleToRawLongBits(got[i]) != Double.doubleToRawLongBits(StrictMath.log(x[i]))) {
                    d++;
                }
            }
            differ.addAndGet(d);
        });
        System.out.printf(Locale.ROOT, "double log: %d arguments, results differing in bits %d (%.0f s)%n", n,
                differ.get(), (System.nanoTime() - start) / 1e9);
    }

    private static float scalar(String name, float x) {
        switch (name) {
            case "erf":
                return ErfFunctions.erf(x);
            case "sin":
                return (float) StrictMath.sin(x);
            case "cos":
                return (float) StrictMath.cos(x);
            case "floor":
            case "ceil":
            case "rint":
            case "trunc":
                return Elementwise.apply(rounding(name), x);
            default:
                return Elementwise.log2(x);
        }
    }

    private static ai.djl.batchinvariant.backend.UnaryOp rounding(String name) {
        switch (name) {
            case "floor":
                return ai.djl.batchinvariant.backend.UnaryOp.FLOOR;
            case "ceil":
                return ai.djl.batchinvariant.backend.UnaryOp.CEIL;
            case "rint":
                return ai.djl.batchinvariant.backend.UnaryOp.ROUND;
            default:
                return ai.djl.batchinvariant.backend.UnaryOp.TRUNC;
        }
    }
}
