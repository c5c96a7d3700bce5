/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.arch;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The house of docs/architecture.md, enforced: imports point down only, no package cycles, and
 * one place (backend.dispatch) names the backend implementations.
 */
class LayeringTest {

    private static final String ROOT = "ai.djl.batchinvariant";
    private static JavaClasses classes;

    @BeforeAll
    static void importMain() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    /** The layers from the top down. */
    static ArchRule layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy(ROOT + ".cli..")
                .layer("zoo").definedBy(ROOT + ".zoo..")
                .layer("engine").definedBy(ROOT + ".engine..")
                .layer("model").definedBy(ROOT + ".model..")
                .layer("nn").definedBy(ROOT + ".nn..")
                .layer("attention").definedBy(ROOT + ".attention..")
                .layer("dispatch").definedBy(ROOT + ".backend.dispatch..")
                .layer("cpu").definedBy(ROOT + ".backend.cpu..")
                .layer("cuda").definedBy(ROOT + ".backend.cuda..")
                .layer("spi").definedBy(ROOT + ".backend")
                .layer("config").definedBy(ROOT + ".config..")
                .layer("tensor").definedBy(ROOT + ".tensor..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("zoo").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("model").mayOnlyBeAccessedByLayers("engine", "zoo", "cli")
                .whereLayer("nn").mayOnlyBeAccessedByLayers("engine", "model")
                .whereLayer("attention").mayOnlyBeAccessedByLayers("engine", "model", "nn")
                .whereLayer("dispatch").mayOnlyBeAccessedByLayers("engine", "nn", "attention")
                .whereLayer("cpu").mayOnlyBeAccessedByLayers("dispatch")
                .whereLayer("cuda").mayOnlyBeAccessedByLayers("dispatch")
                .whereLayer("spi").mayOnlyBeAccessedByLayers("engine", "nn", "attention", "dispatch", "cpu", "cuda")
                .whereLayer("config").mayOnlyBeAccessedByLayers("engine", "model", "nn", "attention", "dispatch", "cpu", "cuda",
                        "spi")
                .whereLayer("tensor").mayOnlyBeAccessedByLayers("engine", "model", "nn", "attention", "dispatch", "cpu",
                        "cuda", "spi", "config");
    }

    @Test
    void importsPointDown() {
        layers().check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theRuleCatchesAnUpwardImport() {
        // the same rule over a class that reaches up (this test's own fixture) must fail
        JavaClasses withUpward = new ClassFileImporter().importClasses(
                ai.djl.batchinvariant.tensor.upward.ReachesUp.class, ai.djl.batchinvariant.engine.BiNDArray.class);
        assertThrows(AssertionError.class, () -> layers().check(withUpward));
    }
}
