/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.function.Function;

/**
 * {@link CapturedGraph} on the CPU, where replay runs the step eagerly: replayed outputs equal an
 * eager run bit for bit, inputs are checked by count, shape and type (naming the input), and the
 * graph's arrays are released with it. The GPU half is {@code GpuCapturedGraphTest}.
 */
class CapturedGraphTest {

    static final Function<NDList, NDList> STEP = in -> {
        NDArray x = in.get(0);
        NDArray w = in.get(1);
        NDArray h = x.matMul(w).add(0.5f).tanh();
        return new NDList(h.softmax(-1), h.sum(new int[] {1}));
    };

    static NDList values(NDManager m, long seed) {
        NDArray x = m.randomNormal(0, 1, new Shape(5, 16), DataType.FLOAT32);
        NDArray w = m.randomNormal(0, 1, new Shape(16, 8), DataType.FLOAT32);
        return new NDList(x, w);
    }

    static int[] bits(NDArray a) {
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    @Test
    void replayEqualsEagerAndChecksItsInputs() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDList example = values(m, 1);
            try (CapturedGraph g = CapturedGraph.capture(m, STEP, example)) {
                for (int trial = 0; trial < 3; trial++) {
                    NDList in = values(m, 10 + trial);
                    NDList eager = STEP.apply(in);
                    NDList out = g.replay(in);
                    for (int i = 0; i < eager.size(); i++) {
                        assertArrayEquals(bits(eager.get(i)), bits(out.get(i)), "output " + i + ", trial " + trial);
                    }
                }
                IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                        () -> g.replay(new NDList(example.get(0))));
                assertTrue(count.getMessage().contains("2 inputs"), count.getMessage());
                NDArray wrong = m.zeros(new Shape(5, 17));
                IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                        () -> g.replay(new NDList(wrong, example.get(1))));
                assertTrue(shape.getMessage().contains("input 0") && shape.getMessage().contains("(5, 17)"),
                        shape.getMessage());
                NDArray halves = example.get(0).toType(DataType.FLOAT16, false);
                IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                        () -> g.replay(new NDList(halves, example.get(1))));
                assertTrue(type.getMessage().contains("float16") && type.getMessage().contains("float32"),
                        type.getMessage());
                assertEquals(0, g.getDeviceBytes());
                // new values written into the graph's own inputs, then replayed without a copy
                NDList fresh = values(m, 20);
                g.getInputs().get(0).set(fresh.get(0).toFloatArray());
                g.getInputs().get(1).set(fresh.get(1).toFloatArray());
                NDList eager = STEP.apply(fresh);
                NDList out = g.replay();
                for (int i = 0; i < eager.size(); i++) {
                    assertArrayEquals(bits(eager.get(i)), bits(out.get(i)), "replay() output " + i);
                }
            }
        }
    }

    @Test
    void closingTheGraphReleasesItsArraysButNotTheCallers() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDList example = values(m, 3);
            NDList out;
            try (CapturedGraph g = CapturedGraph.capture(m, STEP, example)) {
                out = g.replay(values(m, 4));
                assertEquals(new Shape(5, 8), out.get(0).getShape());
                assertEquals(new Shape(5), out.get(1).getShape());
            }
            assertTrue(out.get(0).isReleased(), "outputs belong to the graph");
            assertTrue(!example.get(0).isReleased(), "the example stays the caller's");
            assertEquals(5 * 16, example.get(0).toFloatArray().length);
        }
    }

    @Test
    void aStepThatFailsIsReportedAndLeavesNothingBehind() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDList example = values(m, 2);
            RuntimeException e = assertThrows(RuntimeException.class, () -> CapturedGraph.capture(m, in -> {
                throw new IllegalArgumentException("bad step");
            }, example));
            assertEquals("bad step", e.getMessage());
            assertEquals(new Shape(5, 16), example.get(0).getShape(), "the example is the caller's, untouched");
        }
    }
}
