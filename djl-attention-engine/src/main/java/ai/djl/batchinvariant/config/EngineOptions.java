/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.config;

import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The engine's configuration: per model through {@code Criteria.optOption(key, value)} or {@code
 * option.key=value} in the model folder's {@code serving.properties}, process-wide through system
 * properties {@code ai.djl.batchinvariant.<key>}. A per-model value wins over the system property,
 * which wins over the default.
 *
 * <p>Per-model values are validated when they are parsed ({@link #parse}, at model load). The
 * process-wide values are read lazily, every time a value is asked for: a bad system property
 * never breaks class initialization or the engine itself; it fails the first use that needs it
 * with an {@link IllegalArgumentException} naming the key, the value and what is allowed, and
 * the next use after the property is fixed works. A key under {@code ai.djl.batchinvariant.}
 * that the engine does not know, or a per-model key one or two edits away from one of ours (a
 * typo), fails the same way, naming the closest valid key.
 *
 * <p>This class is the bottom layer of the engine: it depends on nothing of the engine, the
 * attention API or the backends; callers turn its plain values into their own types (for
 * instance a split policy from {@link #getFixedSplitSize()} and {@link #isSplitKvDisabled()}).
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>default</th><th>allowed</th></tr>
 *   <tr><td>fixed_split_size</td><td>1024</td><td>a positive multiple of the KV tile (64), in tokens</td></tr>
 *   <tr><td>disable_split_kv</td><td>false</td><td>true or false: one KV chunk per request</td></tr>
 *   <tr><td>page_size</td><td>16</td><td>1 to 1024 tokens per KV-cache page</td></tr>
 *   <tr><td>dtype</td><td>float32</td><td>float32, float16, bfloat16 (or fp32, fp16, bf16)</td></tr>
 * </table>
 *
 * <p>System properties only: {@code disable_cuda} and {@code cuda.poison} (true or false), read
 * by the CUDA backend, {@code gpu_cache_limit_mb} (the cap on each GPU allocator's cache), {@code
 * cpu_cache_limit_mb} and {@code cpu.poison} (the CPU backend's cache of freed host arrays) and
 * {@code gpu_host_fallback} (default true: an op the GPU has no kernel for runs on the CPU through
 * host copies, counted and logged once; false: it is refused by name).
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
    /** System-property key that keeps the engine off the GPU. */
    public static final String DISABLE_CUDA = "disable_cuda";
    /** System-property key that fills attention outputs with NaN before each GPU launch. */
    public static final String CUDA_POISON = "cuda.poison";
    /** System-property key of the most freed device memory each GPU's allocator keeps, in MiB. */
    public static final String GPU_CACHE_LIMIT_MB = "gpu_cache_limit_mb";

    /** System-property key of the most freed host arrays the CPU backend keeps for reuse, in MiB. */
    public static final String CPU_CACHE_LIMIT_MB = "cpu_cache_limit_mb";
    /** System-property key: true fills reused host arrays with NaN (or a pattern) before an op gets one. */
    public static final String CPU_POISON = "cpu.poison";

    /** System-property key: whether ops without a GPU kernel run on the CPU through host copies. */
    public static final String GPU_HOST_FALLBACK = "gpu_host_fallback";
    /** System-property key: false keeps the CPU kernels off the Vector API (same bits either way). */
    public static final String CPU_VECTOR = "cpu_vector";
    /**
     * System-property key: false keeps compute capability 9.0 devices on the sm_80 kernel families
     * (the bits of other GPUs) instead of the Hopper ones.
     */
    public static final String CUDA_SM90 = "cuda_sm90";
    /**
     * System-property key: false keeps every Hopper GEMM on one k chain (no split-K for narrow
     * weights long in k): other bits, faster large products, slower decode-sized ones.
     */
    public static final String CUDA_GEMM_SPLITS = "cuda_gemm_splits";
    /**
     * System-property key: false keeps decode requests on a block per KV chunk and the merge
     * kernel even where the batch fills the device without them (the same bits either way).
     */
    public static final String FUSED_DECODE = "fused_decode";
    /**
     * System-property key: false launches the attention and merge kernels after the kernel ahead
     * of them has finished instead of as programmatic dependents of it (the same bits either way).
     */
    public static final String CUDA_DEPENDENT_LAUNCH = "cuda_dependent_launch";
    /**
     * System-property key: false has the Hopper attention kernel's threads copy every K/V run
     * instead of asking the copy engine for whole ones (the same bytes land either way).
     */
    public static final String CUDA_ATTENTION_TMA = "cuda_attention_tma";

    /** Default cap of each GPU's cache of freed blocks, in MiB. */
    public static final long DEFAULT_GPU_CACHE_LIMIT_MB = 4096;

    /** Default fixed split size in tokens. */
    public static final int DEFAULT_SPLIT_SIZE = 1024;
    /** Default KV-cache page size in tokens. */
    public static final int DEFAULT_PAGE_SIZE = 16;
    /** Largest KV-cache page size in tokens. */
    public static final int MAX_PAGE_SIZE = 1024;
    /** KV positions per tile of the attention kernels: a split size is a multiple of it. */
    public static final int KV_TILE = 64;

    /** Keys accepted per model and as system properties. */
    public static final List<String> KEYS =
            Collections.unmodifiableList(List.of(FIXED_SPLIT_SIZE, DISABLE_SPLIT_KV, PAGE_SIZE, DTYPE));
    /** Keys accepted as system properties only. */
    public static final List<String> SYSTEM_ONLY_KEYS =
            Collections.unmodifiableList(List.of(DISABLE_CUDA, CUDA_POISON, GPU_CACHE_LIMIT_MB, CPU_CACHE_LIMIT_MB, CPU_POISON, GPU_HOST_FALLBACK,
                    CPU_VECTOR, CUDA_SM90, CUDA_GEMM_SPLITS, FUSED_DECODE, CUDA_DEPENDENT_LAUNCH,
                    CUDA_ATTENTION_TMA));

    private static final String SPLIT_ALLOWED = "a positive multiple of the KV tile (" + KV_TILE + ") in tokens";
    private static final String BOOLEAN_ALLOWED = "true or false";
    private static final String PAGE_ALLOWED = "an integer from 1 to " + MAX_PAGE_SIZE;
    private static final String DTYPE_ALLOWED = "float32, float16 or bfloat16 (or fp32, fp16, bf16)";

    private static final EngineOptions PROCESS_DEFAULTS = new EngineOptions(Collections.emptyMap());

    private final Map<String, String> perModel;

    private EngineOptions(Map<String, String> perModel) {
        this.perModel = perModel;
    }

    /**
     * Returns the process-wide options: system properties {@code ai.djl.batchinvariant.<key>}
     * over the defaults. Nothing is read here, so this never fails; each getter reads the system
     * property in force when it is called.
     *
     * @return the options
     */
    public static EngineOptions fromSystemProperties() {
        return PROCESS_DEFAULTS;
    }

    /**
     * Returns the options given per model, falling back to system properties and defaults, and
     * validates them all now. Keys that are not ours are ignored (they belong to DJL or the
     * translator), unless one is a near miss of one of ours.
     *
     * @param options the model options (values are converted with {@code toString})
     * @return the options
     * @throws IllegalArgumentException naming the key, value and what is allowed, or the closest
     *     valid key for a misspelt one
     */
    public static EngineOptions parse(Map<String, ?> options) {
        Map<String, String> own = new LinkedHashMap<>();
        if (options != null) {
            for (Map.Entry<String, ?> e : options.entrySet()) {
                String key = e.getKey();
                if (key == null || e.getValue() == null) {
                    continue;
                }
                String value = e.getValue().toString().trim();
                if (KEYS.contains(key)) {
                    own.put(key, value);
                } else {
                    String near = nearMiss(key);
                    if (near != null) {
                        throw new IllegalArgumentException("unknown option " + key + "=" + value
                                + ": did you mean " + near + "? (options of the BatchInvariant engine: "
                                + String.join(", ", KEYS) + ")");
                    }
                }
            }
        }
        EngineOptions o = new EngineOptions(Collections.unmodifiableMap(own));
        o.validate();
        return o;
    }

    /**
     * Reads every value now: the per-model ones and the system properties in force.
     *
     * @throws IllegalArgumentException naming the first bad key, its value and what is allowed
     */
    public void validate() {
        checkSystemProperties();
        getFixedSplitSize();
        isSplitKvDisabled();
        getPageSize();
        getDataType();
    }

    /**
     * Checks every system property under {@code ai.djl.batchinvariant.}: its key must be one of
     * ours, and the system-only switches must be true or false.
     *
     * @throws IllegalArgumentException naming an unknown key and the closest valid one, or a bad
     *     value
     */
    public static void checkSystemProperties() {
        for (String name : System.getProperties().stringPropertyNames()) {
            if (!name.startsWith(PROPERTY_PREFIX)) {
                continue;
            }
            String key = name.substring(PROPERTY_PREFIX.length());
            String value = System.getProperty(name);
            if (GPU_CACHE_LIMIT_MB.equals(key)) {
                gpuCacheLimitBytes();
            } else if (CPU_CACHE_LIMIT_MB.equals(key)) {
                cpuCacheLimitBytes();
            } else if (SYSTEM_ONLY_KEYS.contains(key)) {
                if (value != null) {
                    parseBoolean(new Raw(key, value.trim(), true));
                }
            } else if (!KEYS.contains(key)) {
                List<String> all = new ArrayList<>(KEYS);
                all.addAll(SYSTEM_ONLY_KEYS);
                throw new IllegalArgumentException("unknown system property " + name + "=" + value
                        + ": did you mean " + PROPERTY_PREFIX + closest(key, all) + "? (keys under "
                        + PROPERTY_PREFIX + ": " + String.join(", ", all) + ")");
            }
        }
    }

    /**
     * Tells whether an op without a GPU kernel runs on the CPU through host copies (system
     * property {@code ai.djl.batchinvariant.gpu_host_fallback}, default true) or is refused by name.
     *
     * @return true for the host fallback
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean gpuHostFallback() {
        return systemFlag(GPU_HOST_FALLBACK);
    }

    /**
     * Tells whether compute capability 9.0 devices run the Hopper (sm_90a) kernel families (system
     * property {@code ai.djl.batchinvariant.cuda_sm90}, default true). They give other bits than
     * the sm_80 families; false gives every device the sm_80 kernels and their bits.
     *
     * @return true for the Hopper kernels
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean cudaSm90() {
        return systemFlag(CUDA_SM90);
    }

    /**
     * Tells whether the Hopper GEMM family may split k for narrow weights long in k (system property
     * {@code ai.djl.batchinvariant.cuda_gemm_splits}, default true). The split count is a function of
     * the weight's shape and the device, never of the rows, so either setting is batch-invariant;
     * the two give different bits, and false favours large products (prefill) over decode-sized
     * ones.
     *
     * @return true where a split may be used
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean cudaGemmSplits() {
        return systemFlag(CUDA_GEMM_SPLITS);
    }

    /**
     * Tells whether a plan may fold a decode batch's chunk states in the attention blocks where
     * the batch fills the device without a block per chunk (system property {@code
     * ai.djl.batchinvariant.fused_decode}, default true). Both paths fold the same states in the
     * same order, so the setting changes speed only, never a bit.
     *
     * @return true where decode chunks may be fused
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean fusedDecode() {
        return systemFlag(FUSED_DECODE);
    }

    /**
     * Tells whether the attention and merge kernels are launched as programmatic dependents of the
     * kernel ahead of them on devices of compute capability 9.0 and later (system property {@code
     * ai.djl.batchinvariant.cuda_dependent_launch}, default true; it takes effect where the JVM has
     * the foreign linker). Scheduling only: the setting never changes a bit.
     *
     * @return true for dependent launches
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean cudaDependentLaunch() {
        return systemFlag(CUDA_DEPENDENT_LAUNCH);
    }

    /**
     * Tells whether the Hopper attention kernel asks the copy engine (TMA) for the K/V runs of
     * pages of 16k positions (system property {@code ai.djl.batchinvariant.cuda_attention_tma},
     * default true; it takes effect where the JVM has the foreign linker, which encodes the maps).
     * Read when a launch is prepared (a captured graph keeps its copies). The same bytes reach
     * shared memory either way, so the setting never changes a bit.
     *
     * @return true for the copy engine
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean cudaAttentionTma() {
        return systemFlag(CUDA_ATTENTION_TMA);
    }

    /**
     * Returns the cap on each GPU allocator's cache of freed blocks (system property {@code
     * ai.djl.batchinvariant.gpu_cache_limit_mb}, default {@value #DEFAULT_GPU_CACHE_LIMIT_MB} MiB;
     * 0 returns every freed block to the driver at once).
     *
     * @return bytes
     * @throws IllegalArgumentException if the property is not a non-negative integer
     */
    public static long gpuCacheLimitBytes() {
        return limitBytes(GPU_CACHE_LIMIT_MB, DEFAULT_GPU_CACHE_LIMIT_MB << 20);
    }

    /**
     * Returns the cap on the CPU backend's cache of freed host arrays (system property {@code
     * ai.djl.batchinvariant.cpu_cache_limit_mb}, default a quarter of the JVM's maximum heap; 0
     * keeps none). The cache holds its arrays softly: the garbage collector takes them before the
     * heap runs out.
     *
     * @return bytes
     * @throws IllegalArgumentException if the property is not a non-negative integer
     */
    public static long cpuCacheLimitBytes() {
        return limitBytes(CPU_CACHE_LIMIT_MB, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * Tells whether reused host arrays are filled with NaN (integers with a pattern) before an op
     * gets one, and closed outputs of every size are kept for reuse (system property {@code
     * ai.djl.batchinvariant.cpu.poison}, default false): a test switch that makes an op which leaves
     * part of its output unwritten visible.
     *
     * @return true to poison
     * @throws IllegalArgumentException if the property is not true or false
     */
    public static boolean cpuPoison() {
        String v = System.getProperty(PROPERTY_PREFIX + CPU_POISON);
        return v != null && parseBoolean(new Raw(CPU_POISON, v.trim(), true));
    }

    private static long limitBytes(String key, long defaultBytes) {
        String v = System.getProperty(PROPERTY_PREFIX + key);
        if (v == null) {
            return defaultBytes;
        }
        Raw r = new Raw(key, v.trim(), true);
        String allowed = "a non-negative integer (MiB) below 2^43";
        long mb;
        try {
            mb = Long.parseLong(r.value);
        } catch (NumberFormatException e) {
            throw r.invalid(allowed);
        }
        if (mb < 0 || mb >= 1L << 43) {
            throw r.invalid(allowed);
        }
        return mb << 20;
    }

    /**
     * Returns the fixed split size in tokens.
     *
     * @return the split size
     * @throws IllegalArgumentException if the value in force is invalid
     */
    public int getFixedSplitSize() {
        Raw r = raw(FIXED_SPLIT_SIZE);
        if (r == null) {
            return DEFAULT_SPLIT_SIZE;
        }
        int split = parseInt(r, SPLIT_ALLOWED);
        if (split <= 0 || split % KV_TILE != 0) {
            throw r.invalid(SPLIT_ALLOWED);
        }
        return split;
    }

    /**
     * Tells whether KV splitting is off.
     *
     * @return true for one chunk per request
     * @throws IllegalArgumentException if the value in force is invalid
     */
    public boolean isSplitKvDisabled() {
        Raw r = raw(DISABLE_SPLIT_KV);
        return r != null && parseBoolean(r);
    }

    /**
     * Returns the KV-cache page size in tokens.
     *
     * @return the page size
     * @throws IllegalArgumentException if the value in force is invalid
     */
    public int getPageSize() {
        Raw r = raw(PAGE_SIZE);
        if (r == null) {
            return DEFAULT_PAGE_SIZE;
        }
        int page = parseInt(r, PAGE_ALLOWED);
        if (page < 1 || page > MAX_PAGE_SIZE) {
            throw r.invalid(PAGE_ALLOWED);
        }
        return page;
    }

    /**
     * Returns the data type of activations and KV cache.
     *
     * @return the data type
     * @throws IllegalArgumentException if the value in force is invalid
     */
    public DataType getDataType() {
        Raw r = raw(DTYPE);
        if (r == null) {
            return DataType.FLOAT32;
        }
        switch (r.value.toLowerCase(Locale.ROOT)) {
            case "float32":
            case "fp32":
                return DataType.FLOAT32;
            case "float16":
            case "fp16":
                return DataType.FLOAT16;
            case "bfloat16":
            case "bf16":
                return DataType.BFLOAT16;
            default:
                throw r.invalid(DTYPE_ALLOWED);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        try {
            return FIXED_SPLIT_SIZE + "=" + getFixedSplitSize() + ", " + DISABLE_SPLIT_KV + "=" + isSplitKvDisabled()
                    + ", " + PAGE_SIZE + "=" + getPageSize() + ", " + DTYPE + "=" + getDataType();
        } catch (IllegalArgumentException e) {
            return "invalid options: " + e.getMessage();
        }
    }

    /** A system-only switch that is on unless its property says false. */
    private static boolean systemFlag(String key) {
        String v = System.getProperty(PROPERTY_PREFIX + key);
        return v == null || parseBoolean(new Raw(key, v.trim(), true));
    }

    private Raw raw(String key) {
        checkSystemProperties();
        String v = perModel.get(key);
        if (v != null) {
            return new Raw(key, v, false);
        }
        String s = System.getProperty(PROPERTY_PREFIX + key);
        return s == null ? null : new Raw(key, s.trim(), true);
    }

    private static int parseInt(Raw r, String allowed) {
        try {
            return Integer.parseInt(r.value);
        } catch (NumberFormatException e) {
            throw r.invalid(allowed);
        }
    }

    private static boolean parseBoolean(Raw r) {
        if ("true".equalsIgnoreCase(r.value)) {
            return true;
        }
        if ("false".equalsIgnoreCase(r.value)) {
            return false;
        }
        throw r.invalid(BOOLEAN_ALLOWED);
    }

    /**
     * Returns the key of ours that {@code key} most likely misspells: the same letters up to case
     * and separators, or one edit away (two for keys of eight characters or more); null if none.
     */
    static String nearMiss(String key) {
        String norm = normalize(key);
        for (String k : KEYS) {
            if (normalize(k).equals(norm)) {
                return k;
            }
        }
        String best = closest(key.toLowerCase(Locale.ROOT), KEYS);
        int d = editDistance(key.toLowerCase(Locale.ROOT), best);
        return d <= (best.length() >= 8 ? 2 : 1) ? best : null;
    }

    /** Returns the candidate with the smallest edit distance to {@code key} (the first on ties). */
    static String closest(String key, List<String> candidates) {
        String best = candidates.get(0);
        int bestD = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(key, c);
            if (d < bestD) {
                best = c;
                bestD = d;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions of one character. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String normalize(String key) {
        return key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(".", "");
    }

    /** A value as found, with where it came from, for error messages. */
    private static final class Raw {
        final String key;
        final String value;
        final boolean fromSystemProperty;

        Raw(String key, String value, boolean fromSystemProperty) {
            this.key = key;
            this.value = value;
            this.fromSystemProperty = fromSystemProperty;
        }

        IllegalArgumentException invalid(String allowed) {
            String what = fromSystemProperty ? "system property " + PROPERTY_PREFIX + key : "option " + key;
            return new IllegalArgumentException(what + "=" + value + " is invalid: expected " + allowed);
        }
    }
}
