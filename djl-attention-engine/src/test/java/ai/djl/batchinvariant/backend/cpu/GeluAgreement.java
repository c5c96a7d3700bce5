/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Every float32 argument of the vector gelu's range (|x| ≤ 4√2, both signs: about 2.2 billion)
 * through {@link VectorElementwiseKernels#gelu} and the scalar {@link ErfFunctions#gelu}, counting
 * results whose bits differ; with a second argument, the same with the rounding test's bound set
 * to it (0 takes every lane's float unchecked). Not a test (a few minutes on two cores): run by
 * hand on the test classpath with the Vector API module, {@code GeluAgreement [bound]}.
 */
public final class GeluAgreement {

    private GeluAgreement() {}

    /**
     * Entry point.
     *
     * @param args optionally the rounding test's bound, e.g. 0
     */
    public static void main(String[] args) {
        double bound = args.length > 0 ? Double.parseDouble(args[0]) : VectorElementwiseKernels.GELU_BOUND;
        int top = Float.floatToRawIntBits(5.656854f) + 1;
        int chunk = 1 << 20;
        int chunks = (top + chunk - 1) / chunk;
        AtomicLong differ = new AtomicLong();
        AtomicLong n = new AtomicLong();
        long start = System.nanoTime();
        IntStream.range(0, 2 * chunks).parallel().forEach(c -> {
            int sign = c % 2 == 0 ? 0 : 0x80000000;
            int from = (c / 2) * chunk;
            int len = Math.min(chunk, top - from);
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = Float.intBitsToFloat((from + i) | sign);
            }
            float[] got = new float[len];
            VectorElementwiseKernels.gelu(x, 0, len, got, 0, false, bound);
            long d = 0;
            for (int i = 0; i < len; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(ErfFunctions.gelu(x[i]))) {
                    d++;
                }
            }
            differ.addAndGet(d);
            n.addAndGet(len);
        });
        System.out.printf(Locale.ROOT, "bound %s: %d arguments, results differing in bits %d (%.0f s)%n", bound,
                n.get(), differ.get(), (System.nanoTime() - start) / 1e9);
    }
}
