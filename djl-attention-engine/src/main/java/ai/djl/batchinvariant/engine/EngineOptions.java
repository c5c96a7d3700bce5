/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.ndarray.types.DataType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The engine's configuration: per model through {@code Criteria.optOption(key, value)} or {@code
 * option.key=value} in the model folder's {@code serving.properties}, process-wide through system
 * properties {@code ai.djl.batchinvariant.<key>}. A per-model value wins over the system property,
 * which wins over the default. Every value is validated when it is read.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>allowed</th></tr>
 *   <tr><td>fixed_split_size</td><td>1024</td><td>a positive multiple of the KV tile (64), in tokens</td></tr>
 *   <tr><td>disable_split_kv</td><td>false</td><td>true or false: one KV chunk per request</td></tr>
 *   <tr><td>page_size</td><td>16</td><td>1 to 1024 tokens per KV-cache page</td></tr>
 *   <tr><td>dtype</td><td>float32</td><td>float32, float16, bfloat16</td></tr>
 * </table>
 */
public final class EngineOptions {

    /** Prefix of the process-wide system properties. */
    public static final String PROPERTY_PREFIX = "ai.djl.batchinvariant.";

    /** Key of the fixed KV split size in tokens. */
    public static final String FIXED_SPLIT_SIZE = "fixed_split_size";
    /** Key that turns KV splitting off (one chunk per request). */
    public static final String DISABLE_SPLIT_KV = "disable_split_kv";
    /** Key of the KV-cache page size in tokens. */
    public static final String PAGE_SIZE = "page_size";
    /** Key of the data type of activations and KV cache. */
    public static final String DTYPE = "dtype";

    /** Default fixed split size in tokens. */
    public static final int DEFAULT_SPLIT_SIZE = 1024;

    private static final String[] KEYS = {FIXED_SPLIT_SIZE, DISABLE_SPLIT_KV, PAGE_SIZE, DTYPE};

    private final int fixedSplitSize;
    private final boolean disableSplitKv;
    private final int pageSize;
    private final DataType dataType;

    private EngineOptions(int fixedSplitSize, boolean disableSplitKv, int pageSize, DataType dataType) {
        this.fixedSplitSize = fixedSplitSize;
        this.disableSplitKv = disableSplitKv;
        this.pageSize = pageSize;
        this.dataType = dataType;
    }

    /**
     * Returns the defaults overridden by system properties {@code ai.djl.batchinvariant.<key>}.
     *
     * @return the options
     * @throws IllegalArgumentException if a system property holds an invalid value
     */
    public static EngineOptions fromSystemProperties() {
        return parse(Collections.emptyMap());
    }

    /**
     * Returns the options given per model, falling back to system properties and defaults.
     * Unknown keys are ignored (they belong to DJL or the translator).
     *
     * @param options the model options (values are converted with {@code toString})
     * @return the options
     * @throws IllegalArgumentException naming the key, value and what is allowed
     */
    public static EngineOptions parse(Map<String, ?> options) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String key : KEYS) {
            String sys = System.getProperty(PROPERTY_PREFIX + key);
            if (sys != null) {
                v.put(key, sys.trim());
            }
            Object o = options == null ? null : options.get(key);
            if (o != null) {
                v.put(key, o.toString().trim());
            }
        }
        int split = parseInt(v, FIXED_SPLIT_SIZE, DEFAULT_SPLIT_SIZE,
                "a positive multiple of the KV tile (" + SplitPolicy.KV_TILE + ") in tokens");
        if (split <= 0 || split % SplitPolicy.KV_TILE != 0) {
            throw invalid(FIXED_SPLIT_SIZE, v.get(FIXED_SPLIT_SIZE),
                    "a positive multiple of the KV tile (" + SplitPolicy.KV_TILE + ") in tokens");
        }
        boolean disable = false;
        String d = v.get(DISABLE_SPLIT_KV);
        if (d != null) {
            if ("true".equalsIgnoreCase(d)) {
                disable = true;
            } else if (!"false".equalsIgnoreCase(d)) {
                throw invalid(DISABLE_SPLIT_KV, d, "true or false");
            }
        }
        int page = parseInt(v, PAGE_SIZE, 16, "an integer from 1 to 1024");
        if (page < 1 || page > 1024) {
            throw invalid(PAGE_SIZE, v.get(PAGE_SIZE), "an integer from 1 to 1024");
        }
        DataType type = DataType.FLOAT32;
        String t = v.get(DTYPE);
        if (t != null) {
            switch (t.toLowerCase(Locale.ROOT)) {
                case "float32":
                case "fp32":
                    type = DataType.FLOAT32;
                    break;
                case "float16":
                case "fp16":
                    type = DataType.FLOAT16;
                    break;
                case "bfloat16":
                case "bf16":
                    type = DataType.BFLOAT16;
                    break;
                default:
                    throw invalid(DTYPE, t, "float32, float16 or bfloat16");
            }
        }
        return new EngineOptions(split, disable, page, type);
    }

    private static int parseInt(Map<String, String> v, String key, int def, String allowed) {
        String s = v.get(key);
        if (s == null) {
            return def;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw invalid(key, s, allowed);
        }
    }

    private static IllegalArgumentException invalid(String key, String value, String allowed) {
        return new IllegalArgumentException(
                "option " + key + "=" + value + " is invalid: expected " + allowed);
    }

    /**
     * Returns the fixed split size in tokens.
     *
     * @return the split size
     */
    public int getFixedSplitSize() {
        return fixedSplitSize;
    }

    /**
     * Tells whether KV splitting is off.
     *
     * @return true for one chunk per request
     */
    public boolean isSplitKvDisabled() {
        return disableSplitKv;
    }

    /**
     * Returns the KV-cache page size in tokens.
     *
     * @return the page size
     */
    public int getPageSize() {
        return pageSize;
    }

    /**
     * Returns the data type of activations and KV cache.
     *
     * @return the data type
     */
    public DataType getDataType() {
        return dataType;
    }

    /**
     * Returns the split policy these options select: disabled, or fixed at the split size.
     *
     * @return the split policy
     */
    public SplitPolicy splitPolicy() {
        return disableSplitKv ? SplitPolicy.disabled() : SplitPolicy.fixed(fixedSplitSize);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return FIXED_SPLIT_SIZE + "=" + fixedSplitSize + ", " + DISABLE_SPLIT_KV + "=" + disableSplitKv
                + ", " + PAGE_SIZE + "=" + pageSize + ", " + DTYPE + "=" + dataType;
    }
}
