/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * matMul, linear, softmax, logSoftmax and layerNorm called from a worker of an explicit
 * four-thread fork-join pool, so their row and column blocks spread over four threads even on a
 * machine with few cores: every run has the bits of the call made from an ordinary thread, and
 * that call has the float64 values. The pool's steal count shows the work really was split.
 */
class ForcedParallelOpsTest {

    private static final int M = 64;
    private static final int K = 387;
    private static final int N = 1100;
    private static final int ROW = 1000;
    private static ForkJoinPool pool;
    private static NDManager manager;
    private static float[] x;
    private static float[] w;
    private static float[] bias;
    private static float[] logits;
    private static float[] gamma;
    private static float[] beta;

    @BeforeAll
    static void setUp() {
        pool = new ForkJoinPool(4);
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
        Random rnd = new Random(23);
        x = gaussian(rnd, M * K, 1);
        w = gaussian(rnd, N * K, 0.5);
        bias = gaussian(rnd, N, 1);
        logits = gaussian(rnd, 300 * ROW, 4);
        gamma = gaussian(rnd, ROW, 1);
        beta = gaussian(rnd, ROW, 1);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        pool.shutdownNow();
    }

    private static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    /**
     * Calls {@code op} once from this thread and three times inside the pool; asserts equal raw
     * bits and that the pool stole work; returns the first result.
     */
    private static float[] sameBitsInPool(String what, Supplier<float[]> op) throws Exception {
        float[] plain = op.get();
        long steals = pool.getStealCount();
        // stealing is up to the scheduler: repeat (bounded) until blocks did run on other threads
        int runs = 0;
        for (int run = 0; run < 3 || pool.getStealCount() <= steals + runs && run < 200; run++) {
            runs++;
            float[] par = pool.submit(op::get).get();
            assertEquals(plain.length, par.length, what);
            for (int i = 0; i < plain.length; i++) {
                if (Float.floatToRawIntBits(plain[i]) != Float.floatToRawIntBits(par[i])) {
                    throw new AssertionError(what + ": element " + i + " differs in pool run " + run
                            + ": " + plain[i] + " vs " + par[i]);
                }
            }
        }
        // each submission counts one steal; the op's own forked blocks must add more
        assertTrue(pool.getStealCount() > steals + runs, what + ": no block ran on another pool thread in " + runs
                + " runs");
        return plain;
    }

    @Test
    void matMulOver1100Columns() throws Exception {
        float[] b = new float[K * N];
        for (int o = 0; o < N; o++) {
            for (int i = 0; i < K; i++) {
                b[i * N + o] = w[o * K + i];
            }
        }
        float[] got = sameBitsInPool("matMul", () -> {
            try (NDManager m = manager.newSubManager()) {
                return m.create(x, new Shape(M, K)).matMul(m.create(b, new Shape(K, N))).toFloatArray();
            }
        });
        OpReferenceTest.assertProduct(OpReferenceTest.matMul(x, b, M, K, N), got, K, "matMul");
    }

    @Test
    void linearOver1100Outputs() throws Exception {
        float[] got = sameBitsInPool("linear", () -> {
            try (NDManager m = manager.newSubManager()) {
                NDArray xa = m.create(x, new Shape(M, K));
                return xa.getNDArrayInternal().linear(xa, m.create(w, new Shape(N, K)), m.create(bias)).head()
                        .toFloatArray();
            }
        });
        float[] wt = new float[K * N];
        for (int o = 0; o < N; o++) {
            for (int i = 0; i < K; i++) {
                wt[i * N + o] = w[o * K + i];
            }
        }
        double[][] ref = OpReferenceTest.matMul(x, wt, M, K, N);
        for (int i = 0; i < M * N; i++) {
            ref[0][i] += bias[i % N];
            ref[1][i] += Math.abs(bias[i % N]);
        }
        OpReferenceTest.assertProduct(ref, got, K + 1, "linear");
    }

    @Test
    void softmaxAndLogSoftmaxOf300Rows() throws Exception {
        float[] sm = sameBitsInPool("softmax", () -> {
            try (NDManager m = manager.newSubManager()) {
                return m.create(logits, new Shape(300, ROW)).softmax(-1).toFloatArray();
            }
        });
        OpReferenceTest.assertClose(OpReferenceTest.softmax(logits, ROW, false), sm, 1e-12, 2e-5, "softmax");
        float[] lsm = sameBitsInPool("logSoftmax", () -> {
            try (NDManager m = manager.newSubManager()) {
                return m.create(logits, new Shape(300, ROW)).logSoftmax(-1).toFloatArray();
            }
        });
        OpReferenceTest.assertClose(OpReferenceTest.softmax(logits, ROW, true), lsm, 3e-5, 2e-6, "logSoftmax");
    }

    @Test
    void layerNormOf300Rows() throws Exception {
        float[] got = sameBitsInPool("layerNorm", () -> {
            try (NDManager m = manager.newSubManager()) {
                NDArray a = m.create(logits, new Shape(300, ROW));
                return a.getNDArrayInternal().layerNorm(a, new Shape(ROW), m.create(gamma), m.create(beta), 1e-5f)
                        .head().toFloatArray();
            }
        });
        OpReferenceTest.assertClose(OpReferenceTest.layerNorm(logits, ROW, gamma, beta, 1e-5), got, 3e-5, 2e-5,
                "layerNorm");
    }
}
