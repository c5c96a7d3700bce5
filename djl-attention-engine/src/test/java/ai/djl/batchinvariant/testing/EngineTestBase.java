/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test with a fresh BatchInvariant CPU manager per test method, closed after it. */
public abstract class EngineTestBase {

    /** The test's manager. */
    protected NDManager manager;

    /** Opens the manager. */
    @BeforeEach
    protected void openManager() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    /** Closes the manager and every array it holds. */
    @AfterEach
    protected void closeManager() {
        manager.close();
    }
}
