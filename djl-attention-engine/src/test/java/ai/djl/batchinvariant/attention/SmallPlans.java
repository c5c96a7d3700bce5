/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionWork;

/**
 * Ragged plans small enough to work out by hand: four query heads on one KV head (a query
 * tile holds 16 tokens), causal, KV chunks of 64 positions.
 */
public final class SmallPlans {

    private SmallPlans() {}

    /**
     * Plans a ragged batch.
     *
     * @param headDim the head dimension
     * @param qoLens query tokens per request
     * @param kvLens KV positions per request
     * @return the plan's device work list
     */
    public static AttentionWork ragged(int headDim, int[] qoLens, int[] kvLens) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(4, 1).setHeadDim(headDim).optCausal(true)
                .optSplitPolicy(SplitPolicy.fixed(64)).build();
        int b = qoLens.length;
        int[] qo = new int[b + 1];
        int[] kv = new int[b + 1];
        for (int r = 0; r < b; r++) {
            qo[r + 1] = qo[r] + qoLens[r];
            kv[r + 1] = kv[r] + kvLens[r];
        }
        return new BatchAttention(spec).planRagged(qo, kv, kvLens).work();
    }
}
