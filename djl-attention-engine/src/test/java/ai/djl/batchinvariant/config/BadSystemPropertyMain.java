/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.config;

import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import ai.djl.batchinvariant.engine.BiNDManager;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * Started in a fresh JVM with a bad {@code -Dai.djl.batchinvariant.fixed_split_size}: the engine
 * must come up, the first attention must fail with the option's message, and attention must work
 * once the property is fixed. Prints one line per step; exits 0 only if all went as expected.
 */
public final class BadSystemPropertyMain {

    private BadSystemPropertyMain() {}

    /**
     * Runs the steps.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Engine engine = Engine.getEngine("BatchInvariant");
        System.out.println("engine: " + engine.getEngineName());
        try (NDManager m = engine.newBaseManager()) {
            System.out.println("array: " + m.create(new float[] {1, 2}).add(1).toFloatArray()[1]);
            Block block = FusedAttentionBlock.builder().setEmbeddingSize(64).setHeadCount(1).build();
            Shape in = new Shape(1, 3, 64);
            block.initialize(m, DataType.FLOAT32, in);
            NDArray x = m.randomUniform(-1, 1, in);
            try {
                block.forward(new ParameterStore(m, false), new NDList(x), false);
                System.out.println("FAIL: attention ran with a bad property");
                System.exit(1);
            } catch (IllegalArgumentException e) {
                System.out.println("attention failed: " + e.getMessage());
            }
            try {
                ((BiNDManager) m).getOptions().getFixedSplitSize();
                System.out.println("FAIL: options read a bad property");
                System.exit(1);
            } catch (IllegalArgumentException e) {
                System.out.println("options failed: " + e.getMessage());
            }
            System.setProperty(EngineOptions.PROPERTY_PREFIX + EngineOptions.FIXED_SPLIT_SIZE, "256");
            NDArray out = block.forward(new ParameterStore(m, false), new NDList(x), false).head();
            System.out.println("after the fix: attention output " + out.getShape() + ", fixed_split_size="
                    + ((BiNDManager) m).getOptions().getFixedSplitSize());
        }
    }
}
