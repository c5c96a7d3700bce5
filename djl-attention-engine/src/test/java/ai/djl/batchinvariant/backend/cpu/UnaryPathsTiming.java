/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.UnaryOp;

import java.util.Locale;
import java.util.Random;

/**
 * Times one element-wise op of {@link ElementwiseKernels#unary} on its scalar and its vector path
 * in turn, 4 Mi floats into a preallocated output on the kernels' threads: best of 20 calls, ns an
 * element, two rounds. Inputs: uniform in [0.001, 10) for log (its vector path takes positive
 * normal floats), Gaussian otherwise. Not a test: run by hand with {@code --add-modules
 * jdk.incubator.vector}. Usage: {@code UnaryPathsTiming [OP]} (an {@link UnaryOp} name, default
 * LOG).
 */
public final class UnaryPathsTiming {

    private UnaryPathsTiming() {}

    /**
     * Entry point.
     *
     * @param args the op's name
     */
    public static void main(String[] args) {
        UnaryOp op = UnaryOp.valueOf(args.length > 0 ? args[0] : "LOG");
        int n = 1 << 22;
        float[] x = new float[n];
        float[] o = new float[n];
        Random rnd = new Random(1);
        for (int i = 0; i < n; i++) {
            x[i] = op == UnaryOp.LOG ? (float) (rnd.nextDouble() * 10 + 1e-3) : (float) rnd.nextGaussian();
        }
        for (int round = 0; round < 2; round++) {
            for (boolean vector : new boolean[] {false, true}) {
                long best = Long.MAX_VALUE;
                for (int k = 0; k < 20; k++) {
                    long t0 = System.nanoTime();
                    ElementwiseKernels.unary(vector, op, x, o, n);
                    best = Math.min(best, System.nanoTime() - t0);
                }
                System.out.printf(Locale.ROOT, "%s, %s path: %.3f ns an element%n", op, vector ? "vector" : "scalar",
                        best / (double) n);
            }
        }
    }
}
