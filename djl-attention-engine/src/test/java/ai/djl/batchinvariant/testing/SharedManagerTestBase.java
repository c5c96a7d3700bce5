/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class sharing one BatchInvariant CPU manager across its methods. */
public abstract class SharedManagerTestBase {

    /** The class's manager. */
    protected static NDManager manager;

    /** Opens the manager. */
    @BeforeAll
    protected static void openSharedManager() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    /** Closes the manager and every array it holds. */
    @AfterAll
    protected static void closeSharedManager() {
        manager.close();
    }
}
