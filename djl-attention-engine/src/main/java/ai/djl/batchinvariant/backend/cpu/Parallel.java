/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Runs independent work items on the fork-join pool of the calling worker thread, or on the common
 * pool together with the calling thread when the caller is not a pool worker (the common pool of
 * an n-core machine has n - 1 workers: without the caller one core would sit idle). Each item owns
 * a disjoint set of outputs and computes them start to finish, so the number of threads and the
 * way items are scheduled never change any result: a reduction is never split across items.
 */
public final class Parallel {

    private Parallel() {}

    /**
     * Calls {@code body} for every index in [0, n), in parallel when the total cost is large.
     *
     * @param n the number of items
     * @param costPerItem a rough count of floating-point operations per item
     * @param body the work for one item
     */
    public static void forEach(int n, long costPerItem, IntConsumer body) {
        if (n <= 0) {
            return;
        }
        int threads = threads();
        if (n == 1 || threads <= 1 || costPerItem * n < 200_000L) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        int grain = (int) Math.max(1, Math.min(n / (4L * threads), 1_000_000L / Math.max(1, costPerItem)));
        // invoke() runs the root on this thread (or in this worker's pool); the halves it forks go
        // to the pool
        new Range(0, n, Math.max(1, grain), body).invoke();
    }

    /**
     * The threads {@link #forEach} would use from the calling thread: a pool worker's pool, or the
     * common pool's workers and the caller.
     *
     * @return the thread count
     */
    public static int threads() {
        // a caller inside a pool (e.g. a server's executor) keeps its work in that pool
        if (ForkJoinTask.inForkJoinPool()) {
            return ForkJoinTask.getPool().getParallelism();
        }
        ForkJoinPool pool = ForkJoinPool.commonPool();
        return Math.min(pool.getParallelism() + 1, Runtime.getRuntime().availableProcessors());
    }

    private static final class Range extends RecursiveAction {

        private static final long serialVersionUID = 1L;
        private final int from;
        private final int to;
        private final int grain;
        private final transient IntConsumer body;

        Range(int from, int to, int grain, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.grain = grain;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                for (int i = from; i < to; i++) {
                    body.accept(i);
                }
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(from, mid, grain, body), new Range(mid, to, grain, body));
        }
    }
}
