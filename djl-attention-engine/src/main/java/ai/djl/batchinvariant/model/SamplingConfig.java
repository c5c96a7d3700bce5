/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.tensor.SortKeys;

/**
 * How one request generates: token budget, stop tokens and sampling (greedy at temperature 0,
 * otherwise temperature, top-k and top-p with a per-request seed). Immutable; the {@code with}
 * methods return copies.
 */
public final class SamplingConfig {

    private final int maxNewTokens;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final long seed;
    private final int[] stopTokens;

    private SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, long seed, int[] stop) {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens=" + maxNewTokens + " must be positive");
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature=" + temperature + " must be >= 0 and finite");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k=" + topK + " must be >= 0 (0 = off)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p=" + topP + " must be in (0, 1]");
        }
        this.maxNewTokens = maxNewTokens;
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.seed = seed;
        this.stopTokens = stop.clone();
    }

    /**
     * Greedy decoding of up to {@code maxNewTokens} tokens, no stop tokens.
     *
     * @param maxNewTokens the budget
     * @return the config
     */
    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(maxNewTokens, 0f, 0, 1f, 0L, new int[0]);
    }

    /**
     * Returns a copy that samples.
     *
     * @param temperature logits are divided by it (0 = greedy)
     * @param topK keep the k most likely tokens (0 = all)
     * @param topP keep the smallest most-likely set of at least this probability (1 = all)
     * @param seed the request's seed
     * @return the copy
     */
    public SamplingConfig withSampling(float temperature, int topK, float topP, long seed) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, seed, stopTokens);
    }

    /**
     * Returns a copy with stop tokens (generation ends after emitting one).
     *
     * @param stop the token ids
     * @return the copy
     */
    public SamplingConfig withStopTokens(int... stop) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, seed, stop);
    }

    int getMaxNewTokens() {
        return maxNewTokens;
    }

    long getSeed() {
        return seed;
    }

    float getTemperature() {
        return temperature;
    }

    int getTopK() {
        return topK;
    }

    float getTopP() {
        return topP;
    }

    int[] getStopTokens() {
        return stopTokens.clone();
    }

    boolean isStop(int token) {
        for (int s : stopTokens) {
            if (s == token) {
                return true;
            }
        }
        return false;
    }

    /**
     * Picks the next token from one request's logits; the draw {@code u} comes from that
     * request's own generator, so nothing else in the batch can change the choice.
     *
     * @param logits the request's last-row logits
     * @param u a uniform draw in [0, 1)
     * @return the token id
     */
    int sample(float[] logits, double u) {
        if (temperature == 0f) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        // order by logit, descending (ties, -0.0 with 0.0, by id; NaN above every number) so the
        // kept set and the cumulative sums are well defined
        int[] keys = new int[logits.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = SortKeys.of(logits[i], true);
        }
        int[] order = SortKeys.order(keys, false);
        int keep = topK > 0 ? Math.min(topK, order.length) : order.length;
        double max = logits[order[0]] / (double) temperature;
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] / (double) temperature - max);
            sum += p[i];
        }
        if (topP < 1f) {
            double acc = 0;
            int n = 0;
            while (n < keep) {
                acc += p[n] / sum;
                n++;
                if (acc >= topP) {
                    break;
                }
            }
            keep = n;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += p[i];
            }
        }
        double target = u * sum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (target < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
