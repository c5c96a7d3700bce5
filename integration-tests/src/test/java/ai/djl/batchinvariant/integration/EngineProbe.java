/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import ai.djl.engine.Engine;

/** Prints the default engine's name; run in a child JVM to test engine selection. */
public final class EngineProbe {

    private EngineProbe() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.println("ENGINE=" + Engine.getInstance().getEngineName());
    }
}
