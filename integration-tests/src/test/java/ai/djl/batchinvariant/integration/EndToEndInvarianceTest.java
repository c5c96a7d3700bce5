/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A DJL model's attention layer ({@link FusedAttentionBlock}, projections included) gives every
 * sequence the same bits whatever batch it is in: alone, with others of other lengths (padding
 * masks), in any order. The inverse case (AUTO split) must differ.
 */
class EndToEndInvarianceTest {

    private static final int E = 256;
    private static final int T = 300;

    private static long diffs(SplitPolicy policy) throws Exception {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            Block block = FusedAttentionBlock.builder().setEmbeddingSize(E).setHeadCount(4).optSplitPolicy(policy).build();
            Blocks.initRandom(block, m, 3, new Shape(1, T, E));
            int[] lens = {300, 17, 129, 260, 1, 64};
            NDArray x = CrossEngine.data(m, 8, 1, lens.length, T, E);
            NDArray mask = padding(m, lens);
            NDArray full = Blocks.forward(block, m, x, mask);
            long diffs = 0;
            Random rnd = new Random(4);
            for (int trial = 0; trial < 3; trial++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < lens.length; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, rnd);
                List<Integer> pick = order.subList(0, 1 + rnd.nextInt(lens.length));
                NDList xs = new NDList();
                int[] sub = new int[pick.size()];
                for (int i = 0; i < pick.size(); i++) {
                    xs.add(x.get(new NDIndex("{}:{}", pick.get(i), pick.get(i) + 1)));
                    sub[i] = lens[pick.get(i)];
                }
                NDArray out = Blocks.forward(block, m, NDArrays.concat(xs, 0), padding(m, sub));
                for (int i = 0; i < pick.size(); i++) {
                    float[] a = full.get(new NDIndex("{}", pick.get(i))).toFloatArray();
                    float[] b = out.get(new NDIndex("{}", i)).toFloatArray();
                    for (int j = 0; j < a.length; j++) {
                        if (Float.floatToRawIntBits(a[j]) != Float.floatToRawIntBits(b[j])) {
                            diffs++;
                        }
                    }
                }
            }
            return diffs;
        }
    }

    private static NDArray padding(NDManager m, int[] lens) {
        float[] mask = new float[lens.length * T * T];
        for (int b = 0; b < lens.length; b++) {
            for (int t = 0; t < T; t++) {
                for (int f = 0; f < lens[b]; f++) {
                    mask[(b * T + t) * T + f] = 1;
                }
            }
        }
        return m.create(mask, new Shape(lens.length, T, T)).toType(DataType.INT32, false);
    }

    @Test
    void sequencesAreBitwiseEqualInAnyBatch() throws Exception {
        assertEquals(0, diffs(SplitPolicy.fixed(128)));
    }

    @Test
    void inverseAutoSplitDiffers() throws Exception {
        assertTrue(diffs(SplitPolicy.auto()) > 0, "AUTO split must change bits with the batch");
    }
}
