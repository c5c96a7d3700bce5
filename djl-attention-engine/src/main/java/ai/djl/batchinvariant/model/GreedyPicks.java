/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

/** Per sequence of a step: the greedy token of its last row and that token's log-probability. */
public final class GreedyPicks {
    private final int[] tokens;
    private final float[] logprobs;

    GreedyPicks(int[] tokens, float[] logprobs) {
        this.tokens = tokens;
        this.logprobs = logprobs;
    }

    /**
     * Returns the argmax token of each sequence's last logits row (the lowest id on ties).
     *
     * @return one id per sequence
     */
    public int[] getTokens() {
        return tokens.clone();
    }

    /**
     * Returns each token's natural-log probability: the float32 log-softmax of the row at the
     * token, computed on the model's device.
     *
     * @return one value per sequence
     */
    public float[] getLogprobs() {
        return logprobs.clone();
    }
}
