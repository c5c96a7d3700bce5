/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.VectorKernels.F;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.L;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;

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
 * overlaps all of its arithmetic with its memory traffic. "RMS, 1 pass" is a control, not an
 * op: RMS norm's arithmetic (squares summed in four vectors of lanes, a division and a
 * multiplication an element) over each row in one pass, the divisor taken from the row before, so
 * its only traffic is the row in and out — what RMS norm would reach without its second pass
 * through cache. Each streaming call is timed right after its copy; the share of the copy's rate
 * is the median (and quartiles) of the ratio of each pair, as the machine's bandwidth drifts
 * between pairs. Not a test: run by hand with {@code
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
        String[] names = {"copy", "vector copy", "add x + y", "rmsNorm", "RMS, 1 pass", "layerNorm", "softmax",
            "log-softmax", "sigmoid"};
        // bytes an element each op moves to and from memory
        double[] bytes = {8, 8, 12, 8, 8, 8, 8, 8, 8};
        Op[] ops = {
            (a, b, c, r) -> Parallel.forEach(r, 4L * N, i -> System.arraycopy(a, i * N, c, i * N, N)),
            // the same copy as a kernel's own 256-bit loads and stores (x - 0), where the stub above
            // may use wider moves
            (a, b, c, r) -> Parallel.forEach(r, 4L * N, i -> VectorRowKernels.subScalar(a, i * N, N, 0f, c, i * N)),
            (a, b, c, r) -> ElementwiseKernels.binary(BinaryOp.ADD, a, false, b, false, c, r * N),
            (a, b, c, r) -> RowKernels.rmsNorm(v, a, c, r, N, w, 1e-6f),
            (a, b, c, r) -> rmsOnePass(a, c, r, w),
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
        double[][] one = new double[5][ops.length];
        double[][] all = new double[5][ops.length];
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
                double[] m = alternated(copy, op, x, y, o, rows, calls, bytes[at] / 8);
                for (int j = 0; j < m.length; j++) {
                    one[j][at] = m[j];
                }
            }).get();
            heldAll[k] = heldOnAll(op, x, y, o, pools);
            double[] m = alternated(copy, op, x, y, o, rows, calls, bytes[k] / 8);
            for (int j = 0; j < m.length; j++) {
                all[j][k] = m[j];
            }
        }
        System.out.printf(Locale.ROOT, "%d rows of %d floats, vector path %s, %d threads; ns an element (medians of %d"
                + " alternated calls; in L2: best of 5 x %d calls)%n", rows, N, v, Parallel.threads(), calls, REPEATS);
        System.out.printf(Locale.ROOT, "%-12s %10s %10s %10s %13s | %10s %10s %11s %13s%n", "op", "in L2, 1t",
                "copy, 1t", "stream, 1t", "of copy (iqr)", "in L2, all", "copy, all", "stream, all", "of copy (iqr)");
        for (int k = 0; k < ops.length; k++) {
            System.out.printf(Locale.ROOT, "%-12s %10.3f %10.3f %10.3f %4.0f%% %3.0f-%3.0f | %10.3f %10.3f %11.3f "
                    + "%4.0f%% %3.0f-%3.0f%n", names[k], held[k], one[0][k] * bytes[k] / 8, one[1][k], one[3][k], one[2][k],
                    one[4][k], heldAll[k], all[0][k] * bytes[k] / 8, all[1][k], all[3][k], all[2][k], all[4][k]);
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

    /**
     * The copy and the op called alternately {@code calls} times after a warm-up: the medians, ns
     * an element, of the copy and of the op, then the first quartile, median and third quartile of
     * the op's rate as a percentage of its copy's in the same pair (the copy's time scaled to the
     * op's bytes).
     */
    private static double[] alternated(Op copy, Op op, float[] x, float[] y, float[] o, int rows, int calls,
            double scale) {
        double[][] t = new double[3][calls];
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
            if (i >= 0) {
                t[2][i] = 100 * scale * t[0][i] / t[1][i];
            }
        }
        for (double[] r : t) {
            Arrays.sort(r);
        }
        return new double[] {t[0][calls / 2], t[1][calls / 2], t[2][calls / 4], t[2][calls / 2],
            t[2][3 * calls / 4]};
    }

    /** The "RMS, 1 pass" control of the class comment, a task of 16 rows at a time. */
    private static void rmsOnePass(float[] x, float[] o, int rows, float[] w) {
        Parallel.forEach((rows + HELD - 1) / HELD, HELD * 4L * N, b -> {
            float[] s = new float[LaneSums.LANES];
            float denom = 1f;
            for (int r = b * HELD; r < Math.min(rows, (b + 1) * HELD); r++) {
                FloatVector a0 = VT.cast(FloatVector.zero(F));
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                int off = r * N;
                for (int i = 0; i < N; i += 4 * L) {
                    FloatVector d0 = VT.cast(FloatVector.fromArray(F, x, off + i));
                    FloatVector d1 = VT.cast(FloatVector.fromArray(F, x, off + i + L));
                    FloatVector d2 = VT.cast(FloatVector.fromArray(F, x, off + i + 2 * L));
                    FloatVector d3 = VT.cast(FloatVector.fromArray(F, x, off + i + 3 * L));
                    a0 = VT.cast(a0).add(VT.cast(d0.mul(d0)));
                    a1 = VT.cast(a1).add(VT.cast(d1.mul(d1)));
                    a2 = VT.cast(a2).add(VT.cast(d2.mul(d2)));
                    a3 = VT.cast(a3).add(VT.cast(d3.mul(d3)));
                    VT.cast(VT.cast(d0.div(denom)).mul(FloatVector.fromArray(F, w, i))).intoArray(o, off + i);
                    VT.cast(VT.cast(d1.div(denom)).mul(FloatVector.fromArray(F, w, i + L))).intoArray(o, off + i + L);
                    VT.cast(VT.cast(d2.div(denom)).mul(FloatVector.fromArray(F, w, i + 2 * L))).intoArray(o,
                            off + i + 2 * L);
                    VT.cast(VT.cast(d3.div(denom)).mul(FloatVector.fromArray(F, w, i + 3 * L))).intoArray(o,
                            off + i + 3 * L);
                }
                VT.cast(a0).intoArray(s, 0);
                VT.cast(a1).intoArray(s, L);
                VT.cast(a2).intoArray(s, 2 * L);
                VT.cast(a3).intoArray(s, 3 * L);
                denom = (float) Math.sqrt(LaneSums.combine(s) / N + 1e-6f);
            }
        });
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
