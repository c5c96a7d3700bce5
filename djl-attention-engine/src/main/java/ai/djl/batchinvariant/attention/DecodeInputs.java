/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.DecodeBuffers;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The inputs of a whole decode step — token ids, where each new token's key and value go, and
 * the attention plan — held at fixed device addresses for a fixed number of rows (the capacity),
 * so that the step's ops can be recorded once as a CUDA graph and replayed with each step's
 * values. Made by {@link BatchAttention#decodeInputs}.
 *
 * <pre>{@code
 * DecodeInputs in = attention.decodeInputs(cache[0], 8, maxKvTokens, scratchPage);
 * in.loadIdle();
 * // record once: x = in.embed(m, table); per layer in.append(cache[l], k, v); in.attend(cache[l], q) ...
 * in.load(plan, ids);  // every step, then replay
 * }</pre>
 *
 * <p>A step of b requests fills rows [0, b); rows [b, capacity) are padding: their lookups read
 * id 0, their keys and values go to the scratch page, and no request's attention reads them.
 * Every op keeps rows apart, so a request's bits are those of an eager step of any batch.
 */
public final class DecodeInputs implements AutoCloseable {

    private final BatchAttention attention;
    private final DecodeBuffers buffers;
    private final int capacity;
    private final int pageSize;
    private final int numKvHeads;
    private final int headDim;
    private final int numPages;
    private final int scratchPage;
    private final KvLayout layout;
    private final DataType type;
    private final Device device;
    private final PagedKvCache template;
    /** Rows of the table the recorded lookup reads (0 until {@link #embed}): loads check ids against it. */
    private volatile long vocab;

    DecodeInputs(BatchAttention attention, PagedKvCache template, DecodeBuffers buffers, int scratchPage) {
        this.attention = attention;
        this.template = template;
        this.buffers = buffers;
        this.capacity = buffers.getCapacity();
        this.pageSize = template.getPageSize();
        this.numKvHeads = template.getNumKvHeads();
        this.headDim = template.getHeadDim();
        this.numPages = template.getNumPages();
        this.scratchPage = scratchPage;
        this.layout = template.getLayout();
        this.type = template.getDataType();
        this.device = template.getKeys().getDevice();
    }

    /**
     * Returns the rows of every op.
     *
     * @return the capacity
     */
    public int getCapacity() {
        return capacity;
    }

    /**
     * Loads one decode step: request r's new token is {@code ids[r]}, its key and value go to
     * slot {@code kv_len(r) - 1} of its pages, and it attends to its whole KV.
     *
     * @param plan a decode plan of this attention (one query row per request), at most capacity requests
     * @param ids each request's new token id
     * @throws IllegalArgumentException naming what does not fit
     */
    public void load(BatchPlan plan, int[] ids) {
        if (plan == null || plan.getSpec() != attention.getSpec() || !plan.isPaged()) {
            throw new IllegalArgumentException("plan must be a paged plan of the BatchAttention that made the inputs");
        }
        int b = plan.getBatchSize();
        if (ids == null || ids.length != b) {
            throw new IllegalArgumentException("ids must hold one id per request (" + b + ")");
        }
        if (b > capacity) {
            throw new IllegalArgumentException("batch size " + b + " exceeds the capacity " + capacity);
        }
        template.checkPages(plan);
        long v = vocab;
        int[] all = new int[capacity];
        for (int r = 0; r < b; r++) {
            if (ids[r] < 0 || v > 0 && ids[r] >= v) {
                throw new IllegalArgumentException("token id " + ids[r] + " of request " + r
                        + " is outside the vocabulary [0, " + v + ")");
            }
            all[r] = ids[r];
        }
        long[] offsets = new long[capacity * numKvHeads];
        for (int r = 0; r < capacity; r++) {
            int page;
            int slot;
            if (r < b) {
                if (plan.qoLen(r) != 1) {
                    throw new IllegalArgumentException("request " + r + " has " + plan.qoLen(r)
                            + " query rows: a decode step has one per request");
                }
                int pos = plan.kvLen(r) - 1;
                page = plan.page(r, pos);
                slot = pos % pageSize;
            } else {
                // distinct scratch slots while there are enough; padding values are never read
                page = scratchPage;
                slot = (r - b) % pageSize;
            }
            for (int h = 0; h < numKvHeads; h++) {
                offsets[r * numKvHeads + h] = template.offset(page, slot, h);
            }
        }
        buffers.load(all, plan.work(), offsets);
    }

    /**
     * Loads a step that touches no request: one request of one token on the scratch page, every
     * row padding otherwise (for recording, or a warm-up run).
     */
    public void loadIdle() {
        BatchPlan idle = attention.planDecode(new int[] {0, 1}, new int[] {scratchPage}, new int[] {1}, pageSize);
        load(idle, new int[] {0});
    }

    /**
     * Looks up every row's loaded id.
     *
     * @param manager the manager of the result
     * @param table (vocab, hidden) on the inputs' device
     * @return (capacity, hidden)
     */
    public NDArray embed(NDManager manager, NDArray table) {
        Tensor t = BatchAttention.checkArray("table", table, table.getShape(), table.getDataType());
        if (table.getShape().dimension() != 2) {
            throw new IllegalArgumentException("table must be (vocab, hidden), got " + table.getShape());
        }
        checkDevice("table", table);
        vocab = table.getShape().get(0);
        return ((TensorFactory) manager).wrap(buffers.embed(t));
    }

    /**
     * Writes every row's new key and value (padding rows to the scratch page).
     *
     * @param cache a layer's cache, laid out as the one the inputs were made for
     * @param k (capacity, num_kv_heads, head_dim), the cache's type
     * @param v as k
     */
    public void append(PagedKvCache cache, NDArray k, NDArray v) {
        checkCache(cache);
        Shape s = new Shape(capacity, numKvHeads, headDim);
        Tensor kb = BatchAttention.checkArray("append_key", k, s, type);
        Tensor vb = BatchAttention.checkArray("append_value", v, s, type);
        buffers.appendKv(kb, vb, tensor(cache.getKeys()), tensor(cache.getValues()));
    }

    /**
     * Runs attention for the loaded plan.
     *
     * @param cache a layer's cache, laid out as the one the inputs were made for
     * @param q (capacity, num_qo_heads, head_dim), the cache's type
     * @return (capacity, num_qo_heads, head_dim) in q's manager; padding rows hold no defined value
     */
    public NDArray attend(PagedKvCache cache, NDArray q) {
        checkCache(cache);
        AttentionSpec spec = attention.getSpec();
        Tensor qb = BatchAttention.checkArray("q", q, new Shape(capacity, spec.getNumQoHeads(), headDim), type);
        Tensor out = buffers.attention(qb, tensor(cache.getKeys()), tensor(cache.getValues()), layout == KvLayout.HND);
        return ((TensorFactory) q.getManager()).wrap(out);
    }

    private static Tensor tensor(NDArray a) {
        return ((TensorArray) a).tensor();
    }

    private void checkDevice(String what, NDArray a) {
        if (!device.equals(a.getDevice())) {
            throw new IllegalArgumentException(what + " is on " + a.getDevice() + ", the decode inputs on " + device);
        }
    }

    private void checkCache(PagedKvCache cache) {
        if (cache == null) {
            throw new IllegalArgumentException("kv_cache must not be null");
        }
        cache.checkOpen();
        if (cache.getPageSize() != pageSize || cache.getNumKvHeads() != numKvHeads || cache.getHeadDim() != headDim
                || cache.getNumPages() != numPages || cache.getLayout() != layout || cache.getDataType() != type) {
            throw new IllegalArgumentException("kv_cache (" + cache.getNumPages() + " pages of " + cache.getPageSize()
                    + ", " + cache.getNumKvHeads() + " x " + cache.getHeadDim() + " " + cache.getLayout() + " "
                    + cache.getDataType() + ") is not laid out as the cache the decode inputs were made for ("
                    + numPages + " pages of " + pageSize + ", " + numKvHeads + " x " + headDim + " " + layout + " "
                    + type + ")");
        }
        checkDevice("kv_cache", cache.getKeys());
    }

    /** Frees the device buffers. */
    @Override
    public void close() {
        buffers.close();
    }
}
