/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

/** What one generation produced: the new token ids and, per token, its log-probability. */
public final class GeneratedTokens {

    private final int[] ids;
    private final float[] logprobs;

    /**
     * Holds a result.
     *
     * @param ids the generated ids, in order
     * @param logprobs per id, its natural-log probability under the model's unscaled distribution
     */
    public GeneratedTokens(int[] ids, float[] logprobs) {
        this.ids = ids.clone();
        this.logprobs = logprobs.clone();
    }

    /**
     * Returns the generated ids.
     *
     * @return a copy
     */
    public int[] getIds() {
        return ids.clone();
    }

    /**
     * Returns the log-probabilities.
     *
     * @return a copy, one per id
     */
    public float[] getLogprobs() {
        return logprobs.clone();
    }
}
