/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/**
 * What bounds each row op on this machine: its arithmetic alone, on 16 rows of 4096 floats held
 * in L2 (256 calls in a row, so nothing comes from memory), against the memory time of its
 * bytes, a copy of the same bytes streamed from memory (ROWS rows, {@code System.arraycopy} a row
 * at a time), both on one thread; then the op streaming on one thread and on the kernels' threads,
 * each beside its copy, and the arithmetic alone on all threads at once (each on rows of its own in
 * cache) beside the copy on all threads. The vector copy is the same copy written as a kernel
 * writes its output. An op whose
 * arithmetic takes well under its copy's time is memory-bound and should stream at the copy's
 * rate; one whose arithmetic alone takes about as long as the copy cannot, since no op here
 * overlaps all of its arithmetic with its memory traffic. Not a test: run by hand with {@code
 * --add-modules jdk.incubator.vector} on the test classpath. Usage: {@code RowBoundsTiming [ROWS
 * [CALLS]]} (defaults 4096, 11).
 */
public final class RowBoundsTiming {

    private static final int N = 4096;
    private static final int HELD = 16;
    private static final int REPEATS = 256;

    private RowBoundsTiming() {}

    /** One op over {@code rows} rows of x (and y) into o. */
    private interface Op {
        void run(float[] x, float[] y, float[] o, int rows);
    }

    /**
     * Entry point.
     *
     * @param args rows, calls
     * @throws Exception if the one-thread pool fails
     */
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 11;
        float[] x = RowKernelsTiming.data(rows * N, 3);
        float[] y = RowKernelsTiming.data(rows * N, 4);
        float[] o = new float[rows * N];
        float[] w = RowKernelsTiming.data(N, 5);
        boolean v = Simd.ENABLED;
        String[] names = {"copy", "vector copy", "add x + y", "rmsNorm", "layerNorm", "softmax", "log-softmax",
            "sigmoid"};
        // bytes an element each op moves to and from memory
        double[] bytes = {8, 8, 12, 8, 8, 8, 8, 8};
        Op[] ops = {
            (a, b, c, r) -> Parallel.forEach(r, 4L * N, i -> System.arraycopy(a, i * N, c, i * N, N)),
            // the same copy as a kernel's own 256-bit loads and stores (x - 0), where the stub above
            // may use wider moves
            (a, b, c, r) -> Parallel.forEach(r, 4L * N, i -> VectorRowKernels.subScalar(a, i * N, N, 0f, c, i * N)),
            (a, b, c, r) -> ElementwiseKernels.binary(BinaryOp.ADD, a, false, b, false, c, r * N),
            (a, b, c, r) -> RowKernels.rmsNorm(v, a, c, r, N, w, 1e-6f),
            (a, b, c, r) -> RowKernels.layerNorm(v, a, c, r, N, w, w, 1e-5f),
            (a, b, c, r) -> RowKernels.softmax(v, a, c, r, N, false),
            (a, b, c, r) -> RowKernels.softmax(v, a, c, r, N, true),
            (a, b, c, r) -> ElementwiseKernels.unary(v, UnaryOp.SIGMOID, a, c, r * N),
        };
        // per op: arithmetic in L2 (best), then the op streaming and its copy alternated call by call
        // (medians: this machine's bandwidth drifts within seconds), on one thread and on all
        double[] held = new double[ops.length];
        double[] heldAll = new double[ops.length];
        int threads = Parallel.threads();
        ForkJoinPool[] pools = new ForkJoinPool[threads];
        for (int t = 0; t < threads; t++) {
            pools[t] = new ForkJoinPool(1);
        }
        double[][] one = new double[2][ops.length];
        double[][] all = new double[2][ops.length];
        Op copy = ops[0];
        for (int k = 0; k < ops.length; k++) {
            Op op = ops[k];
            int at = k;
            pools[0].submit(() -> {
                held[at] = best(() -> {
                    for (int i = 0; i < REPEATS; i++) {
                        op.run(x, y, o, HELD);
                    }
                }) / ((double) REPEATS * HELD * N);
                double[] m = alternated(copy, op, x, y, o, rows, calls);
                one[0][at] = m[0];
                one[1][at] = m[1];
            }).get();
            heldAll[k] = heldOnAll(op, x, y, o, pools);
            double[] m = alternated(copy, op, x, y, o, rows, calls);
            all[0][k] = m[0];
            all[1][k] = m[1];
        }
        System.out.printf(Locale.ROOT, "%d rows of %d floats, vector path %s, %d threads; ns an element (medians of %d"
                + " alternated calls; in L2: best of 5 x %d calls)%n", rows, N, v, Parallel.threads(), calls, REPEATS);
        System.out.printf(Locale.ROOT, "%-12s %10s %10s %10s %8s | %10s %10s %11s %8s%n", "op", "in L2, 1t", "copy, 1t",
                "stream, 1t", "of copy", "in L2, all", "copy, all", "stream, all", "of copy");
        for (int k = 0; k < ops.length; k++) {
            double c1 = one[0][k] * bytes[k] / 8;
            double ca = all[0][k] * bytes[k] / 8;
            System.out.printf(Locale.ROOT, "%-12s %10.3f %10.3f %10.3f %7.0f%% | %10.3f %10.3f %11.3f %7.0f%%%n",
                    names[k], held[k], c1, one[1][k], 100 * c1 / one[1][k], heldAll[k], ca, all[1][k],
                    100 * ca / all[1][k]);
        }
    }

    /**
     * The arithmetic alone on every thread at once, ns an element of all: each thread (a pool of
     * one, so the op does not split further) runs the op on 16 rows of its own held in cache,
     * {@value #REPEATS} calls; best of 5 (the threads may share a core's units).
     */
    private static double heldOnAll(Op op, float[] x, float[] y, float[] o, ForkJoinPool[] pools) throws Exception {
        int threads = pools.length;
        int size = HELD * N;
        // each thread's rows copied once, outside the timed rounds
        float[][] xs = new float[threads][];
        float[][] ys = new float[threads][];
        float[][] os = new float[threads][];
        for (int t = 0; t < threads; t++) {
            xs[t] = Arrays.copyOfRange(x, t * size, (t + 1) * size);
            ys[t] = Arrays.copyOfRange(y, t * size, (t + 1) * size);
            os[t] = new float[size];
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            List<Future<?>> runs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int at = t;
                runs.add(pools[t].submit(() -> {
                    for (int i = 0; i < REPEATS; i++) {
                        op.run(xs[at], ys[at], os[at], HELD);
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / ((double) threads * REPEATS * HELD * N);
    }

    /** Medians, ns an element, of the copy and the op called alternately {@code calls} times after a warm-up. */
    private static double[] alternated(Op copy, Op op, float[] x, float[] y, float[] o, int rows, int calls) {
        double[][] t = new double[2][calls];
        for (int i = -3; i < calls; i++) {
            for (int j = 0; j < 2; j++) {
                Op run = j == 0 ? copy : op;
                long t0 = System.nanoTime();
                run.run(x, y, o, rows);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    t[j][i] = (t1 - t0) / ((double) rows * N);
                }
            }
        }
        for (double[] r : t) {
            Arrays.sort(r);
        }
        return new double[] {t[0][calls / 2], t[1][calls / 2]};
    }

    private static double best(Runnable body) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t = System.nanoTime();
            body.run();
            best = Math.min(best, System.nanoTime() - t);
        }
        return best;
    }
}
