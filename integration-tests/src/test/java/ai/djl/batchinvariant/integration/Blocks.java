/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Random;

/** Moving DJL blocks' parameters between engines through DJL's own parameter format. */
final class Blocks {

    private Blocks() {}

    /** Initializes a block and overwrites every parameter (running statistics too) with seeded values. */
    static void initRandom(Block block, NDManager m, long seed, Shape... inputShapes) {
        block.initialize(m, DataType.FLOAT32, inputShapes);
        Random r = new Random(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean variance = p.getKey().toLowerCase().contains("var");
            for (int i = 0; i < v.length; i++) {
                double g = r.nextGaussian() * 0.2;
                v[i] = (float) (variance ? 0.5 + Math.abs(g) : g);
            }
            a.set(FloatBuffer.wrap(v));
        }
    }

    /** Serialises a block's parameters in DJL's format. */
    static byte[] save(Block block) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream dos = new DataOutputStream(bos)) {
            block.saveParameters(dos);
        }
        return bos.toByteArray();
    }

    /** Initializes a block on a manager and loads saved parameters into it. */
    static void load(Block block, NDManager m, byte[] params, Shape... inputShapes)
            throws IOException, MalformedModelException {
        block.initialize(m, DataType.FLOAT32, inputShapes);
        try (DataInputStream dis = new DataInputStream(new ByteArrayInputStream(params))) {
            block.loadParameters(m, dis);
        }
    }

    /** Inference forward pass. */
    static NDArray forward(Block block, NDManager m, NDArray... inputs) {
        return block.forward(new ParameterStore(m, false), new NDList(inputs), false).head();
    }
}
