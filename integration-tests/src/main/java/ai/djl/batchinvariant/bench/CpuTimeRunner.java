/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of this engine's attention on one thread, a figure that other work on a shared machine
 * disturbs far less than wall time. Run with {@code
 * -Djava.util.concurrent.ForkJoinPool.common.parallelism=1} so the engine computes on the calling
 * thread; each argument is {@code mode:batch:kvLen:impl:reps} of {@link CpuAttentionBenchmark}, e.g.
 * {@code decode:16:2048:invariant:20}. Prints the best and the mean milliseconds over the reps
 * after as many warm-up calls.
 */
public final class CpuTimeRunner {

    private CpuTimeRunner() {}

    /**
     * Runs the cases.
     *
     * @param args the cases
     */
    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String spec : args) {
            String[] p = spec.split(":");
            CpuAttentionBenchmark b = new CpuAttentionBenchmark();
            b.mode = p[0];
            b.batch = Integer.parseInt(p[1]);
            b.kvLen = Integer.parseInt(p[2]);
            b.impl = p[3];
            int reps = Integer.parseInt(p[4]);
            b.setUp();
            for (int i = 0; i < reps; i++) {
                b.attention();
            }
            double best = Double.MAX_VALUE;
            double sum = 0;
            for (int i = 0; i < reps; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                b.attention();
                double ms = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                best = Math.min(best, ms);
                sum += ms;
            }
            System.out.printf("%s thread CPU ms: best %.2f, mean %.2f%n", spec, best, sum / reps);
            b.tearDown();
        }
    }
}
