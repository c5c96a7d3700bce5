/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The array form of a generation call through {@link CausalLmBlock}, so that a DJL {@code
 * Predictor} runs a whole generation in one {@code forward}: input {@code (ids, config)} where
 * {@code config} is the int64 array {@link #encode} writes, output {@code (tokens, logprobs)}.
 * Floats travel as their IEEE bits and the seed as itself, so the decoded config is exactly the
 * encoded one.
 */
public final class GenerationArrays {

    /** Leading entries of the config array: max_new_tokens, temperature bits, top_k, top_p bits, seed. */
    static final int HEADER = 5;

    private GenerationArrays() {}

    /**
     * Encodes a sampling config as the second input of a generation call.
     *
     * @param manager the manager that owns the array
     * @param config the config
     * @return an int64 array (5 + number of stop tokens)
     */
    public static NDArray encode(NDManager manager, SamplingConfig config) {
        int[] stop = config.getStopTokens();
        long[] a = new long[HEADER + stop.length];
        a[0] = config.getMaxNewTokens();
        a[1] = Float.floatToRawIntBits(config.getTemperature());
        a[2] = config.getTopK();
        a[3] = Float.floatToRawIntBits(config.getTopP());
        a[4] = config.getSeed();
        for (int i = 0; i < stop.length; i++) {
            a[HEADER + i] = stop[i];
        }
        return manager.create(a);
    }

    /**
     * Decodes what {@link #encode} wrote.
     *
     * @param array the int64 config array
     * @return the config
     */
    static SamplingConfig decode(NDArray array) {
        if (array.getDataType() != DataType.INT64 || array.getShape().dimension() != 1 || array.size() < HEADER) {
            throw new IllegalArgumentException("the generation config must be the int64 array of"
                    + " GenerationArrays.encode; got " + array.getDataType() + " " + array.getShape());
        }
        long[] a = array.toLongArray();
        int[] stop = new int[a.length - HEADER];
        for (int i = 0; i < stop.length; i++) {
            stop[i] = (int) a[HEADER + i];
        }
        return SamplingConfig.greedy((int) a[0])
                .withSampling(Float.intBitsToFloat((int) a[1]), (int) a[2], Float.intBitsToFloat((int) a[3]), a[4])
                .withStopTokens(stop);
    }

    /**
     * Returns the generated token ids of a generation call's output.
     *
     * @param output the block's output
     * @return the ids, in order
     */
    public static int[] tokens(NDList output) {
        return output.get(0).toIntArray();
    }

    /**
     * Returns, per generated token, its log-probability under the model's unscaled distribution.
     *
     * @param output the block's output
     * @return natural-log probabilities
     */
    public static float[] logprobs(NDList output) {
        return output.get(1).toFloatArray();
    }

    /**
     * The log-probability of {@code token} under softmax of {@code logits}, in float64.
     *
     * @param logits one row
     * @param token the chosen id
     * @return log p(token)
     */
    static float logprob(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        return (float) (logits[token] - max - Math.log(sum));
    }
}
