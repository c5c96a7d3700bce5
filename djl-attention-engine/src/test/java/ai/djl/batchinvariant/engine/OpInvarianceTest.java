/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

/**
 * Row i of {@code linear}, {@code matMul}, {@code softmax}, {@code logSoftmax} and {@code
 * layerNorm} over M rows has the same bits as row i computed alone, for M from 1 to 257. The
 * inverse case runs the same check on a reduction whose split-K count follows M, and must find a
 * difference.
 */
class OpInvarianceTest {

    private static final int[] ROWS = {1, 2, 3, 5, 8, 17, 31, 64, 100, 128, 257};
    private static final int K = 384;
    private static NDManager manager;
    private static NDArray weight;
    private static NDArray bias;
    private static NDArray gamma;
    private static NDArray beta;
    private static NDArray rhs;

    @BeforeAll
    static void setUp() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
        Engine.getEngine("BatchInvariant").setRandomSeed(5);
        weight = manager.randomNormal(new Shape(200, K));
        bias = manager.randomNormal(new Shape(200));
        gamma = manager.randomNormal(new Shape(K));
        beta = manager.randomNormal(new Shape(K));
        rhs = manager.randomNormal(new Shape(K, 96));
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Elements of op(x)[i] that differ from op(x[i]) over a sample of rows. */
    static long rowDiffs(UnaryOperator<NDArray> op, NDArray x) {
        long m = x.getShape().get(0);
        float[] all = op.apply(x).toFloatArray();
        int width = (int) (all.length / m);
        long diffs = 0;
        for (long i = 0; i < m; i += Math.max(1, m / 7)) {
            float[] solo = op.apply(x.get(new NDIndex("{}:{}", i, i + 1))).toFloatArray();
            for (int j = 0; j < width; j++) {
                if (Float.floatToRawIntBits(solo[j]) != Float.floatToRawIntBits(all[(int) i * width + j])) {
                    diffs++;
                }
            }
        }
        return diffs;
    }

    private static long sweep(UnaryOperator<NDArray> op) {
        long diffs = 0;
        for (int m : ROWS) {
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.randomNormal(new Shape(m, K)).mul(3f);
                diffs += rowDiffs(op, x);
            }
        }
        return diffs;
    }

    @Test
    void linearIsRowInvariant() {
        assertEquals(0, sweep(x -> x.getNDArrayInternal().linear(x, weight, bias).head()));
    }

    @Test
    void matMulIsRowInvariant() {
        assertEquals(0, sweep(x -> x.matMul(rhs)));
    }

    @Test
    void batchedMatMulIsRowInvariant() {
        NDArray b = manager.randomNormal(new Shape(2, 3, K, 40));
        assertEquals(0, sweep(x -> x.reshape(1, 1, -1, K).matMul(b).transpose(2, 0, 1, 3).reshape(x.getShape().get(0), -1)));
    }

    @Test
    void softmaxIsRowInvariant() {
        assertEquals(0, sweep(x -> x.softmax(-1)));
        assertEquals(0, sweep(x -> x.logSoftmax(1)));
    }

    @Test
    void layerNormIsRowInvariant() {
        assertEquals(0, sweep(x -> x.getNDArrayInternal().layerNorm(x, new Shape(K), gamma, beta, 1e-5f).head()));
    }

    /** A row sum split into chunks whose count grows with M, as size-chosen split-K would. */
    private static NDArray batchSizedSplitSum(NDArray x) {
        long m = x.getShape().get(0);
        int splits = (int) Math.min(K, 1 + m / 4);
        int chunk = (K + splits - 1) / splits;
        NDList parts = new NDList();
        for (int s = 0; s * chunk < K; s++) {
            parts.add(x.get(new NDIndex(":, {}:{}", s * chunk, Math.min(K, (s + 1) * chunk))).sum(new int[] {1}, true));
        }
        NDArray acc = parts.get(parts.size() - 1);
        for (int i = parts.size() - 2; i >= 0; i--) {
            acc = parts.get(i).add(acc);
        }
        return acc;
    }

    @Test
    void inverseBatchSizedSplitKIsCaught() {
        assertTrue(sweep(OpInvarianceTest::batchSizedSplitSum) > 0, "a split-K count chosen from M must change bits");
        assertEquals(0, sweep(x -> x.sum(new int[] {1}, true)), "the engine's own row sum is invariant");
    }
}
