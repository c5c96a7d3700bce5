/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.batchinvariant.integration.diff.DiffOutcome.Kind;
import ai.djl.batchinvariant.integration.diff.DiffOutcome.Verdict;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The generated differential suite: every case of {@link DiffOps} runs on this engine (CPU) and on
 * DJL's PyTorch engine from identical input bytes, and the outcomes are compared as {@link
 * DiffOutcome} describes with the tolerances of {@link DiffTolerance}. Cases listed in {@code
 * diff/known-divergences.txt} must still diverge; every other case must match, be refused by name,
 * or be one the reference cannot run. Every non-passing verdict is also written to {@code
 * target/diff-report.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiffSuiteTest {

    private NDManager ours;
    private NDManager torch;
    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    private final Map<String, String> report = new TreeMap<>();
    private int knownStillFailing;

    @BeforeAll
    void setUp() {
        ours = Engine.getEngine("BatchInvariant").newBaseManager();
        torch = Engine.getEngine("PyTorch").newBaseManager();
    }

    @AfterAll
    void tearDown() throws IOException {
        ours.close();
        torch.close();
        System.out.println("[diff] verdicts: " + counts + ", of which known divergences " + knownStillFailing);
        Path target = Paths.get("target");
        if (Files.isDirectory(target)) {
            List<String> lines = new ArrayList<>();
            report.forEach((k, v) -> lines.add(k + "  # " + v));
            Files.write(target.resolve("diff-report.txt"), lines, StandardCharsets.UTF_8);
        }
    }

    /** Runs a case on both engines and compares. */
    static Verdict verdict(DiffCase c, NDManager ours, NDManager torch) {
        DiffOutcome ref = reference(c, torch);
        DiffOutcome mine = c.run(ours);
        if (c.involvesBfloat16()) {
            if (ref.error == null && ref.arrays == null) {
                return new Verdict(Kind.SKIPPED, "bfloat16 reference is emulated in float32: only array results compare");
            }
            if (mine.error != null && String.valueOf(mine.error.getMessage()).contains("bfloat16")
                    && mine.error.getStackTrace().length > 0
                    && mine.error.getStackTrace()[0].getClassName().startsWith("ai.djl.ndarray.")) {
                return new Verdict(Kind.SKIPPED, "DJL's own code rejects bfloat16 on any engine: "
                        + DiffOutcome.describe(mine.error));
            }
        }
        return DiffOutcome.compare(c.op, mine, ref);
    }

    /**
     * The PyTorch outcome of a case. DJL 0.36's PyTorch engine aborts the JVM on any bfloat16
     * tensor (created, cast to or zero-filled), so a case involving bfloat16 runs on the reference
     * with float32 arrays holding the same values, and results that follow the input type are
     * rounded to bfloat16 once (see {@link DiffOutcome#bfloat16Reference}).
     */
    static DiffOutcome reference(DiffCase c, NDManager torch) {
        if (!c.involvesBfloat16()) {
            return c.run(torch);
        }
        return DiffOutcome.bfloat16Reference(c.run(torch, DataType.FLOAT32), c.run(torch, DataType.FLOAT16));
    }

    @TestFactory
    Stream<DynamicTest> differential() {
        List<DiffCase> cases = DiffOps.cases();
        Map<String, String> known = DiffKnown.cpu();
        System.out.println("[diff] " + cases.size() + " generated cases over "
                + cases.stream().map(c -> c.op.api).distinct().count() + " methods; " + known.size()
                + " known divergences");
        Stream<DynamicTest> list = Stream.of(DynamicTest.dynamicTest("known-divergences.txt names generated cases", () -> {
            Set<String> names = cases.stream().map(c -> c.name).collect(Collectors.toSet());
            Set<String> stale = new TreeSet<>(known.keySet());
            stale.addAll(DiffKnown.gpu().keySet());
            stale.removeAll(names);
            assertTrue(stale.isEmpty(), "known-divergences.txt lists cases that are not generated: " + stale);
        }));
        return Stream.concat(list, cases.stream().map(c -> DynamicTest.dynamicTest(c.name, () -> check(c, known))));
    }

    private void check(DiffCase c, Map<String, String> known) {
        Verdict v = verdict(c, ours, torch);
        counts.merge(v.kind, 1, Integer::sum);
        if (v.kind != Kind.PASS) {
            report.put(c.name, v.toString().replace('\n', ' '));
        }
        if (known.containsKey(c.name)) {
            if (v.kind != Kind.FAIL) {
                fail(c.name + " is listed in known-divergences.txt (" + known.get(c.name) + ") but now "
                        + (v.kind == Kind.PASS ? "matches PyTorch" : "ends " + v) + ": remove it from the list");
            }
            knownStillFailing++;
            return;
        }
        if (v.kind == Kind.FAIL) {
            fail(c.name + ": " + v.detail);
        } else if (v.kind == Kind.SKIPPED) {
            throw new TestAbortedException(v.detail);
        }
    }
}
