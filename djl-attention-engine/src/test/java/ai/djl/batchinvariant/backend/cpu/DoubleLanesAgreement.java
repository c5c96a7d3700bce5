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
 * (beyond, the scalar code). Not a test (minutes on two cores): run by hand on the test classpath
 * with the Vector API module, {@code DoubleLanesAgreement [log2|erf]}.
 */
public final class DoubleLanesAgreement {

    private DoubleLanesAgreement() {}

    /**
     * Entry point.
     *
     * @param args {@code log2}, {@code erf} or nothing for both
     */
    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "both";
        if (!"erf".equals(which)) {
            run("log2", Float.floatToRawIntBits(Float.POSITIVE_INFINITY), false);
        }
        if (!"log2".equals(which)) {
            run("erf", Float.floatToRawIntBits(4f) + 1, true);
        }
    }

    private static void run(String name, int top, boolean bothSigns) {
        int chunk = 1 << 20;
        int chunks = (top + chunk - 1) / chunk;
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
            if ("erf".equals(name)) {
                DoubleLaneKernels.erf(x, 0, len, got, 0);
            } else {
                DoubleLaneKernels.log2(x, 0, len, got, 0);
            }
            long d = 0;
            for (int i = 0; i < len; i++) {
                float want = "erf".equals(name) ? ErfFunctions.erf(x[i]) : Elementwise.log2(x[i]);
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
}
