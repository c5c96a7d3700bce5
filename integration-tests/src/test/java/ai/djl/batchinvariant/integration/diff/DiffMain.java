/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.batchinvariant.integration.diff.DiffOutcome.Verdict;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * Runs the differential cases outside JUnit and prints every verdict that is not a pass, one per
 * line ({@code name  # verdict}), in the format of known-divergences.txt. Arguments: optional
 * substrings; only cases whose name contains one of them run. With {@code -v}, each case name is
 * printed before it runs (to find a case that crashes the JVM).
 */
public final class DiffMain {

    private DiffMain() {}

    /**
     * Entry point.
     *
     * @param args {@code [-v] [substring...]}
     */
    public static void main(String[] args) {
        boolean verbose = args.length > 0 && "-v".equals(args[0]);
        int from = verbose ? 1 : 0;
        try (NDManager ours = Engine.getEngine("BatchInvariant").newBaseManager();
                NDManager torch = Engine.getEngine("PyTorch").newBaseManager()) {
            int n = 0;
            for (DiffCase c : DiffOps.cases()) {
                boolean pick = args.length == from;
                for (int i = from; i < args.length; i++) {
                    pick |= c.name.contains(args[i]);
                }
                if (!pick) {
                    continue;
                }
                if (verbose) {
                    System.err.println("RUN " + c.name);
                    System.err.flush();
                }
                n++;
                Verdict v = DiffSuiteTest.verdict(c, ours, torch);
                if (v.kind != DiffOutcome.Kind.PASS) {
                    System.out.println(c.name + "  # " + v.toString().replace('\n', ' '));
                }
            }
            System.err.println(n + " cases");
        }
    }
}
