/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineProvider;

/** Registers the {@code BatchInvariant} engine with DJL's {@code ServiceLoader} lookup. */
public class BiEngineProvider implements EngineProvider {

    private static volatile Engine engine;

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return BiEngine.ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getEngineRank() {
        return BiEngine.RANK;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        if (engine == null) {
            synchronized (BiEngineProvider.class) {
                if (engine == null) {
                    engine = new BiEngine();
                }
            }
        }
        return engine;
    }
}
