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
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
 * norm and the LM head.
 *
 * <p>Types ({@link ModelTypes}): by default activations and weights are float32 (fp16/bf16
 * weights are widened at load; on the CPU the projections' weights keep the checkpoint's 16 bits
 * and are widened exactly when their panels are packed) and the KV cache is float32 on the CPU and, on a GPU, float16 or
 * bfloat16 (the {@code dtype} option), q, k and v rounded to it before attention. On a GPU with
 * {@code dtype} float16 or bfloat16 the weights, activations and cache are all in that type, as
 * Hugging Face transformers runs a model loaded in it: products accumulate in float32 and round
 * once, RMS norm and SiLU compute in float32 and round back, the residual stream stays in the
 * type, and the logits are the head's 16-bit output widened to float32.
 *
 * <p>On a GPU, a step whose every sequence feeds one token (decode) is replayed from a CUDA graph
 * recorded once per batch-size bucket ({@link DecodeGraphs}; option {@value #DECODE_GRAPH}), with
 * the bits of the eager step. A request's rows never meet another request's in a reduction, so
 * its logits are the same bits whatever else is in the step.
 */
public final class LlamaModel implements AutoCloseable {

    /** Option: pages in the KV pool of {@link #newKvCache()}. */
    public static final String KV_CACHE_PAGES = "kv_cache_pages";
    /** The default pool size. */
    public static final int DEFAULT_KV_CACHE_PAGES = 512;
    /** Option: the type of weights and activations ({@code auto}: see the class comment). */
    public static final String COMPUTE_DTYPE = ModelTypes.COMPUTE_DTYPE;
    /** Option: replay decode steps from CUDA graphs ({@code auto}: on a GPU; {@code true}, {@code false}). */
    public static final String DECODE_GRAPH = ModelTypes.DECODE_GRAPH;

    /** Where a layer's new keys and values go and what its queries attend to. */
    interface KvStep {
        void append(int layer, NDArray k, NDArray v);

        /** Returns the attention output (rows, heads, head_dim) in the cache's type; the caller closes it. */
        NDArray attend(int layer, NDArray q);
    }

    private final HfConfig config;
    private final NDManager manager;
    private final BatchAttention attention;
    private final int pageSize;
    private final int kvPages;
    private final ModelTypes types;
    private LlamaWeights weights;

    private LlamaModel(HfConfig config, NDManager manager, SplitPolicy split, int pageSize, int kvPages,
            ModelTypes types) {
        this.config = config;
        this.types = types;
        this.manager = manager;
        this.pageSize = pageSize;
        this.kvPages = kvPages;
        AttentionSpec.Builder b = AttentionSpec.builder()
                .setHeads(config.numHeads, config.numKvHeads)
                .setHeadDim(config.headDim)
                .optCausal(true)
                // keys rotated once as they enter the cache, not by every query tile that reads them
                .optPosEncoding(PosEncoding.ROPE_LLAMA_ROTATED_CACHE)
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
     *     {@code disable_split_kv}, {@code dtype}), {@value #KV_CACHE_PAGES}, {@value
     *     #COMPUTE_DTYPE} and {@value #DECODE_GRAPH}
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
        ModelTypes types = ModelTypes.of(manager.getDevice(), eo.getDataType(), options);
        HfConfig config = HfConfig.read(dir.resolve("config.json"));
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        LlamaModel m = new LlamaModel(config, manager, split, eo.getPageSize(), pages, types);
        m.weights = LlamaWeights.load(ckpt, config, manager, types);
        return m;
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
     * Returns the bytes the model's weight arrays hold (a tied LM head's table counted once; not
     * the panels a CPU {@code linear} packs from them).
     *
     * @return bytes
     */
    public long getWeightBytes() {
        return weights.bytes();
    }

    /**
     * Returns the type of the weights and activations.
     *
     * @return float32, or float16 / bfloat16
     */
    public DataType getComputeType() {
        return types.compute;
    }

    /**
     * Returns the KV cache's type.
     *
     * @return the type
     */
    public DataType getCacheType() {
        return types.cache;
    }

    /**
     * Tells whether decode steps are replayed from recorded graphs ({@value #DECODE_GRAPH}).
     *
     * @return true when on
     */
    public boolean usesDecodeGraphs() {
        return types.graphs;
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
        return share(policy, types);
    }

    /**
     * Returns a copy of this model's runner with decode graphs on or off (same weights), for
     * comparing the two.
     *
     * @param on whether decode steps replay recorded graphs
     * @return a model sharing this one's weights; close only the original
     */
    public LlamaModel withDecodeGraphs(boolean on) {
        return share(attention.getSpec().getSplitPolicy(), types.withGraphs(on));
    }

    private LlamaModel share(SplitPolicy policy, ModelTypes t) {
        LlamaModel m = new LlamaModel(config, manager, policy, pageSize, kvPages, t);
        m.weights = weights;
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
     * Allocates a KV pool (with a scratch page beside its {@code pages} when decode graphs are on).
     *
     * @param pages pages in the pool
     * @return the pool
     */
    public KvCacheManager newKvCache(int pages) {
        return newKvCache(pages, types.graphs);
    }

    /**
     * Allocates a KV pool; without the scratch page its decode steps always run eagerly (a pool
     * made for one short request would spend more on recording than it saves).
     */
    KvCacheManager newKvCache(int pages, boolean forGraphs) {
        return new KvCacheManager("kv_cache_pages=" + pages, manager, config.numLayers, pages, pageSize,
                config.numKvHeads, config.headDim, types.cache, forGraphs);
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
        StepBatch s = prepare(cache, seqs, tokens);
        int n = s.size();
        int v = config.vocabSize;
        float[] logits = null;
        DecodeGraphs g = s.isDecode(allRows) ? graphs(cache) : null;
        if (g != null) {
            logits = g.logits(s);
        }
        if (logits == null) {
            try (NDManager step = manager.newSubManager()) {
                logits = eagerLogits(step, cache, s, allRows).toFloatArray();
            }
        }
        float[][][] res = new float[n][][];
        int p = 0;
        for (int r = 0; r < n; r++) {
            int cnt = allRows != null && allRows[r] ? s.qo[r + 1] - s.qo[r] : 1;
            res[r] = new float[cnt][];
            for (int i = 0; i < cnt; i++, p++) {
                res[r][i] = java.util.Arrays.copyOfRange(logits, p * v, (p + 1) * v);
            }
        }
        return res;
    }

    /**
     * Runs one step as {@link #forward} does and picks each sequence's greedy token on the
     * model's device, so only a token and a log-probability per sequence come back to the host
     * (not a vocabulary of logits).
     *
     * @param cache the pool the sequences live in
     * @param seqs the batch's sequences
     * @param tokens the new tokens of each
     * @return per sequence, the argmax of its last logits row and its log-probability
     */
    public GreedyPicks forwardGreedy(KvCacheManager cache, List<KvCacheManager.Sequence> seqs, List<int[]> tokens) {
        StepBatch s = prepare(cache, seqs, tokens);
        DecodeGraphs graphs = s.isDecode(null) ? graphs(cache) : null;
        GreedyPicks g = graphs == null ? null : graphs.greedy(s);
        if (g != null) {
            return g;
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray[] tl = greedyOf(eagerLogits(step, cache, s, null));
            long[] t = tl[0].toLongArray();
            float[] lp = tl[1].toFloatArray();
            int[] ids = new int[t.length];
            for (int i = 0; i < t.length; i++) {
                ids[i] = (int) t[i];
            }
            return new GreedyPicks(ids, lp);
        }
    }

    /**
     * Returns how many decode steps are recorded over a pool for this model: one per batch-size
     * bucket and kind (logits or greedy) used so far; 0 when decode steps run eagerly there.
     *
     * @param cache the pool
     * @return the count
     */
    public int recordedDecodeSteps(KvCacheManager cache) {
        DecodeGraphs g = graphs(cache);
        return g == null ? 0 : g.count();
    }

    /** The pool's recorded decode steps, or null when this model does not replay over it. */
    private DecodeGraphs graphs(KvCacheManager cache) {
        if (!types.graphs) {
            return null;
        }
        DecodeGraphs g = cache.graphs(() -> new DecodeGraphs(this, cache));
        // the recordings hold one model's attention and weights: another runner over the same pool runs eagerly
        return g.getModel() == this ? g : null;
    }

    private StepBatch prepare(KvCacheManager cache, List<KvCacheManager.Sequence> seqs, List<int[]> tokens) {
        int n = seqs.size();
        int[] qo = new int[n + 1];
        for (int r = 0; r < n; r++) {
            if (tokens.get(r).length == 0) {
                throw new IllegalArgumentException("sequence " + r + " has no new tokens");
            }
            qo[r + 1] = qo[r] + tokens.get(r).length;
        }
        int[] ids = new int[qo[n]];
        for (int r = 0; r < n; r++) {
            System.arraycopy(tokens.get(r), 0, ids, qo[r], tokens.get(r).length);
        }
        // checked before the cache grows, so a bad id changes nothing
        weights.embed.checkIds(ids);
        int[] lens = new int[n];
        for (int r = 0; r < n; r++) {
            lens[r] = tokens.get(r).length;
        }
        cache.extendAll(seqs, lens);
        int[][] pt = cache.pageTable(seqs);
        BatchPlan plan = attention.planPrefill(qo, pt[0], pt[1], pt[2], cache.getPageSize());
        return new StepBatch(seqs, qo, ids, pt, plan);
    }

    /** The eager step: float32 logits (rows, vocab) of every row asked for, in {@code step}. */
    private NDArray eagerLogits(NDManager step, KvCacheManager cache, StepBatch s, boolean[] allRows) {
        int t = s.ids.length;
        int[][] pt = s.pageTable;
        NDArray x = weights.embed.forward(step, s.ids);
        x = decoder(x, t, new KvStep() {
            @Override
            public void append(int layer, NDArray k, NDArray v) {
                cache.layer(layer).append(attention.getSpec(), k, v, s.qo, pt[0], pt[1], pt[2]);
            }

            @Override
            public NDArray attend(int layer, NDArray q) {
                AttentionOutput out = attention.run(s.plan, q, cache.layer(layer));
                out.getLse().close();
                return out.getOutput();
            }
        });
        int n = s.size();
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            for (int i = allRows != null && allRows[r] ? s.qo[r] : s.qo[r + 1] - 1; i < s.qo[r + 1]; i++) {
                rows.add(i);
            }
        }
        NDArray sel = x;
        if (rows.size() != t) {
            int[] rowIdx = rows.stream().mapToInt(Integer::intValue).toArray();
            sel = x.get(new NDIndex("{}", step.create(rowIdx, new Shape(rowIdx.length))));
            x.close();
        }
        return logitsOf(sel);
    }

    /**
     * The decoder layers over rows of hidden states; {@code x} is consumed (closed), as are the
     * step's intermediates as soon as they are used, so a recorded step reuses their memory.
     */
    NDArray decoder(NDArray x, long rows, KvStep io) {
        Shape qShape = new Shape(rows, config.numHeads, config.headDim);
        Shape kvShape = new Shape(rows, config.numKvHeads, config.headDim);
        Shape flat = new Shape(rows, (long) config.numHeads * config.headDim);
        // each layer's input norm joins the residual add before it (one op: the sum and its norm)
        NDArray hN = weights.layers.isEmpty() ? null : weights.layers.get(0).inputNorm.forward(x);
        for (int li = 0; li < weights.layers.size(); li++) {
            LlamaWeights.Layer l = weights.layers.get(li);
            NDArray qkv = l.qkv.forward(hN);
            hN.close();
            long qd = qShape.get(1) * qShape.get(2);
            long kvd = kvShape.get(1) * kvShape.get(2);
            NDArray q = heads(qkv, 0, qd, qShape);
            NDArray k = heads(qkv, qd, qd + kvd, kvShape);
            NDArray v = heads(qkv, qd + kvd, qd + 2 * kvd, kvShape);
            qkv.close();
            io.append(li, k, v);
            k.close();
            v.close();
            NDArray o = io.attend(li, q);
            q.close();
            NDArray wide = o.toType(x.getDataType(), false);
            NDArray a = wide.reshape(flat);
            if (wide != o) {
                wide.close();
            }
            o.close();
            NDArray proj = l.o.forward(a);
            a.close();
            NDList post = l.postNorm.forwardAdd(x, proj);
            x.close();
            proj.close();
            NDArray x1 = post.get(0);
            NDArray m = l.mlp.forward(post.get(1));
            post.get(1).close();
            if (li + 1 < weights.layers.size()) {
                NDList next = weights.layers.get(li + 1).inputNorm.forwardAdd(x1, m);
                x = next.get(0);
                hN = next.get(1);
            } else {
                x = x1.add(m);
            }
            x1.close();
            m.close();
        }
        return x;
    }

    /** Columns [from, to) of the stacked projection's output as (rows, heads, head_dim) of the cache's type. */
    private NDArray heads(NDArray qkv, long from, long to, Shape shape) {
        NDArray y = qkv.get(new NDIndex(":, {}:{}", from, to));
        NDArray r = y.reshape(shape);
        y.close();
        NDArray c = r.toType(types.cache, false);
        if (c != r) {
            r.close();
        }
        return c;
    }

    /** Final norm and head: float32 logits; {@code h} is consumed. */
    NDArray logitsOf(NDArray h) {
        NDArray n = weights.finalNorm.forward(h);
        h.close();
        NDArray y = weights.head.forward(n);
        n.close();
        NDArray f = y.toType(DataType.FLOAT32, false);
        if (f != y) {
            y.close();
        }
        return f;
    }

    /**
     * Each row's argmax (int64) and its log-probability: the row's largest log-softmax value,
     * which is the log-softmax at the argmax (subtracting one value from every logit keeps their
     * order); {@code logits} is consumed.
     */
    static NDArray[] greedyOf(NDArray logits) {
        NDArray tok = logits.argMax(1);
        NDArray ls = logits.logSoftmax(1);
        logits.close();
        NDArray lp = ls.max(new int[] {1});
        ls.close();
        return new NDArray[] {tok, lp};
    }

    NDManager getManager() {
        return manager;
    }

    BatchAttention getAttention() {
        return attention;
    }

    EmbeddingLookup getEmbedding() {
        return weights.embed;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (weights != null) {
            weights.close();
        }
    }
}
