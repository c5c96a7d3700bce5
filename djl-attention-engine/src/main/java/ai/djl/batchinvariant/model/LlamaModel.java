/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.PosEncoding;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.nn.EmbeddingLookup;
import ai.djl.batchinvariant.nn.GatedMlp;
import ai.djl.batchinvariant.nn.LmHead;
import ai.djl.batchinvariant.nn.Projection;
import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder (Llama, Llama 3, Mistral, Qwen2) built from the engine's blocks: token
 * embedding, per layer RMS norm, q/k/v projections, RoPE attention over a paged KV cache through
 * {@link BatchAttention}, output projection, RMS norm and gated SiLU MLP with residuals, a final
 * norm and the LM head. Activations are float32 (fp16/bf16 weights are widened at load); the KV
 * cache is float32 on the CPU and, on a GPU, float16 or bfloat16 (the {@code dtype} option), q, k
 * and v rounded to it before attention. A request's rows never meet another request's in a reduction, so its logits are the same
 * bits whatever else is in the step.
 */
public final class LlamaModel implements AutoCloseable {

    /** Option: pages in the KV pool of {@link #newKvCache()}. */
    public static final String KV_CACHE_PAGES = "kv_cache_pages";
    /** The default pool size. */
    public static final int DEFAULT_KV_CACHE_PAGES = 512;

    private static final class Layer implements AutoCloseable {
        RmsNorm inputNorm;
        Projection q;
        Projection k;
        Projection v;
        Projection o;
        RmsNorm postNorm;
        GatedMlp mlp;

        @Override
        public void close() {
            for (AutoCloseable c : new AutoCloseable[] {inputNorm, q, k, v, o, postNorm, mlp}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private final HfConfig config;
    private final NDManager manager;
    private final BatchAttention attention;
    private final int pageSize;
    private final int kvPages;
    private final List<Layer> layers = new ArrayList<>();
    private EmbeddingLookup embed;
    private RmsNorm finalNorm;
    private LmHead head;
    /** The KV cache's and attention's type: float32 on the CPU; float16 or bfloat16 on a GPU. */
    private final DataType cacheType;

    private LlamaModel(HfConfig config, NDManager manager, SplitPolicy split, int pageSize, int kvPages,
            DataType cacheType) {
        this.config = config;
        this.cacheType = cacheType;
        this.manager = manager;
        this.pageSize = pageSize;
        this.kvPages = kvPages;
        AttentionSpec.Builder b = AttentionSpec.builder()
                .setHeads(config.numHeads, config.numKvHeads)
                .setHeadDim(config.headDim)
                .optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA)
                .optRope(config.ropeTheta, config.ropeLinearFactor)
                .optSplitPolicy(split);
        if (config.llama3Factor > 0) {
            b.optLlama3Scaling(config.llama3Factor, config.llama3LowFreqFactor, config.llama3HighFreqFactor,
                    config.llama3OriginalMaxPosition);
        }
        this.attention = new BatchAttention(b.build());
    }

    /**
     * Loads a Hugging Face model directory ({@code config.json} and safetensors weights).
     *
     * @param dir the directory
     * @param manager the manager that will own the weights
     * @param options model options: the engine's ({@code page_size}, {@code fixed_split_size},
     *     {@code disable_split_kv}) and {@value #KV_CACHE_PAGES}
     * @return the model
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException naming the file and key of the first problem
     */
    public static LlamaModel load(Path dir, NDManager manager, Map<String, ?> options) throws IOException {
        EngineOptions eo = EngineOptions.parse(options);
        SplitPolicy split = eo.isSplitKvDisabled() ? SplitPolicy.disabled() : SplitPolicy.fixed(eo.getFixedSplitSize());
        int pages = DEFAULT_KV_CACHE_PAGES;
        Object p = options == null ? null : options.get(KV_CACHE_PAGES);
        if (p != null) {
            try {
                pages = Integer.parseInt(p.toString().trim());
            } catch (NumberFormatException e) {
                pages = -1;
            }
            if (pages < 1) {
                throw new IllegalArgumentException("option " + KV_CACHE_PAGES + "=" + p + " must be a positive integer");
            }
        }
        HfConfig config = HfConfig.read(dir.resolve("config.json"));
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        LlamaModel m = new LlamaModel(config, manager, split, eo.getPageSize(), pages,
                cacheType(manager, eo.getDataType()));
        try {
            m.loadWeights(ckpt);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    private NDArray array(HfCheckpoint c, String name, long... shape) throws IOException {
        return manager.create(c.read(name, shape), new Shape(shape));
    }

    private Projection proj(HfCheckpoint c, String name, long out, long in, boolean bias) throws IOException {
        NDArray w = array(c, name + ".weight", out, in);
        NDArray b = bias ? array(c, name + ".bias", out) : null;
        return new Projection(w, b);
    }

    private void loadWeights(HfCheckpoint c) throws IOException {
        long h = config.hiddenSize;
        long qd = (long) config.numHeads * config.headDim;
        long kvd = (long) config.numKvHeads * config.headDim;
        long inter = config.intermediateSize;
        float eps = (float) config.rmsNormEps;
        embed = new EmbeddingLookup(array(c, "model.embed_tokens.weight", config.vocabSize, h));
        for (int i = 0; i < config.numLayers; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            layers.add(l);
            l.inputNorm = new RmsNorm(array(c, p + "input_layernorm.weight", h), eps);
            l.q = proj(c, p + "self_attn.q_proj", qd, h, config.attentionBias);
            l.k = proj(c, p + "self_attn.k_proj", kvd, h, config.attentionBias);
            l.v = proj(c, p + "self_attn.v_proj", kvd, h, config.attentionBias);
            l.o = proj(c, p + "self_attn.o_proj", h, qd, false);
            l.postNorm = new RmsNorm(array(c, p + "post_attention_layernorm.weight", h), eps);
            l.mlp = new GatedMlp(proj(c, p + "mlp.gate_proj", inter, h, false),
                    proj(c, p + "mlp.up_proj", inter, h, false), proj(c, p + "mlp.down_proj", h, inter, false));
        }
        finalNorm = new RmsNorm(array(c, "model.norm.weight", h), eps);
        if (c.has("lm_head.weight")) {
            head = new LmHead(array(c, "lm_head.weight", config.vocabSize, h));
        } else if (config.tieWordEmbeddings) {
            head = new LmHead(embed.getTable().duplicate());
        } else {
            throw new ModelFormatException(config.getFile() + ": key tie_word_embeddings is false but the weights"
                    + " have no lm_head.weight");
        }
    }

    /**
     * Returns the configuration.
     *
     * @return the config
     */
    public HfConfig getConfig() {
        return config;
    }

    /**
     * The KV cache's type on a device: float32 on the CPU; on a GPU, whose attention kernels take
     * 16-bit inputs, float16 when the {@code dtype} option asks for it and bfloat16 otherwise.
     */
    private static DataType cacheType(NDManager manager, DataType option) {
        if (!ai.djl.Device.Type.GPU.equals(manager.getDevice().getDeviceType())) {
            return DataType.FLOAT32;
        }
        return option == DataType.FLOAT16 ? DataType.FLOAT16 : DataType.BFLOAT16;
    }

    /**
     * Returns the attention configuration every layer uses.
     *
     * @return the spec
     */
    public AttentionSpec getAttentionSpec() {
        return attention.getSpec();
    }

    /**
     * Returns a copy of this model's runner with another split policy (same weights), for
     * measuring policies against each other.
     *
     * @param policy the policy
     * @return a model sharing this one's weights; close only the original
     */
    public LlamaModel withSplitPolicy(SplitPolicy policy) {
        LlamaModel m = new LlamaModel(config, manager, policy, pageSize, kvPages, cacheType);
        m.layers.addAll(layers);
        m.embed = embed;
        m.finalNorm = finalNorm;
        m.head = head;
        return m;
    }

    /**
     * Returns the tokens per KV page (the {@code page_size} option).
     *
     * @return the page size
     */
    public int getPageSize() {
        return pageSize;
    }

    /**
     * Allocates a KV pool of {@value #KV_CACHE_PAGES} pages (the option) of {@code page_size}.
     *
     * @return the pool
     */
    public KvCacheManager newKvCache() {
        return newKvCache(kvPages);
    }

    /**
     * Allocates a KV pool.
     *
     * @param pages pages in the pool
     * @return the pool
     */
    public KvCacheManager newKvCache(int pages) {
        return new KvCacheManager("kv_cache_pages=" + pages, manager, config.numLayers, pages, pageSize,
                config.numKvHeads, config.headDim, cacheType);
    }

    /**
     * Runs one step: each sequence gets its tokens appended (chunked prefill or one decode token)
     * and attends to everything it holds.
     *
     * @param cache the pool the sequences live in
     * @param seqs the batch's sequences
     * @param tokens the new tokens of each
     * @param allRows per sequence: logits for every new token, or only its last
     * @return per sequence, its logits rows (vocab floats each)
     */
    public float[][][] forward(KvCacheManager cache, List<KvCacheManager.Sequence> seqs, List<int[]> tokens,
            boolean[] allRows) {
        int n = seqs.size();
        int[] qo = new int[n + 1];
        for (int r = 0; r < n; r++) {
            if (tokens.get(r).length == 0) {
                throw new IllegalArgumentException("sequence " + r + " has no new tokens");
            }
            qo[r + 1] = qo[r] + tokens.get(r).length;
        }
        int[] lens = new int[n];
        for (int r = 0; r < n; r++) {
            lens[r] = tokens.get(r).length;
        }
        cache.extendAll(seqs, lens);
        int[] ids = new int[qo[n]];
        for (int r = 0; r < n; r++) {
            System.arraycopy(tokens.get(r), 0, ids, qo[r], tokens.get(r).length);
        }
        int[][] pt = cache.pageTable(seqs);
        BatchPlan plan = attention.planPrefill(qo, pt[0], pt[1], pt[2], cache.getPageSize());
        int t = ids.length;
        Shape qShape = new Shape(t, config.numHeads, config.headDim);
        Shape kvShape = new Shape(t, config.numKvHeads, config.headDim);
        try (NDManager step = manager.newSubManager()) {
            NDArray x = embed.forward(step, ids);
            for (int li = 0; li < layers.size(); li++) {
                Layer l = layers.get(li);
                NDArray hN = l.inputNorm.forward(x);
                NDArray q = l.q.forward(hN).reshape(qShape).toType(cacheType, false);
                NDArray k = l.k.forward(hN).reshape(kvShape).toType(cacheType, false);
                NDArray v = l.v.forward(hN).reshape(kvShape).toType(cacheType, false);
                cache.layer(li).append(k, v, qo, pt[0], pt[1], pt[2]);
                try (AttentionOutput out = attention.run(plan, q, cache.layer(li))) {
                    NDArray a = out.getOutput().toType(x.getDataType(), false)
                            .reshape(new Shape(t, (long) config.numHeads * config.headDim));
                    x = x.add(l.o.forward(a));
                }
                x = x.add(l.mlp.forward(l.postNorm.forward(x)));
            }
            List<Integer> rows = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                for (int i = allRows != null && allRows[r] ? qo[r] : qo[r + 1] - 1; i < qo[r + 1]; i++) {
                    rows.add(i);
                }
            }
            int[] rowIdx = rows.stream().mapToInt(Integer::intValue).toArray();
            NDArray sel = x.get(new NDIndex("{}", step.create(rowIdx, new Shape(rowIdx.length))));
            float[] logits = head.forward(finalNorm.forward(sel)).toFloatArray();
            int v = config.vocabSize;
            float[][][] res = new float[n][][];
            int p = 0;
            for (int r = 0; r < n; r++) {
                int cnt = allRows != null && allRows[r] ? qo[r + 1] - qo[r] : 1;
                res[r] = new float[cnt][];
                for (int i = 0; i < cnt; i++, p++) {
                    res[r][i] = java.util.Arrays.copyOfRange(logits, p * v, (p + 1) * v);
                }
            }
            return res;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        for (Layer l : layers) {
            l.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {embed, finalNorm, head}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
