/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Times softmax, log-softmax, layer norm, RMS norm, sigmoid or tanh of two builds of the engine in
 * one JVM, each loaded from its own classes folder by a class loader of its own, calls alternated
 * (A, B, then a copy of the same bytes on two threads) so that both see the same load: on a shared
 * two-core machine, separate processes spread by more than the changes measured. Also checks that
 * the two builds gave the same bits. Not a test: run by hand with {@code --add-modules
 * jdk.incubator.vector}. Usage: {@code TwoBuildsTiming CLASSES_A CLASSES_B
 * [softmax|log|layerNorm|rmsNorm|sigmoid|tanh] [ROWS] [new]} (4096 × 4096 float32 by default, 40
 * rounds after 10 of warm-up; {@code new}: a new output array each call, as the engine's API
 * returns, its allocation timed; prints median, best and quartiles in ms).
 */
public final class TwoBuildsTiming {

    private TwoBuildsTiming() {}

    /**
     * Entry point.
     *
     * @param args two classes folders, the op, the rows
     * @throws Exception if a build cannot be loaded or called
     */
    public static void main(String[] args) throws Exception {
        String op = args.length > 2 ? args[2] : "softmax";
        int rows = args.length > 3 ? Integer.parseInt(args[3]) : 4096;
        boolean fresh = args.length > 4 && "new".equals(args[4]);
        int n = 4096;
        Method[] m = new Method[2];
        boolean unary = "sigmoid".equals(op) || "tanh".equals(op);
        Object[] unaryOp = new Object[2];
        for (int i = 0; i < 2; i++) {
            if (unary) {
                Class<?> c = TwoBuilds.load(args[i], "ai.djl.batchinvariant.backend.cpu.ElementwiseKernels");
                Class<?> u = Class.forName("ai.djl.batchinvariant.backend.UnaryOp", true, c.getClassLoader());
                m[i] = c.getDeclaredMethod("unary", boolean.class, u, float[].class, float[].class, int.class);
                m[i].setAccessible(true);
                unaryOp[i] = u.getField(op.toUpperCase(Locale.ROOT)).get(null);
                continue;
            }
            Class<?> c = TwoBuilds.load(args[i], "ai.djl.batchinvariant.backend.cpu.RowKernels");
            m[i] = "layerNorm".equals(op)
                    ? c.getDeclaredMethod("layerNorm", boolean.class, float[].class, float[].class, int.class,
                            int.class, float[].class, float[].class, float.class)
                    : "rmsNorm".equals(op)
                    ? c.getDeclaredMethod("rmsNorm", boolean.class, float[].class, float[].class, int.class,
                            int.class, float[].class, float.class)
                    : c.getDeclaredMethod("softmax", boolean.class, float[].class, float[].class, int.class,
                            int.class, boolean.class);
            m[i].setAccessible(true);
        }
        float[] x = new float[rows * n];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * 3;
        }
        float[][] out = {new float[x.length], new float[x.length]};
        float[] copy = new float[x.length];
        int rounds = 40;
        double[][] t = new double[3][rounds];
        for (int k = -10; k < rounds; k++) {
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                if (fresh) {
                    out[i] = new float[x.length];
                }
                if (unary) {
                    m[i].invoke(null, true, unaryOp[i], x, out[i], rows * n);
                } else if ("layerNorm".equals(op)) {
                    m[i].invoke(null, true, x, out[i], rows, n, null, null, 1e-5f);
                } else if ("rmsNorm".equals(op)) {
                    m[i].invoke(null, true, x, out[i], rows, n, null, 1e-6f);
                } else {
                    m[i].invoke(null, true, x, out[i], rows, n, "log".equals(op));
                }
                if (k >= 0) {
                    t[i][k] = (System.nanoTime() - t0) / 1e6;
                }
            }
            long t0 = System.nanoTime();
            int half = x.length / 2;
            IntStream.range(0, 2).parallel().forEach(h -> System.arraycopy(x, h * half, copy, h * half, half));
            if (k >= 0) {
                t[2][k] = (System.nanoTime() - t0) / 1e6;
            }
        }
        int differ = TwoBuilds.differingBits(out[0], out[1]);
        System.out.println(op + ", " + rows + " x " + n + (fresh ? ", a new output each call" : ", preallocated output")
                + ": outputs differing in bits between the builds: " + differ);
        String[] names = {"A " + args[0], "B " + args[1], "copy, two threads"};
        for (int i = 0; i < 3; i++) {
            double[] s = TwoBuilds.sorted(t[i]);
            System.out.printf(Locale.ROOT, "%-60s median %6.2f ms, best %6.2f, quartiles %6.2f / %6.2f%n", names[i],
                    s[rounds / 2], s[0], s[rounds / 4], s[3 * rounds / 4]);
        }
    }
}
