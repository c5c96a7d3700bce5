/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.integration.diff.DiffOutcome.Kind;
import ai.djl.batchinvariant.integration.diff.DiffOutcome.Verdict;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A slice of the differential suite sized for mutation testing: a quarter of each operation's
 * generated cases (every fourth in generation order, so the data types and shapes rotate) plus
 * every case on the special-value operand (signed zeros, infinities, NaN), checked against DJL's
 * PyTorch engine with the verdicts of {@link DiffSuiteTest}.
 *
 * <p>The cases are split into {@value #GROUPS} test methods by DJL method name, so that PIT reruns
 * only the groups whose cases reach a mutated line rather than the whole suite, which is why it
 * exists next to {@link DiffSuiteTest} (a single test factory PIT must rerun whole). It carries the
 * tag {@code pit}, left out of the default build, where {@link DiffSuiteTest} runs every case.
 */
@Tag("pit")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiffSliceTest {

    static final int GROUPS = 16;

    private NDManager ours;
    private NDManager torch;
    private List<List<DiffCase>> groups;
    private Map<String, String> known;

    @BeforeAll
    void setUp() {
        ours = Engine.getEngine("BatchInvariant").newBaseManager();
        torch = Engine.getEngine("PyTorch").newBaseManager();
        known = DiffKnown.cpu();
        groups = slice(DiffOps.cases());
    }

    @AfterAll
    void tearDown() {
        ours.close();
        torch.close();
    }

    /** Every fourth case of each operation label plus its special-value cases, grouped by method. */
    static List<List<DiffCase>> slice(List<DiffCase> all) {
        Map<String, Integer> seen = new HashMap<>();
        List<String> apis = new ArrayList<>(new TreeSet<>(all.stream().map(c -> c.op.api).toList()));
        List<List<DiffCase>> out = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            out.add(new ArrayList<>());
        }
        for (DiffCase c : all) {
            int i = seen.merge(c.op.label, 1, Integer::sum) - 1;
            if (i % 4 == 0 || c.name.contains(DiffTable.SPECIAL_NAME)) {
                // contiguous runs of the sorted method names, so related methods share a group
                out.get(apis.indexOf(c.op.api) * GROUPS / apis.size()).add(c);
            }
        }
        return out;
    }

    private void run(int group) {
        List<String> failures = new ArrayList<>();
        for (DiffCase c : groups.get(group)) {
            Verdict v = DiffSuiteTest.verdict(c, ours, torch);
            boolean listed = known.containsKey(c.name);
            if (listed && v.kind != Kind.FAIL) {
                failures.add(c.name + " is a known divergence but now ends " + v);
            } else if (!listed && v.kind == Kind.FAIL) {
                failures.add(c.name + ": " + v.detail);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + groups.get(group).size() + " cases: "
                + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
    }

    @Test
    void group00() {
        run(0);
    }

    @Test
    void group01() {
        run(1);
    }

    @Test
    void group02() {
        run(2);
    }

    @Test
    void group03() {
        run(3);
    }

    @Test
    void group04() {
        run(4);
    }

    @Test
    void group05() {
        run(5);
    }

    @Test
    void group06() {
        run(6);
    }

    @Test
    void group07() {
        run(7);
    }

    @Test
    void group08() {
        run(8);
    }

    @Test
    void group09() {
        run(9);
    }

    @Test
    void group10() {
        run(10);
    }

    @Test
    void group11() {
        run(11);
    }

    @Test
    void group12() {
        run(12);
    }

    @Test
    void group13() {
        run(13);
    }

    @Test
    void group14() {
        run(14);
    }

    @Test
    void group15() {
        run(15);
    }
}
