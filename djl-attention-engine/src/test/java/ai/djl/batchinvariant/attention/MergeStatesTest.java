/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * {@link MergeStates} is the merge batch attention uses: attention over keys [0, 300) with
 * chunks of 128 equals, bit for bit, the merge of three states computed separately over [0, 128),
 * [128, 256) and [256, 300); a state that saw no key (lse = -infinity) changes nothing.
 */
class MergeStatesTest {

    @Test
    void mergingChunkStatesReproducesSplitAttention() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            Engine.getEngine("BatchInvariant").setRandomSeed(11);
            AttentionSpec split = AttentionSpec.builder().setHeads(4, 2).setHeadDim(64)
                    .optSplitPolicy(SplitPolicy.fixed(128)).build();
            AttentionSpec whole = AttentionSpec.builder().setHeads(4, 2).setHeadDim(64)
                    .optSplitPolicy(SplitPolicy.disabled()).build();
            NDArray q = m.randomNormal(new Shape(5, 4, 64));
            NDArray k = m.randomNormal(new Shape(300, 2, 64));
            NDArray v = m.randomNormal(new Shape(300, 2, 64));
            BatchAttention full = new BatchAttention(split);
            AttentionOutput ref = full.runRagged(full.planRagged(new int[] {0, 5}, new int[] {0, 300}, null), q, k, v);

            BatchAttention part = new BatchAttention(whole);
            NDList outs = new NDList();
            NDList lses = new NDList();
            int[][] ranges = {{0, 128}, {128, 256}, {256, 300}};
            for (int[] rg : ranges) {
                int n = rg[1] - rg[0];
                NDIndex idx = new NDIndex("{}:{}", rg[0], rg[1]);
                AttentionOutput o = part.runRagged(part.planRagged(new int[] {0, 5}, new int[] {0, n}, null), q,
                        k.get(idx), v.get(idx));
                outs.add(o.getOutput().expandDims(1));
                lses.add(o.getLse().expandDims(1));
            }
            AttentionOutput merged = MergeStates.mergeStates(ai.djl.ndarray.NDArrays.concat(outs, 1),
                    ai.djl.ndarray.NDArrays.concat(lses, 1));
            assertEquals(0, Bits.diff(ref.getOutput().toFloatArray(), merged.getOutput().toFloatArray()));
            assertEquals(0, Bits.diff(ref.getLse().toFloatArray(), merged.getLse().toFloatArray()));

            // a state over no key is the identity of the merge
            NDArray empty = m.full(new Shape(5, 4), Float.NEGATIVE_INFINITY);
            AttentionOutput same = MergeStates.merge(ref.getOutput(), ref.getLse(), m.randomNormal(new Shape(5, 4, 64)), empty);
            assertEquals(0, Bits.diff(ref.getOutput().toFloatArray(), same.getOutput().toFloatArray()));
            assertEquals(0, Bits.diff(ref.getLse().toFloatArray(), same.getLse().toFloatArray()));

            assertThrows(IllegalArgumentException.class, () -> MergeStates.mergeStates(ref.getOutput(), ref.getLse()));
        }
    }
}
