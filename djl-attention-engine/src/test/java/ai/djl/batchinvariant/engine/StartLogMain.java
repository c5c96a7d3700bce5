/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/** Started in a fresh JVM: starts the engine, uses it once, prints the GPU count. */
public final class StartLogMain {

    private StartLogMain() {}

    /**
     * Starts the engine.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Engine engine = Engine.getEngine("BatchInvariant");
        try (NDManager m = engine.newBaseManager()) {
            m.create(new float[] {1, 2}).add(1);
        }
        System.out.println("gpus=" + engine.getGpuCount());
    }
}
