/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.Model;
import ai.djl.batchinvariant.model.SamplingConfig;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a {@link SamplingConfig} from a model's settings, as DJL and DJL Serving pass them: first
 * the translator arguments ({@code Criteria.optArgument}, plain keys of {@code serving.properties}),
 * then the model's options ({@code Criteria.optOption}, {@code option.KEY} of {@code
 * serving.properties}). A value that does not parse fails naming the key and the value.
 */
public final class GenerationOptions {

    /** Tokens to generate at most (default 32). */
    public static final String MAX_NEW_TOKENS = "max_new_tokens";
    /** Logits are divided by it; 0, the default, is greedy. */
    public static final String TEMPERATURE = "temperature";
    /** Keep the k most likely tokens (default 0: all). */
    public static final String TOP_K = "top_k";
    /** Keep the smallest most-likely set of at least this probability (default 1: all). */
    public static final String TOP_P = "top_p";
    /** The request's sampling seed (default 0). */
    public static final String SEED = "seed";
    /** Comma-separated ids that end generation (default: config.json's eos_token_id; empty: none). */
    public static final String STOP_TOKEN_IDS = "stop_token_ids";
    /** Every key read here. */
    public static final List<String> KEYS = List.of(MAX_NEW_TOKENS, TEMPERATURE, TOP_K, TOP_P, SEED, STOP_TOKEN_IDS);

    static final int DEFAULT_MAX_NEW_TOKENS = 32;

    private GenerationOptions() {}

    /**
     * Reads the config for a model.
     *
     * @param model the model (its options are the fallback)
     * @param arguments the translator arguments, or null
     * @param eos the default stop tokens
     * @return the config
     * @throws IllegalArgumentException naming the key and value that do not parse or are out of range
     */
    public static SamplingConfig read(Model model, Map<String, ?> arguments, int[] eos) {
        return read(key -> {
            Object v = arguments == null ? null : arguments.get(key);
            return v != null ? v.toString() : model.getProperty(key);
        }, eos);
    }

    /**
     * Reads the config from a lookup of keys to values (null: not given).
     *
     * @param values the lookup
     * @param eos the default stop tokens
     * @return the config
     */
    public static SamplingConfig read(Function<String, String> values, int[] eos) {
        int max = parseInt(values, MAX_NEW_TOKENS, DEFAULT_MAX_NEW_TOKENS);
        float t = parseFloat(values, TEMPERATURE, 0f);
        int k = parseInt(values, TOP_K, 0);
        float p = parseFloat(values, TOP_P, 1f);
        long seed = parseLong(values, SEED, 0L);
        int[] stop = eos;
        String s = values.apply(STOP_TOKEN_IDS);
        if (s != null) {
            stop = parseIds(STOP_TOKEN_IDS, s);
        }
        try {
            return SamplingConfig.greedy(max).withSampling(t, k, p, seed).withStopTokens(stop);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("generation option " + e.getMessage(), e);
        }
    }

    /**
     * Parses comma-separated token ids.
     *
     * @param key the option the text came from, for the message
     * @param text the ids, e.g. {@code "1, 2,3"} (empty: none)
     * @return the ids
     */
    public static int[] parseIds(String key, String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        String[] parts = trimmed.split("\\s*,\\s*");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + "=" + text + ": '" + parts[i]
                        + "' is not a token id (expected comma-separated non-negative integers)", e);
            }
            if (ids[i] < 0) {
                throw new IllegalArgumentException(key + "=" + text + ": token id " + ids[i] + " is negative");
            }
        }
        return ids;
    }

    private static int parseInt(Function<String, String> values, String key, int dflt) {
        String v = values.apply(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not an integer", e);
        }
    }

    private static long parseLong(Function<String, String> values, String key, long dflt) {
        String v = values.apply(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not an integer", e);
        }
    }

    private static float parseFloat(Function<String, String> values, String key, float dflt) {
        String v = values.apply(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not a number", e);
        }
    }
}
