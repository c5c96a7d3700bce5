/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

/**
 * Times the row kernels' passes one by one on rows held in L2 (16 rows of 4096 floats: best of
 * 200 calls, ns an element), then whole softmax, layer norm and RMS norm calls on ROWS × 4096
 * floats into a preallocated output and with a new output each call, next to {@code
 * System.arraycopy} of the same array, on one thread and row by row on the threads the kernels
 * use (ms, best and mean of the second half of the calls, GB/s at 8 bytes an element: 12 for the
 * add), and the element-wise add, the sigmoid and the SwiGLU gate on the same data. Used
 * to find what bounds each op (see docs/benchmarks-cpu.md). Not a test: run by hand with {@code
 * --add-modules jdk.incubator.vector} on the test classpath. Usage: {@code RowKernelsTiming
 * [ROWS [THREADS [CALLS]]]} (defaults 4096, 2, 20); THREADS 1 runs everything in a fork-join
 * pool of one, so {@link Parallel} stays on one thread.
 */
public final class RowKernelsTiming {

    private static final int N = 4096;
    private static volatile Object sink;

    private RowKernelsTiming() {}

    /**
     * Entry point.
     *
     * @param args rows, threads, calls
     * @throws Exception if the one-thread pool fails
     */
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Runnable all = () -> {
            passes();
            whole(rows, calls);
        };
        System.out.println("vector path: " + Simd.ENABLED + ", threads: " + threads);
        if (threads == 1) {
            new ForkJoinPool(1).submit(all).get();
        } else {
            all.run();
        }
    }

    private static void passes() {
        int rows = 16;
        float[] x = data(rows * N, 1);
        float[] w = data(N, 2);
        float[] o = new float[rows * N];
        boolean v = Simd.ENABLED;
        for (int round = 0; round < 3; round++) {
            boolean print = round == 2;
            for (LaneSums.Term t : LaneSums.Term.values()) {
                pass(print, "lane sums, plain, " + t, rows, () -> sums(false, t, x, rows));
                if (v) {
                    pass(print, "lane sums, vector, " + t, rows, () -> sums(true, t, x, rows));
                }
            }
            if (v) {
                pass(print, "vector exp", rows, () -> {
                    for (int r = 0; r < rows; r++) {
                        VectorElementwiseKernels.exp(x, r * N, N, 3f, o, r * N);
                    }
                });
                pass(print, "vector max", rows, () -> {
                    float m = 0f;
                    for (int r = 0; r < rows; r++) {
                        m += VectorKernels.max(x, r * N, N);
                    }
                    sink = m;
                });
                pass(print, "division pass x / d * w", rows, () -> {
                    for (int r = 0; r < rows; r++) {
                        VectorRowKernels.divScale(x, r * N, N, 1.7f, w, o);
                    }
                });
                pass(print, "layer norm output pass", rows, () -> {
                    for (int r = 0; r < rows; r++) {
                        VectorRowKernels.normalise(x, r * N, N, 0.1f, 1.01f, w, w, o);
                    }
                });
                pass(print, "softmax normalising pass", rows, () -> {
                    for (int r = 0; r < rows; r++) {
                        VectorRowKernels.mulScalar(o, r * N, N, 1.0001f);
                    }
                });
            }
            pass(print, "scalar exp", rows, () -> {
                for (int r = 0; r < rows; r++) {
                    AttentionKernels.exp(false, x, r * N, N, 3f, o, r * N);
                }
            });
        }
    }

    private static void sums(boolean vector, LaneSums.Term t, float[] x, int rows) {
        float acc = 0f;
        for (int r = 0; r < rows; r++) {
            acc += LaneSums.sum(vector, t, x, r * N, N, 0.1f);
        }
        sink = acc;
    }

    private static void pass(boolean print, String name, int rows, Runnable body) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 200; i++) {
            long t = System.nanoTime();
            body.run();
            best = Math.min(best, System.nanoTime() - t);
        }
        if (print) {
            System.out.printf(Locale.ROOT, "%-34s %6.3f ns an element%n", name, best / (double) (rows * N));
        }
    }

    private static void whole(int rows, int calls) {
        float[] x = data(rows * N, 3);
        float[] w = data(N, 4);
        float[] b = data(N, 5);
        float[] out = new float[x.length];
        boolean v = Simd.ENABLED;
        double bytes = 8.0 * x.length;
        time("arraycopy", calls, bytes, () -> System.arraycopy(x, 0, out, 0, x.length));
        time("arraycopy, rows on the kernels' threads", calls, bytes,
                () -> Parallel.forEach(rows, 4L * N, r -> System.arraycopy(x, r * N, out, r * N, N)));
        if (Simd.ENABLED) {
            // the kernels' own stores: x - 0 (x itself), written as their output passes write
            time("vector copy (x - 0), kernels' threads", calls, bytes,
                    () -> Parallel.forEach(rows, 4L * N, r -> VectorRowKernels.subScalar(x, r * N, N, 0f, out, r * N)));
        }
        time("new float[] alone", calls, bytes, () -> sink = new float[x.length]);
        time("rmsNorm, preallocated output", calls, bytes, () -> RowKernels.rmsNorm(v, x, out, rows, N, w, 1e-6f));
        time("rmsNorm, new output", calls, bytes, () -> {
            float[] o = new float[x.length];
            RowKernels.rmsNorm(v, x, o, rows, N, w, 1e-6f);
            sink = o;
        });
        time("layerNorm, preallocated output", calls, bytes,
                () -> RowKernels.layerNorm(v, x, out, rows, N, w, b, 1e-5f));
        time("layerNorm, new output", calls, bytes, () -> {
            float[] o = new float[x.length];
            RowKernels.layerNorm(v, x, o, rows, N, w, b, 1e-5f);
            sink = o;
        });
        time("softmax, preallocated output", calls, bytes, () -> RowKernels.softmax(v, x, out, rows, N, false));
        time("softmax, new output", calls, bytes, () -> {
            float[] o = new float[x.length];
            RowKernels.softmax(v, x, o, rows, N, false);
            sink = o;
        });
        // two inputs and an output: 12 bytes an element
        float[] y = data(x.length, 6);
        time("add x + y (12 bytes an element)", calls, 1.5 * bytes,
                () -> ElementwiseKernels.binary(BinaryOp.ADD, x, false, y, false, out, x.length));
        time("sigmoid, preallocated output", calls, bytes,
                () -> ElementwiseKernels.unary(v, UnaryOp.SIGMOID, x, out, x.length));
        time("sigmoid, plain loops", calls, bytes,
                () -> ElementwiseKernels.unary(false, UnaryOp.SIGMOID, x, out, x.length));
        // the SwiGLU gate of rows / 2 rows of 2 x 4096 (gate and up in blocks of 8), as the model calls it
        Tensor gateUp = Tensor.host(new Shape(rows / 2, 2 * N), DataType.FLOAT32, x);
        time("siluMul (rows / 2 x 4096 outputs)", calls, 6.0 * x.length, () -> sink = CpuElementwise.INSTANCE.siluMul(gateUp, 8));
    }

    private static void time(String name, int calls, double bytes, Runnable body) {
        double best = Double.MAX_VALUE;
        double sum = 0;
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            body.run();
            double ms = (System.nanoTime() - t) / 1e6;
            if (i >= calls / 2) {
                best = Math.min(best, ms);
                sum += ms;
            }
        }
        System.out.printf(Locale.ROOT, "%-34s best %7.3f ms, mean %7.3f ms (%5.1f GB/s)%n", name,
                best, sum / (calls - calls / 2), bytes / best / 1e6);
    }

    static float[] data(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
