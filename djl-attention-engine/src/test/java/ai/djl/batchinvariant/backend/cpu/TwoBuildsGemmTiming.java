/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Random;

/**
 * Times the packed float32 matrix product {@code C = A·W^T} (M × K by N × K, weights packed once)
 * of two builds of the engine in one JVM, each loaded from its own classes folder, calls
 * alternated so that both see the same load (the companion of {@link TwoBuildsTiming} for the
 * GEMM); checks that the two builds gave the same bits. Not a test: run by hand with {@code
 * --add-modules jdk.incubator.vector}. Usage: {@code TwoBuildsGemmTiming CLASSES_A CLASSES_B M
 * [N K [bf16]]} (N = K = 2048 by default; {@code bf16}: weights that are bfloat16 values, packed
 * as pairs); 40 rounds after 10 of warm-up; prints median, best and quartiles in ms and the
 * median's GFLOP/s.
 */
public final class TwoBuildsGemmTiming {

    private TwoBuildsGemmTiming() {}

    /**
     * Entry point.
     *
     * @param args two classes folders, M, then optionally N, K and bf16
     * @throws Exception if a build cannot be loaded or called
     */
    public static void main(String[] args) throws Exception {
        int m = Integer.parseInt(args[2]);
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 2048;
        int k = args.length > 4 ? Integer.parseInt(args[4]) : 2048;
        boolean bf16 = args.length > 5 && "bf16".equals(args[5]);
        Random rnd = new Random(1);
        float[] a = new float[m * k];
        float[] w = new float[n * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            float v = (float) rnd.nextGaussian();
            w[i] = bf16 ? Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000) : v;
        }
        Method[] multiply = new Method[2];
        Object[] panels = new Object[2];
        for (int i = 0; i < 2; i++) {
            Class<?> c = TwoBuilds.load(args[i], "ai.djl.batchinvariant.backend.cpu.PackedGemm");
            Class<?> p = c.getClassLoader().loadClass("ai.djl.batchinvariant.backend.cpu.PackedGemm$Panels");
            panels[i] = c.getMethod("packColumns", float[].class, int.class, int.class, int.class)
                    .invoke(null, w, 0, n, k);
            multiply[i] = c.getMethod("multiply", float[].class, int.class, p, float[].class, int.class, int.class,
                    float[].class);
        }
        float[][] out = {new float[m * n], new float[m * n]};
        int rounds = 40;
        double[][] t = new double[2][rounds];
        for (int r = -10; r < rounds; r++) {
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                multiply[i].invoke(null, a, 0, panels[i], out[i], 0, m, null);
                if (r >= 0) {
                    t[i][r] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        int differ = TwoBuilds.differingBits(out[0], out[1]);
        System.out.println("gemm " + m + " x " + n + " x " + k + (bf16 ? ", bfloat16 weights" : "")
                + ": outputs differing in bits between the builds: " + differ);
        String[] names = {"A " + args[0], "B " + args[1]};
        for (int i = 0; i < 2; i++) {
            double[] s = TwoBuilds.sorted(t[i]);
            System.out.printf(Locale.ROOT, "%-40s median %7.2f ms (%6.1f GFLOP/s), best %7.2f, quartiles %7.2f / %7.2f%n",
                    names[i], s[rounds / 2], 2.0 * m * n * k / s[rounds / 2] / 1e6, s[0], s[rounds / 4],
                    s[3 * rounds / 4]);
        }
    }
}
