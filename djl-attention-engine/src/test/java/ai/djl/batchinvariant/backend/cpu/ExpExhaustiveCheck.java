/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Locale;

/**
 * Every one of the 2^32 float bit patterns through the vector exp ({@link VectorElementwiseKernels#exp})
 * and {@link FastMath#exp}: counts the inputs whose bits differ between the two, and the largest
 * error of {@link FastMath#exp} in units of the float ulp of {@link StrictMath#exp}'s value
 * (NaN inputs, and results that overflow or underflow to infinity or zero, left out). About a
 * minute on two cores. Not a test: run by hand with {@code --add-modules jdk.incubator.vector} on
 * the test classpath; {@code RowKernelShapesTest} sweeps a sample of the same patterns.
 */
public final class ExpExhaustiveCheck {

    private static final int CHUNK = 1 << 20;

    private ExpExhaustiveCheck() {}

    /**
     * Entry point.
     *
     * @param args unused
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int threads = 2;
        long[] differing = new long[threads];
        double[] worst = new double[threads];
        float[] worstAt = new float[threads];
        Thread[] pool = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            pool[t] = new Thread(() -> {
                float[] x = new float[CHUNK];
                float[] y = new float[CHUNK];
                for (long base = (long) id * CHUNK; base < (1L << 32); base += (long) threads * CHUNK) {
                    for (int i = 0; i < CHUNK; i++) {
                        x[i] = Float.intBitsToFloat((int) (base + i));
                    }
                    VectorElementwiseKernels.exp(x, 0, CHUNK, 0f, y, 0);
                    for (int i = 0; i < CHUNK; i++) {
                        float f = FastMath.exp(x[i]);
                        if (Float.floatToIntBits(f) != Float.floatToIntBits(y[i])) {
                            differing[id]++;
                        }
                        double e = StrictMath.exp(x[i]);
                        float ef = (float) e;
                        if (x[i] != x[i] || Float.isInfinite(ef) || ef == 0f) {
                            continue;
                        }
                        double ulps = Math.abs(f - e) / Math.ulp(ef);
                        if (ulps > worst[id]) {
                            worst[id] = ulps;
                            worstAt[id] = x[i];
                        }
                    }
                }
            });
            pool[t].start();
        }
        for (Thread t : pool) {
            t.join();
        }
        long diff = 0;
        int w = 0;
        for (int t = 0; t < threads; t++) {
            diff += differing[t];
            if (worst[t] > worst[w]) {
                w = t;
            }
        }
        System.out.printf(Locale.ROOT, "vector exp bits differing from FastMath.exp: %d of 2^32%n", diff);
        System.out.printf(Locale.ROOT, "largest FastMath.exp error: %.3f ulp at x = %s%n", worst[w], worstAt[w]);
    }
}
