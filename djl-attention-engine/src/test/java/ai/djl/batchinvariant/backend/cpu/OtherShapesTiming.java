/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Whether a build's row kernels keep their speed when other code in the process has used another
 * vector shape before them: RMS norm, layer norm and softmax of one build (loaded from its classes
 * folder, as {@link TwoBuilds} does), each call timed right after a row-by-row copy of the same
 * bytes — in a process of their own ({@code alone}), or after an application's own RMS norm on
 * 512-bit vectors has run ({@code after}; plain Vector API code, as an application would write
 * it). The Vector API's shared methods gather one type profile for the whole process; a kernel
 * operation on a vector whose exact class C2 cannot prove is compiled from that profile and, once
 * it has seen two shapes, runs on boxed vectors. Code compiled before the other shape appeared
 * keeps its speed, so each case needs a fresh process. Not a test: run by hand with {@code
 * --add-modules jdk.incubator.vector} on the test classpath. Usage: {@code OtherShapesTiming
 * CLASSES alone|after [ROWS [PAIRS]]} (defaults 16384, 21).
 */
public final class OtherShapesTiming {

    private static final int N = 4096;
    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_512;

    private OtherShapesTiming() {}

    /**
     * Entry point.
     *
     * @param args the build's classes folder, alone or after, rows, pairs
     * @throws Exception if the build cannot be loaded or called
     */
    public static void main(String[] args) throws Exception {
        boolean after = "after".equals(args[1]);
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 16384;
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 21;
        Class<?> c = TwoBuilds.load(args[0], "ai.djl.batchinvariant.backend.cpu.RowKernels");
        Method rms = c.getDeclaredMethod("rmsNorm", boolean.class, float[].class, float[].class, int.class, int.class,
                float[].class, float.class);
        Method ln = c.getDeclaredMethod("layerNorm", boolean.class, float[].class, float[].class, int.class, int.class,
                float[].class, float[].class, float.class);
        Method sm = c.getDeclaredMethod("softmax", boolean.class, float[].class, float[].class, int.class, int.class,
                boolean.class);
        for (Method m : new Method[] {rms, ln, sm}) {
            m.setAccessible(true);
        }
        float[] x = RowKernelsTiming.data(rows * N, 3);
        float[] o = new float[rows * N];
        float[] w = RowKernelsTiming.data(N, 5);
        String[] names = {"rmsNorm", "layerNorm", "softmax"};
        Call[] ops = {
            () -> rms.invoke(null, true, x, o, rows, N, w, 1e-6f),
            () -> ln.invoke(null, true, x, o, rows, N, w, w, 1e-5f),
            () -> sm.invoke(null, true, x, o, rows, N, false),
        };
        System.out.printf(Locale.ROOT, "build %s, %d rows of %d floats, 2 threads: each op's rate as a share of a"
                + " row-by-row copy's in the same pair, median (quartiles) of %d pairs%n", args[0], rows, N, pairs);
        if (after) {
            long t0 = System.nanoTime();
            for (int k = 0; k < 30; k++) {
                wideRmsNorm(x, o, rows, w);
            }
            System.out.printf(Locale.ROOT, "(an application's 512-bit RMS norm run 30 times first: %.1f s)%n",
                    (System.nanoTime() - t0) / 1e9);
        }
        report(after ? "after 512-bit code" : "alone", names, ops, x, o, rows, pairs);
    }

    /** A kernel call (reflective, so it may throw). */
    private interface Call {
        void run() throws Exception;
    }

    private static void report(String phase, String[] names, Call[] ops, float[] x, float[] o, int rows, int pairs)
            throws Exception {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-20s", phase));
        for (int k = 0; k < ops.length; k++) {
            double[] share = new double[pairs];
            for (int i = -5; i < pairs; i++) {
                long t0 = System.nanoTime();
                IntStream.range(0, rows).parallel().forEach(r -> System.arraycopy(x, r * N, o, r * N, N));
                long t1 = System.nanoTime();
                ops[k].run();
                long t2 = System.nanoTime();
                if (i >= 0) {
                    share[i] = 100.0 * (t1 - t0) / (t2 - t1);
                }
            }
            double[] s = TwoBuilds.sorted(share);
            line.append(String.format(Locale.ROOT, "  %s %3.0f%% (%3.0f-%3.0f)", names[k], s[pairs / 2],
                    s[pairs / 4], s[3 * pairs / 4]));
        }
        System.out.println(line);
    }

    /**
     * An application's RMS norm on 512-bit vectors, written plainly (no casts), one row at a time:
     * the squares' sum, then x / root * w.
     */
    private static void wideRmsNorm(float[] x, float[] o, int rows, float[] w) {
        IntStream.range(0, rows).parallel().forEach(r -> {
            int off = r * N;
            FloatVector acc = FloatVector.zero(WIDE);
            for (int i = 0; i < N; i += WIDE.length()) {
                FloatVector v = FloatVector.fromArray(WIDE, x, off + i);
                acc = acc.add(v.mul(v));
            }
            float denom = (float) Math.sqrt(acc.reduceLanes(VectorOperators.ADD) / N + 1e-6f);
            for (int i = 0; i < N; i += WIDE.length()) {
                FloatVector.fromArray(WIDE, x, off + i).div(denom).mul(FloatVector.fromArray(WIDE, w, i))
                        .intoArray(o, off + i);
            }
        });
    }
}
