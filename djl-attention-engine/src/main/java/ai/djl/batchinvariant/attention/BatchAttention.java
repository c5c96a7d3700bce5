/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Batch-invariant fused attention over a paged KV cache or ragged contiguous KV: plan once per
 * batch, run per layer.
 *
 * <pre>{@code
 * BatchAttention attn = new BatchAttention(spec);
 * BatchPlan plan = attn.planPrefill(qoIndptr, kvIndptr, kvIndices, kvLastPageLen, pageSize);
 * for (layer ...) {
 *     try (AttentionOutput out = attn.run(plan, q, cache[layer])) { ... }
 * }
 * }</pre>
 *
 * <p>For one spec, a request's output and lse bits depend on that request alone: not on batch
 * size, order, the other requests' lengths, where its pages sit or the page size, nor on whether
 * its rows come from prefill, chunked prefill or decode (with {@link SplitPolicy#fixed} or {@link
 * SplitPolicy#disabled}). Every argument is validated before any computation; an invalid one
 * raises an {@link IllegalArgumentException} that names it.
 */
public final class BatchAttention {

    private final AttentionSpec spec;

    /**
     * Creates batch attention for one layer configuration.
     *
     * @param spec the configuration
     */
    public BatchAttention(AttentionSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        this.spec = spec;
    }

    /**
     * Returns the configuration.
     *
     * @return the spec
     */
    public AttentionSpec getSpec() {
        return spec;
    }

    /**
     * Plans batch prefill over a paged cache (FlashInfer's argument conventions).
     *
     * @param qoIndptr query rows per request: request r owns rows [qo_indptr[r], qo_indptr[r+1])
     * @param kvIndptr pages per request: request r owns kv_indices[kv_indptr[r] .. kv_indptr[r+1])
     * @param kvIndices page indices into the pool
     * @param kvLastPageLen tokens in each request's last page, in [1, page_size]
     * @param pageSize tokens per page
     * @return the plan
     */
    public BatchPlan planPrefill(int[] qoIndptr, int[] kvIndptr, int[] kvIndices, int[] kvLastPageLen, int pageSize) {
        return BatchPlan.paged(spec, qoIndptr, kvIndptr, kvIndices, kvLastPageLen, pageSize);
    }

    /**
     * Plans batch decode (one query row per request) over a paged cache.
     *
     * @param kvIndptr pages per request
     * @param kvIndices page indices into the pool
     * @param kvLastPageLen tokens in each request's last page
     * @param pageSize tokens per page
     * @return the plan
     */
    public BatchPlan planDecode(int[] kvIndptr, int[] kvIndices, int[] kvLastPageLen, int pageSize) {
        if (kvIndptr == null || kvIndptr.length < 2) {
            throw new IllegalArgumentException("kv_indptr must hold batch_size + 1 >= 2 entries");
        }
        int[] qo = new int[kvIndptr.length];
        for (int i = 0; i < qo.length; i++) {
            qo[i] = i;
        }
        return BatchPlan.paged(spec, qo, kvIndptr, kvIndices, kvLastPageLen, pageSize);
    }

    /**
     * Plans attention over ragged contiguous KV: request r's keys are rows [kv_indptr[r],
     * kv_indptr[r] + kv_len[r]) of the key array.
     *
     * @param qoIndptr query rows per request
     * @param kvIndptr KV rows per request
     * @param kvLens KV length per request (at most its segment), or null for the whole segment
     * @return the plan
     */
    public BatchPlan planRagged(int[] qoIndptr, int[] kvIndptr, int[] kvLens) {
        return BatchPlan.ragged(spec, qoIndptr, kvIndptr, kvLens);
    }

    /**
     * Runs a paged plan.
     *
     * @param plan a paged plan of this spec
     * @param q queries (total_qo, num_qo_heads, head_dim), the cache's data type
     * @param cache the layer's KV cache
     * @return output (total_qo, num_qo_heads, head_dim) in q's type and lse (total_qo,
     *     num_qo_heads) float32, attached to q's manager
     */
    public AttentionOutput run(BatchPlan plan, NDArray q, PagedKvCache cache) {
        checkPlan(plan, true);
        if (cache == null) {
            throw new IllegalArgumentException("kv_cache must not be null");
        }
        cache.checkOpen();
        if (cache.getNumKvHeads() != spec.getNumKvHeads() || cache.getHeadDim() != spec.getHeadDim()) {
            throw new IllegalArgumentException("kv_cache has num_kv_heads=" + cache.getNumKvHeads() + ", head_dim="
                    + cache.getHeadDim() + "; the spec needs " + spec.getNumKvHeads() + ", " + spec.getHeadDim());
        }
        cache.checkPages(plan);
        DataType type = cache.getDataType();
        Tensor qb = checkArray("q", q, new Shape(plan.getTotalQo(), spec.getNumQoHeads(), spec.getHeadDim()), type);
        Tensor kb = checkArray("kv_cache keys", cache.getKeys(), cache.getKeys().getShape(), type);
        Tensor vb = checkArray("kv_cache values", cache.getValues(), cache.getValues().getShape(), type);
        return execute(plan, q, qb, kb, vb, cache.getLayout() == KvLayout.HND);
    }

    /**
     * Captures a decode step over a GPU cache as a CUDA graph (FIXED or DISABLED split).
     *
     * @param cache the cache (on a GPU, float16 or bfloat16)
     * @param maxBatch requests per step, at most
     * @param maxKvLen KV positions per request, at most
     * @return the graph; replays give bitwise the eager results
     */
    public DecodeGraph captureDecode(PagedKvCache cache, int maxBatch, int maxKvLen) {
        if (cache == null) {
            throw new IllegalArgumentException("kv_cache must not be null");
        }
        cache.checkOpen();
        Tensor k = checkArray("kv_cache keys", cache.getKeys(), cache.getKeys().getShape(), cache.getDataType());
        Tensor v = checkArray("kv_cache values", cache.getValues(), cache.getValues().getShape(), cache.getDataType());
        if (!k.isOnDevice()) {
            throw new IllegalArgumentException("kv_cache is on " + k.getDevice() + ": CUDA graphs need a GPU cache");
        }
        checkCudaSupport("kv_cache", k);
        if (cache.getNumKvHeads() != spec.getNumKvHeads() || cache.getHeadDim() != spec.getHeadDim()) {
            throw new IllegalArgumentException("kv_cache has num_kv_heads=" + cache.getNumKvHeads() + ", head_dim="
                    + cache.getHeadDim() + "; the spec needs " + spec.getNumKvHeads() + ", " + spec.getHeadDim());
        }
        SplitPolicy policy = spec.getSplitPolicy();
        if (policy.getKind() == SplitPolicy.Kind.AUTO) {
            throw new IllegalArgumentException("split_policy=AUTO cannot be captured in a CUDA graph: it sizes chunks"
                    + " per batch; use SplitPolicy.fixed(size) or SplitPolicy.disabled()");
        }
        int split = policy.splitSizeFor(new int[] {1}, spec.getNumKvHeads());
        AttentionOps ops = Backends.of(k.getDevice()).attention();
        return new DecodeGraph(this, cache, ops.captureDecode(spec.config(), k, v, cache.getLayout() == KvLayout.HND,
                split, cache.getPageSize(), maxBatch, maxKvLen));
    }

    /**
     * Allocates the fixed-address inputs of a whole decode step (see {@link DecodeInputs}), for
     * recording the step once and replaying it (FIXED or DISABLED split).
     *
     * @param cache a layer's cache: every cache the inputs serve is laid out as this one
     * @param capacity rows of the step (requests at most)
     * @param maxKvTokens the most KV tokens a step's requests hold together (the pool's tokens)
     * @param scratchPage a page of the pool no sequence ever holds: padding rows write there
     * @return the inputs
     */
    public DecodeInputs decodeInputs(PagedKvCache cache, int capacity, int maxKvTokens, int scratchPage) {
        if (cache == null) {
            throw new IllegalArgumentException("kv_cache must not be null");
        }
        cache.checkOpen();
        Tensor k = checkArray("kv_cache keys", cache.getKeys(), cache.getKeys().getShape(), cache.getDataType());
        if (k.isOnDevice()) {
            checkCudaSupport("kv_cache", k);
        }
        if (cache.getNumKvHeads() != spec.getNumKvHeads() || cache.getHeadDim() != spec.getHeadDim()) {
            throw new IllegalArgumentException("kv_cache has num_kv_heads=" + cache.getNumKvHeads() + ", head_dim="
                    + cache.getHeadDim() + "; the spec needs " + spec.getNumKvHeads() + ", " + spec.getHeadDim());
        }
        if (scratchPage < 0 || scratchPage >= cache.getNumPages()) {
            throw new IllegalArgumentException("scratch page " + scratchPage + " is outside the pool of "
                    + cache.getNumPages() + " pages");
        }
        if (capacity < 1 || maxKvTokens < 1) {
            throw new IllegalArgumentException("capacity=" + capacity + " and max_kv_tokens=" + maxKvTokens
                    + " must be positive");
        }
        SplitPolicy policy = spec.getSplitPolicy();
        if (policy.getKind() == SplitPolicy.Kind.AUTO) {
            throw new IllegalArgumentException("split_policy=AUTO cannot be replayed: it sizes chunks per batch; use"
                    + " SplitPolicy.fixed(size) or SplitPolicy.disabled()");
        }
        int split = policy.splitSizeFor(new int[] {1}, spec.getNumKvHeads());
        AttentionOps ops = Backends.of(k.getDevice()).attention();
        return new DecodeInputs(this, cache, ops.decodeBuffers(spec.config(), k, split, cache.getPageSize(), capacity,
                maxKvTokens, cache.getNumPages()), scratchPage);
    }

    /**
     * Runs a ragged plan.
     *
     * @param plan a ragged plan of this spec
     * @param q queries (total_qo, num_qo_heads, head_dim)
     * @param k keys (total_kv, num_kv_heads, head_dim), q's data type
     * @param v values, shaped as k
     * @return output and lse, attached to q's manager
     */
    public AttentionOutput runRagged(BatchPlan plan, NDArray q, NDArray k, NDArray v) {
        checkPlan(plan, false);
        if (q == null) {
            throw new IllegalArgumentException("q must not be null");
        }
        DataType type = q.getDataType();
        checkFloatType("q dtype", type);
        Tensor qb = checkArray("q", q, new Shape(plan.getTotalQo(), spec.getNumQoHeads(), spec.getHeadDim()), type);
        if (k == null) {
            throw new IllegalArgumentException("k must not be null");
        }
        long rows = k.getShape().dimension() == 3 ? k.getShape().get(0) : -1;
        int need = 0;
        for (int r = 0; r < plan.getBatchSize(); r++) {
            need = Math.max(need, plan.kvStart(r) + plan.kvLen(r));
        }
        if (rows < need) {
            throw new IllegalArgumentException("k has shape " + k.getShape() + "; the plan reads " + need + " rows");
        }
        Shape kvShape = new Shape(rows, spec.getNumKvHeads(), spec.getHeadDim());
        Tensor kb = checkArray("k", k, kvShape, type);
        Tensor vb = checkArray("v", v, kvShape, type);
        return execute(plan, q, qb, kb, vb, false);
    }

    private AttentionOutput execute(BatchPlan plan, NDArray q, Tensor qb, Tensor kb, Tensor vb, boolean hnd) {
        AttentionOps ops = backendFor(qb, kb, vb);
        Tensor[] out = ops.attention(plan.work(), qb, kb, vb, hnd);
        return wrap(q.getManager(), out);
    }

    static AttentionOutput wrap(NDManager manager, Tensor[] out) {
        TensorFactory f = (TensorFactory) manager;
        return new AttentionOutput(f.wrap(out[0]), f.wrap(out[1]));
    }

    AttentionOps backendFor(Tensor q, Tensor k, Tensor v) {
        checkSameDevice(q, k, v);
        if (q.isOnDevice()) {
            checkCudaSupport("q", q);
        }
        return Backends.of(q.getDevice()).attention();
    }

    private void checkCudaSupport(String what, Tensor a) {
        if (a.getDataType() == DataType.FLOAT32) {
            throw new IllegalArgumentException(what + " dtype float32 is not supported on " + a.getDevice()
                    + ": the CUDA kernels take float16 or bfloat16 (tensor cores, float32 accumulation)");
        }
        if (spec.getHeadDim() < 64) {
            throw new IllegalArgumentException("head_dim=" + spec.getHeadDim() + " is not supported on "
                    + a.getDevice() + ": the CUDA kernels take 64, 128 or 256");
        }
        int group = spec.getNumQoHeads() / spec.getNumKvHeads();
        if (AttentionWork.Q_TILE_ROWS % group != 0) {
            throw new IllegalArgumentException("num_qo_heads / num_kv_heads = " + group + " must divide "
                    + AttentionWork.Q_TILE_ROWS + " on " + a.getDevice() + " (GQA heads are packed into query tiles)");
        }
    }

    static void checkSameDevice(Tensor q, Tensor k, Tensor v) {
        if (!q.getDevice().equals(k.getDevice()) || !q.getDevice().equals(v.getDevice())) {
            throw new IllegalArgumentException("q is on " + q.getDevice() + ", keys on " + k.getDevice()
                    + ", values on " + v.getDevice() + ": all must be on one device");
        }
    }

    private void checkPlan(BatchPlan plan, boolean paged) {
        if (plan == null) {
            throw new IllegalArgumentException("plan must not be null");
        }
        if (plan.getSpec() != spec) {
            throw new IllegalArgumentException("plan was made by another BatchAttention (spec " + plan.getSpec() + ")");
        }
        if (plan.isPaged() != paged) {
            throw new IllegalArgumentException("plan is " + (plan.isPaged() ? "paged" : "ragged")
                    + "; use " + (plan.isPaged() ? "run" : "runRagged"));
        }
    }

    static void checkManager(NDManager manager, String what) {
        if (manager == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (!manager.isOpen()) {
            throw new IllegalArgumentException(what + " (NDManager " + manager.getName() + ") is closed");
        }
        if (!(manager instanceof TensorFactory)) {
            throw new IllegalArgumentException(what + " belongs to engine " + manager.getEngine().getEngineName()
                    + ", not BatchInvariant");
        }
    }

    static void checkFloatType(String what, DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException(what + "=" + type + " is unsupported: expected float32, float16 or bfloat16");
        }
    }

    /**
     * Checks that an array is an open array of this engine with the given shape and type.
     *
     * @param name the argument's name for messages
     * @param a the array
     * @param shape the expected shape
     * @param type the expected data type
     * @return the array
     */
    static Tensor checkArray(String name, NDArray a, Shape shape, DataType type) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!(a instanceof TensorArray)) {
            throw new IllegalArgumentException(name + " is an array of engine "
                    + a.getManager().getEngine().getEngineName() + ", not BatchInvariant");
        }
        if (a.isReleased()) {
            throw new IllegalArgumentException(name + " has been closed");
        }
        checkManager(a.getManager(), name + "'s manager");
        if (a.getDataType() != type) {
            throw new IllegalArgumentException(name + " dtype " + a.getDataType() + " does not match " + type);
        }
        if (!a.getShape().equals(shape)) {
            throw new IllegalArgumentException(name + " shape " + a.getShape() + " does not match expected " + shape);
        }
        if (!HostData.isFloating(type)) {
            throw new IllegalArgumentException(name + " must be a float array");
        }
        return ((TensorArray) a).tensor();
    }
}
