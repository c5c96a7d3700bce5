/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A generation suite's model: the bundled tiny-llama on the CPU, loaded once per class and closed
 * after it. A subclass that needs another model or device declares its own static {@code load()}
 * (which hides this one) and assigns {@link #zoo} and {@link #model}.
 */
abstract class LoadedModelTest {

    static ZooModel<NDList, NDList> zoo;
    static LlamaModel model;

    @BeforeAll
    static void load() throws Exception {
        zoo = Fixtures.load(Fixtures.dir("tiny-llama"));
        model = Fixtures.model(zoo);
    }

    @AfterAll
    static void close() {
        if (zoo != null) {
            zoo.close();
            zoo = null;
        }
    }
}
