/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * A NaN or infinity in one request's query or keys stays in that request (and in the query heads
 * that read the poisoned KV head): every other request and head keeps its bits.
 */
class NonFiniteInputTest {

    private static final int HQ = 4;
    private static final int HKV = 2;
    private static final int D = 64;
    private static final int PAGE = 8;
    private static final int[] LENS = {20, 9, 33};

    private static float[] decode(float[] keys, float[] q) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(D).optCausal(true).build();
        BatchAttention attn = new BatchAttention(spec);
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager();
                PagedKvCache cache = PagedKvCache.create(m, 12, PAGE, HKV, D, KvLayout.NHD, DataType.FLOAT32)) {
            int[] indptr = new int[LENS.length + 1];
            int[] last = new int[LENS.length];
            int page = 0;
            int total = 0;
            for (int l : LENS) {
                total += l;
            }
            int[] pages = new int[12];
            for (int r = 0; r < LENS.length; r++) {
                int n = (LENS[r] + PAGE - 1) / PAGE;
                for (int i = 0; i < n; i++) {
                    pages[indptr[r] + i] = page++;
                }
                indptr[r + 1] = indptr[r] + n;
                last[r] = (LENS[r] - 1) % PAGE + 1;
            }
            int[] idx = java.util.Arrays.copyOf(pages, indptr[LENS.length]);
            int[] appendIndptr = new int[LENS.length + 1];
            for (int r = 0; r < LENS.length; r++) {
                appendIndptr[r + 1] = appendIndptr[r] + LENS[r];
            }
            cache.append(m.create(keys, new Shape(total, HKV, D)), m.create(keys, new Shape(total, HKV, D)),
                    appendIndptr, indptr, idx, last);
            BatchPlan plan = attn.planDecode(indptr, idx, last, PAGE);
            try (AttentionOutput out = attn.run(plan, m.create(q, new Shape(LENS.length, HQ, D)), cache)) {
                return out.getOutput().toFloatArray();
            }
        }
    }

    private static float[] random(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Which (request, head) rows differ in their bits between two outputs. */
    private static boolean[][] differing(float[] a, float[] b) {
        boolean[][] d = new boolean[LENS.length][HQ];
        for (int r = 0; r < LENS.length; r++) {
            for (int h = 0; h < HQ; h++) {
                for (int x = 0; x < D; x++) {
                    int i = (r * HQ + h) * D + x;
                    d[r][h] |= Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]);
                }
            }
        }
        return d;
    }

    @Test
    void nanInOneQueryHeadStaysInThatRow() {
        float[] keys = random(62 * HKV * D, 1);
        float[] q = random(LENS.length * HQ * D, 2);
        float[] clean = decode(keys, q);
        float[] bad = q.clone();
        bad[(1 * HQ + 2) * D + 5] = Float.NaN;
        float[] out = decode(keys, bad);
        boolean[][] d = differing(clean, out);
        for (int r = 0; r < LENS.length; r++) {
            for (int h = 0; h < HQ; h++) {
                assertEquals(r == 1 && h == 2, d[r][h], "request " + r + ", head " + h);
            }
        }
        assertTrue(Float.isNaN(out[(1 * HQ + 2) * D]));
    }

    @Test
    void infinityInOneRequestsKeysStaysInThatRequestAndKvHead() {
        float[] keys = random(62 * HKV * D, 3);
        float[] q = random(LENS.length * HQ * D, 4);
        float[] clean = decode(keys, q);
        float[] bad = keys.clone();
        // request 2's first token (row LENS[0] + LENS[1]), KV head 1
        bad[((LENS[0] + LENS[1]) * HKV + 1) * D + 7] = Float.POSITIVE_INFINITY;
        boolean[][] d = differing(clean, decode(bad, q));
        for (int r = 0; r < LENS.length; r++) {
            for (int h = 0; h < HQ; h++) {
                // query heads 2 and 3 read KV head 1
                assertEquals(r == 2 && h >= 2, d[r][h], "request " + r + ", head " + h);
            }
        }
    }
}
