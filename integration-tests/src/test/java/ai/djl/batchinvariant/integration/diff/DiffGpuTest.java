/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.integration.diff.DiffOutcome.Kind;
import ai.djl.batchinvariant.integration.diff.DiffOutcome.Verdict;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.opentest4j.TestAbortedException;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The differential cases of the methods the CUDA backend runs ({@link DiffOpsDoc#GPU}), with our
 * arrays on {@code Device.gpu(0)}. The reference is DJL's PyTorch engine on the CPU where its
 * native library loads; elsewhere (a GPU host without libtorch) it is this engine's CPU backend,
 * which {@link DiffSuiteTest} holds to PyTorch for every case not listed as a known divergence.
 * Every case must match or be refused by name, except the GPU divergences listed with the prefix
 * {@code gpu:} in known-divergences.txt, which must still diverge; known CPU divergences are
 * skipped here. Skips without a CUDA device.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiffGpuTest {

    private NDManager ours;
    private NDManager reference;
    private boolean referenceIsTorch;
    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);

    @BeforeAll
    void setUp() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        ours = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0));
        try {
            reference = Engine.getEngine("PyTorch").newBaseManager();
            referenceIsTorch = true;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            System.out.println("[diff-gpu] PyTorch engine unavailable (" + e.getMessage()
                    + "); reference: this engine's CPU backend");
            reference = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu());
        }
    }

    @AfterAll
    void tearDown() {
        if (ours != null) {
            ours.close();
            reference.close();
            System.out.println("[diff-gpu] verdicts: " + counts);
        }
    }

    @TestFactory
    Stream<DynamicTest> differentialOnGpu() {
        Map<String, String> known = DiffKnown.cpu();
        Map<String, String> knownGpu = DiffKnown.gpu();
        List<DiffCase> cases = DiffOps.cases().stream()
                .filter(c -> DiffOpsDoc.GPU.containsKey(c.op.method()))
                .collect(Collectors.toList());
        System.out.println("[diff-gpu] " + cases.size() + " cases over "
                + cases.stream().map(c -> c.op.api).distinct().count() + " methods");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name, () -> {
            if (known.containsKey(c.name)) {
                throw new TestAbortedException("known CPU divergence: " + known.get(c.name));
            }
            Verdict v = referenceIsTorch ? DiffSuiteTest.verdict(c, ours, reference)
                    : DiffOutcome.compare(c.op, c.run(ours), c.run(reference));
            counts.merge(v.kind, 1, Integer::sum);
            if (knownGpu.containsKey(c.name)) {
                if (v.kind != Kind.FAIL) {
                    fail(c.name + " is listed as gpu: in known-divergences.txt (" + knownGpu.get(c.name) + ") but now ends "
                            + v.kind + " on " + Device.gpu(0) + ": remove it from the list");
                }
                return;
            }
            if (v.kind == Kind.FAIL) {
                fail(c.name + " on " + Device.gpu(0) + ": " + v.detail);
            } else if (v.kind == Kind.SKIPPED) {
                throw new TestAbortedException(v.detail);
            }
        }));
    }
}
