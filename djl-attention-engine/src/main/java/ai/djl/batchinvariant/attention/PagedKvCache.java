/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A paged KV cache for one layer: a pool of pages for keys and one for values, in {@link
 * KvLayout#NHD} (num_pages, page_size, num_kv_heads, head_dim) or {@link KvLayout#HND}
 * (num_pages, num_kv_heads, page_size, head_dim), in float32, float16 or bfloat16. Requests
 * address it through FlashInfer's {@code kv_indptr}, {@code kv_indices} and {@code
 * kv_last_page_len}. Closing it (or its manager) frees the pools.
 */
public final class PagedKvCache implements AutoCloseable {

    private final NDArray keys;
    private final NDArray values;
    private final int numPages;
    private final int pageSize;
    private final int numKvHeads;
    private final int headDim;
    private final KvLayout layout;

    private PagedKvCache(NDArray keys, NDArray values, int numPages, int pageSize, int numKvHeads,
            int headDim, KvLayout layout) {
        this.keys = keys;
        this.values = values;
        this.numPages = numPages;
        this.pageSize = pageSize;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.layout = layout;
    }

    /**
     * Allocates a zeroed cache.
     *
     * @param manager the manager that owns the pools (of the BatchInvariant engine)
     * @param numPages pages in the pool
     * @param pageSize tokens per page
     * @param numKvHeads KV heads
     * @param headDim head dimension
     * @param layout NHD or HND
     * @param dataType float32, float16 or bfloat16
     * @return the cache
     * @throws IllegalArgumentException naming the first invalid argument
     */
    public static PagedKvCache create(NDManager manager, int numPages, int pageSize, int numKvHeads,
            int headDim, KvLayout layout, DataType dataType) {
        BatchAttention.checkManager(manager, "manager");
        if (numPages < 1) {
            throw new IllegalArgumentException("num_pages=" + numPages + " must be positive");
        }
        if (pageSize < 1) {
            throw new IllegalArgumentException("page_size=" + pageSize + " must be positive");
        }
        if (numKvHeads < 1) {
            throw new IllegalArgumentException("num_kv_heads=" + numKvHeads + " must be positive");
        }
        if (headDim < 1) {
            throw new IllegalArgumentException("head_dim=" + headDim + " must be positive");
        }
        if (layout == null) {
            throw new IllegalArgumentException("layout must be NHD or HND");
        }
        BatchAttention.checkFloatType("kv_cache dtype", dataType);
        Shape s = layout == KvLayout.NHD
                ? new Shape(numPages, pageSize, numKvHeads, headDim)
                : new Shape(numPages, numKvHeads, pageSize, headDim);
        long perPage = (long) pageSize * numKvHeads * headDim;
        if (perPage > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a page of page_size=" + pageSize + " x num_kv_heads=" + numKvHeads
                    + " x head_dim=" + headDim + " = " + perPage + " elements exceeds " + Integer.MAX_VALUE);
        }
        long elements = perPage * numPages;
        if (elements > Integer.MAX_VALUE && !Device.Type.GPU.equals(manager.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("kv_cache of num_pages=" + numPages + " x page_size=" + pageSize
                    + " x num_kv_heads=" + numKvHeads + " x head_dim=" + headDim + " = " + elements
                    + " elements exceeds a host array's " + Integer.MAX_VALUE);
        }
        NDArray k = manager.zeros(s, dataType);
        NDArray v;
        try {
            v = manager.zeros(s, dataType);
        } catch (RuntimeException | OutOfMemoryError e) {
            // no half-made cache: the keys pool goes back before the error does
            k.close();
            throw e;
        }
        return new PagedKvCache(k, v, numPages, pageSize, numKvHeads, headDim, layout);
    }

    /**
     * Returns the key pool.
     *
     * @return keys, shaped by the layout
     */
    public NDArray getKeys() {
        return keys;
    }

    /**
     * Returns the value pool.
     *
     * @return values, shaped by the layout
     */
    public NDArray getValues() {
        return values;
    }

    /**
     * Returns the number of pages.
     *
     * @return pages
     */
    public int getNumPages() {
        return numPages;
    }

    /**
     * Returns the page size.
     *
     * @return tokens per page
     */
    public int getPageSize() {
        return pageSize;
    }

    /**
     * Returns the number of KV heads.
     *
     * @return heads
     */
    public int getNumKvHeads() {
        return numKvHeads;
    }

    /**
     * Returns the head dimension.
     *
     * @return D
     */
    public int getHeadDim() {
        return headDim;
    }

    /**
     * Returns the layout.
     *
     * @return NHD or HND
     */
    public KvLayout getLayout() {
        return layout;
    }

    /**
     * Returns the data type.
     *
     * @return float32, float16 or bfloat16
     */
    public DataType getDataType() {
        return keys.getDataType();
    }

    /**
     * Element offset of (page, slot, head) in a pool.
     *
     * @param page the page
     * @param slot the position within the page
     * @param head the KV head
     * @return the offset of the head vector
     */
    public long offset(int page, int slot, int head) {
        return layout == KvLayout.NHD
                ? (((long) page * pageSize + slot) * numKvHeads + head) * headDim
                : (((long) page * numKvHeads + head) * pageSize + slot) * headDim;
    }

    /**
     * Writes new tokens at the end of each request's KV: request r's {@code append_indptr[r+1] -
     * append_indptr[r]} rows of {@code k} and {@code v} become its last KV positions, as described
     * by the page table (which must already include them). Everything is validated before the
     * first write, so a bad call leaves the cache untouched.
     *
     * @param k new keys (nnz, num_kv_heads, head_dim), the cache's data type
     * @param v new values, same shape
     * @param appendIndptr rows of k/v per request (batch + 1 entries)
     * @param kvIndptr pages per request (batch + 1 entries)
     * @param kvIndices page indices
     * @param kvLastPageLen tokens in each request's last page
     * @throws IllegalArgumentException naming the first invalid field
     */
    public void append(NDArray k, NDArray v, int[] appendIndptr, int[] kvIndptr, int[] kvIndices,
            int[] kvLastPageLen) {
        write(null, k, v, appendIndptr, kvIndptr, kvIndices, kvLastPageLen);
    }

    /**
     * Writes new tokens as {@link #append(NDArray, NDArray, int[], int[], int[], int[])} does, for
     * attention with {@code spec}: under {@link PosEncoding#ROPE_LLAMA_ROTATED_CACHE} each key is
     * stored rotated at its token's position; under any other encoding the keys are stored as given.
     *
     * @param spec the attention the cache is read with
     * @param k new keys (nnz, num_kv_heads, head_dim), the cache's data type
     * @param v new values, same shape
     * @param appendIndptr rows of k/v per request (batch + 1 entries)
     * @param kvIndptr pages per request (batch + 1 entries)
     * @param kvIndices page indices
     * @param kvLastPageLen tokens in each request's last page
     * @throws IllegalArgumentException naming the first invalid field
     */
    public void append(AttentionSpec spec, NDArray k, NDArray v, int[] appendIndptr, int[] kvIndptr,
            int[] kvIndices, int[] kvLastPageLen) {
        if (spec.getNumKvHeads() != numKvHeads || spec.getHeadDim() != headDim) {
            throw new IllegalArgumentException("spec of " + spec.getNumKvHeads() + " KV heads of dimension "
                    + spec.getHeadDim() + " does not match the cache's " + numKvHeads + " x " + headDim);
        }
        write(spec.getPosEncoding() == PosEncoding.ROPE_LLAMA_ROTATED_CACHE ? spec.getRope() : null, k, v,
                appendIndptr, kvIndptr, kvIndices, kvLastPageLen);
    }

    private void write(RopeTable rope, NDArray k, NDArray v, int[] appendIndptr, int[] kvIndptr, int[] kvIndices,
            int[] kvLastPageLen) {
        checkOpen();
        AttentionSpec any = AttentionSpec.builder().setHeads(numKvHeads, numKvHeads).setHeadDim(64).build();
        BatchPlan plan = BatchPlan.paged(any, "append_indptr", appendIndptr, kvIndptr, kvIndices, kvLastPageLen, pageSize);
        checkPages(plan);
        int nnz = plan.getTotalQo();
        Shape want = new Shape(nnz, numKvHeads, headDim);
        Tensor kb = BatchAttention.checkArray("append_key", k, want, getDataType());
        Tensor vb = BatchAttention.checkArray("append_value", v, want, getDataType());
        Tensor kp = BatchAttention.checkArray("kv_cache keys", keys, keys.getShape(), getDataType());
        Tensor vp = BatchAttention.checkArray("kv_cache values", values, values.getShape(), getDataType());
        for (int r = 0; r < plan.getBatchSize(); r++) {
            if (plan.qoLen(r) > plan.kvLen(r)) {
                throw new IllegalArgumentException("request " + r + " appends " + plan.qoLen(r)
                        + " tokens but its pages hold only " + plan.kvLen(r));
            }
        }
        BatchAttention.checkSameDevice(kp, kb, vb);
        long[] offsets = new long[nnz * numKvHeads];
        int[] positions = rope == null ? null : new int[offsets.length];
        for (int r = 0; r < plan.getBatchSize(); r++) {
            int first = plan.kvLen(r) - plan.qoLen(r);
            for (int i = 0; i < plan.qoLen(r); i++) {
                int pos = first + i;
                int row = plan.qoStart(r) + i;
                for (int h = 0; h < numKvHeads; h++) {
                    offsets[row * numKvHeads + h] = offset(plan.page(r, pos), pos % pageSize, h);
                    if (positions != null) {
                        positions[row * numKvHeads + h] = pos;
                    }
                }
            }
        }
        Backends.of(kp.getDevice()).attention().appendKv(kb, vb, kp, vp, offsets, headDim, rope, positions);
    }

    /**
     * Checks that every page a plan names lies inside this pool and that the plan's page size is
     * this cache's.
     *
     * @param plan the plan
     * @throws IllegalArgumentException naming the first page outside the pool
     */
    void checkPages(BatchPlan plan) {
        if (plan.getPageSize() != pageSize) {
            throw new IllegalArgumentException("plan page_size=" + plan.getPageSize()
                    + " does not match the cache's page_size=" + pageSize);
        }
        int[] idx = plan.getKvIndices();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] >= numPages) {
                throw new IllegalArgumentException("kv_indices[" + i + "]=" + idx[i]
                        + " is outside the pool of " + numPages + " pages");
            }
        }
    }

    /**
     * Returns a copy of this cache on another device (same layout, contents and page numbers).
     *
     * @param device the target device, e.g. {@code Device.gpu(0)}
     * @return the copy; closing it frees only the copy
     */
    public PagedKvCache toDevice(Device device) {
        NDArray k = keys.toDevice(device, true);
        NDArray v = values.toDevice(device, true);
        return new PagedKvCache(k, v, numPages, pageSize, numKvHeads, headDim, layout);
    }

    /**
     * Reads one stored element as float (for tests and debugging).
     *
     * @param values true for the value pool
     * @param page the page
     * @param slot the slot
     * @param head the head
     * @param d the component
     * @return the value
     */
    public float get(boolean values, int page, int slot, int head, int d) {
        NDArray a = values ? this.values : this.keys;
        NDArray host = a.toDevice(Device.cpu(), false);
        try {
            Tensor t = ((TensorArray) host).tensor();
            return HostData.getFloat(t.hostData(), t.getDataType(), (int) offset(page, slot, head) + d);
        } finally {
            if (host != a) {
                host.close();
            }
        }
    }

    /**
     * Checks that the cache and its pools are still open (closing the cache or its manager closes
     * the pools).
     *
     * @throws IllegalArgumentException naming kv_cache otherwise
     */
    void checkOpen() {
        if (keys.isReleased() || values.isReleased()) {
            throw new IllegalArgumentException("kv_cache has been closed (by close() or by closing its NDManager)");
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        keys.close();
        values.close();
    }
}
