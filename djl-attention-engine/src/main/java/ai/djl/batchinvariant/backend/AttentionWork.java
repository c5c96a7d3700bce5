/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.config.EngineOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Everything a backend needs to run one batch, decided once when the batch is planned: the
 * request layout, the split size, each request's chunks and the device work list. Backends read
 * it and never decide any of it again, so the split is worked out in exactly one place.
 *
 * <p>A backend may keep derived state here (the CUDA backend's uploaded work list), so a plan
 * run by every layer of a model is uploaded once.
 */
public final class AttentionWork {

    /**
     * The split size meaning "one chunk per request" (split KV disabled). Plans refuse KV lengths
     * that reach it, so chunk arithmetic never overflows.
     */
    public static final int NO_SPLIT = 1 << 30;

    /**
     * Query rows per tile of the device kernels (GQA heads of a token packed into rows). Fixed:
     * never sized from the batch, so a row's tile does not depend on other requests.
     */
    public static final int Q_TILE_ROWS = 64;

    /**
     * Key positions per KV tile. Tiles sit at absolute positions (multiples of this), and split
     * sizes are multiples of it, so a chunk never cuts a tile.
     */
    public static final int KV_TILE = 64;

    /** Ints per work item: request, KV head, first query token, chunk. */
    public static final int ITEM_INTS = 4;

    /**
     * The chunk field of a fused item: one block runs every chunk of its query tile in turn and
     * folds the chunk states left to right itself, exactly as the merge kernel would.
     */
    public static final int ALL_CHUNKS = -1;

    /** Largest head dimension whose device kernels fold chunk states in the block. */
    public static final int MAX_FUSED_HEAD_DIM = 128;

    /**
     * The yardstick of {@link #fusesDecode}: about one block an SM of a large GPU (an H100 has 132).
     * A warp-specialised Hopper block streams its keys near the memory's rate alone, so one long
     * block an SM beats a block per chunk and the merge (measured: B16 L4096 GQA 32/8 at 128 blocks,
     * docs/benchmarks.md), where half the SM slots are still free.
     */
    public static final int FUSE_DECODE_SLOTS = 128;

    private final AttentionConfig config;
    private final boolean paged;
    private final int pageSize;
    private final int[] qoIndptr;
    private final int[] kvIndptr;
    private final int[] kvIndices;
    private final int[] kvLens;
    private final int splitSize;
    private final int[] splitIndptr;
    private final int[] partIndptr;
    private final int[] mergeIndptr;
    private final int[] items;
    private final int maxKvLen;
    private final boolean anyMulti;
    private final Map<Object, Object> derived = new ConcurrentHashMap<>();

    /**
     * Creates the work of a validated batch.
     *
     * @param config the static configuration
     * @param paged whether keys come from a page pool
     * @param pageSize tokens per page (1 for ragged)
     * @param qoIndptr query row offsets per request (batch + 1)
     * @param kvIndptr page offsets (paged) or KV row offsets (ragged), batch + 1
     * @param kvIndices page numbers (paged) or null
     * @param kvLens KV length per request, each below {@link #NO_SPLIT}
     * @param splitSize chunk length, or {@link #NO_SPLIT}
     */
    public AttentionWork(AttentionConfig config, boolean paged, int pageSize, int[] qoIndptr, int[] kvIndptr,
            int[] kvIndices, int[] kvLens, int splitSize) {
        this.config = config;
        this.paged = paged;
        this.pageSize = pageSize;
        this.qoIndptr = qoIndptr;
        this.kvIndptr = kvIndptr;
        this.kvIndices = kvIndices;
        this.kvLens = kvLens;
        this.splitSize = splitSize;
        int b = kvLens.length;
        int hq = config.getNumQoHeads();
        int hkv = config.getNumKvHeads();
        int tokensPerTile = Q_TILE_ROWS / Math.max(1, hq / hkv);
        splitIndptr = new int[b + 1];
        partIndptr = new int[b + 1];
        mergeIndptr = new int[b + 1];
        List<int[]> list = new ArrayList<>();
        boolean multi = false;
        int mk = 1;
        boolean fuseDecode = fusesDecode(kvLens, hkv, config.getHeadDim());
        for (int r = 0; r < b; r++) {
            int qoLen = qoLen(r);
            int kvLen = kvLens[r];
            mk = Math.max(mk, kvLen);
            int n = Math.max(1, (int) ((kvLen + (long) splitSize - 1) / splitSize));
            // Requests of several query tokens fold their chunk states in the block (no partial
            // states, no merge launch); single-token requests (decode) keep one item per chunk, the
            // parallelism a long KV needs, and the merge kernel, unless the batch fills the device
            // without it (fusesDecode). Both give the same bits.
            boolean fused = n > 1 && (isFused(qoLen, config.getHeadDim()) || fuseDecode && qoLen == 1);
            // a request split over chunks and not fused keeps partial states and merge rows
            boolean keepsStates = n > 1 && !fused;
            splitIndptr[r + 1] = splitIndptr[r] + n;
            partIndptr[r + 1] = partIndptr[r] + (keepsStates ? qoLen * hq * n : 0);
            mergeIndptr[r + 1] = mergeIndptr[r] + (keepsStates ? qoLen : 0);
            multi |= keepsStates;
            // Device tiles: the chunks a tile's rows can see; empty chunks get no item.
            for (int t0 = 0; t0 < qoLen; t0 += tokensPerTile) {
                int lo = Integer.MAX_VALUE;
                int hi = 0;
                for (int t = t0; t < Math.min(qoLen, t0 + tokensPerTile); t++) {
                    int[] range = config.visible(qoLen, kvLen, t);
                    if (range[0] < range[1]) {
                        lo = Math.min(lo, range[0]);
                        hi = Math.max(hi, range[1]);
                    }
                }
                int s0 = lo < hi ? lo / splitSize : 0;
                int s1 = lo < hi ? (hi - 1) / splitSize : 0;
                if (fused && s1 > s0) {
                    s0 = ALL_CHUNKS;
                    s1 = ALL_CHUNKS;
                }
                for (int s = s0; s <= s1; s++) {
                    for (int h = 0; h < hkv; h++) {
                        list.add(new int[] {r, h, t0, s});
                    }
                }
            }
        }
        items = new int[list.size() * ITEM_INTS];
        for (int i = 0; i < list.size(); i++) {
            System.arraycopy(list.get(i), 0, items, i * ITEM_INTS, ITEM_INTS);
        }
        maxKvLen = mk;
        anyMulti = multi;
    }

    /**
     * Tells whether a batch's decode requests (one query token) fold their chunk states in the
     * block instead of running a block per chunk and the merge kernel: when the longest request's
     * fused block (one per KV head) reads no more KV tiles than a block's share of the whole batch
     * spread over {@link #FUSE_DECODE_SLOTS} blocks, the batch keeps the device busy without the
     * chunk parallelism and no block straggles, and the partial states and the merge launch are
     * saved ({@link EngineOptions#fusedDecode} false: never). The choice moves no bit (both paths fold
     * the same states in the same order); it only looks at the whole batch because it is about
     * speed.
     *
     * @param kvLens KV length per request
     * @param numKvHeads KV heads (a block per request and head)
     * @param headDim the head dimension
     * @return true if multi-chunk decode requests run fused
     */
    public static boolean fusesDecode(int[] kvLens, int numKvHeads, int headDim) {
        if (headDim > MAX_FUSED_HEAD_DIM || !EngineOptions.fusedDecode()) {
            return false;
        }
        long total = 0;
        long longest = 0;
        for (int l : kvLens) {
            long tiles = (l + KV_TILE - 1) / KV_TILE;
            total += tiles;
            longest = Math.max(longest, tiles);
        }
        return longest * FUSE_DECODE_SLOTS <= total * numKvHeads;
    }

    /**
     * Tells whether a request's query tiles fold their chunk states in the block: requests of more
     * than one query token, up to {@link #MAX_FUSED_HEAD_DIM}.
     *
     * @param qoLen the request's query tokens
     * @param headDim the head dimension
     * @return true for fused tiles
     */
    public static boolean isFused(int qoLen, int headDim) {
        return qoLen > 1 && headDim <= MAX_FUSED_HEAD_DIM;
    }

    /**
     * Returns the static configuration.
     *
     * @return the configuration
     */
    public AttentionConfig getConfig() {
        return config;
    }

    /**
     * Tells whether keys come from a page pool.
     *
     * @return true for paged plans
     */
    public boolean isPaged() {
        return paged;
    }

    /**
     * Returns the page size.
     *
     * @return tokens per page (1 for ragged plans)
     */
    public int getPageSize() {
        return pageSize;
    }

    /**
     * Returns the batch size.
     *
     * @return requests
     */
    public int getBatchSize() {
        return kvLens.length;
    }

    /**
     * Returns the number of query rows.
     *
     * @return rows
     */
    public int getTotalQo() {
        return qoIndptr[qoIndptr.length - 1];
    }

    /**
     * Returns a request's first query row.
     *
     * @param r the request
     * @return the row
     */
    public int qoStart(int r) {
        return qoIndptr[r];
    }

    /**
     * Returns a request's query length.
     *
     * @param r the request
     * @return rows
     */
    public int qoLen(int r) {
        return qoIndptr[r + 1] - qoIndptr[r];
    }

    /**
     * Returns a request's KV length.
     *
     * @param r the request
     * @return tokens
     */
    public int kvLen(int r) {
        return kvLens[r];
    }

    /**
     * Returns a request's first page index entry (paged) or first KV row (ragged).
     *
     * @param r the request
     * @return the offset
     */
    public int kvStart(int r) {
        return kvIndptr[r];
    }

    /**
     * Returns the page holding a request's KV position.
     *
     * @param r the request
     * @param pos the position
     * @return the page number
     */
    public int page(int r, int pos) {
        return kvIndices[kvIndptr[r] + pos / pageSize];
    }

    /**
     * Returns the query row offsets (shared; do not modify).
     *
     * @return qo_indptr
     */
    public int[] qoIndptr() {
        return qoIndptr;
    }

    /**
     * Returns the KV offsets (shared; do not modify).
     *
     * @return kv_indptr
     */
    public int[] kvIndptr() {
        return kvIndptr;
    }

    /**
     * Returns the page numbers (shared; do not modify).
     *
     * @return kv_indices, empty for ragged plans
     */
    public int[] kvIndices() {
        return kvIndices == null ? new int[0] : kvIndices;
    }

    /**
     * Returns the KV lengths (shared; do not modify).
     *
     * @return one per request
     */
    public int[] kvLens() {
        return kvLens;
    }

    /**
     * Returns the chunk length.
     *
     * @return tokens per chunk, or {@link #NO_SPLIT}
     */
    public int getSplitSize() {
        return splitSize;
    }

    /**
     * Returns a request's number of chunks.
     *
     * @param r the request
     * @return chunks (at least 1)
     */
    public int numSplits(int r) {
        return splitIndptr[r + 1] - splitIndptr[r];
    }

    /**
     * Returns a request's first chunk in the batch's chunk numbering.
     *
     * @param r the request
     * @return the chunk index
     */
    public int splitStart(int r) {
        return splitIndptr[r];
    }

    /**
     * Returns the number of chunks in the batch.
     *
     * @return chunks
     */
    public int getTotalSplits() {
        return splitIndptr[splitIndptr.length - 1];
    }

    /**
     * Returns the offsets of each request's partial states (rows × heads × chunks; 0 for
     * single-chunk and fused requests, whose rows are written directly). The merge kernel takes a
     * multi-chunk request without partial states for a fused one.
     *
     * @return batch + 1 offsets (shared; do not modify)
     */
    public int[] partIndptr() {
        return partIndptr;
    }

    /**
     * Returns the offsets of each request's merge rows: the query rows of the requests that keep
     * partial states ({@link #partIndptr}), the only rows the merge kernel runs blocks for (a batch
     * of fused prefills and a few split decodes merges the decodes' rows, not the whole batch's).
     *
     * @return batch + 1 offsets (shared; do not modify)
     */
    public int[] mergeIndptr() {
        return mergeIndptr;
    }

    /**
     * Returns the number of merge rows ({@link #mergeIndptr}).
     *
     * @return rows of the requests that keep partial states
     */
    public int getMergeRows() {
        return mergeIndptr[mergeIndptr.length - 1];
    }

    /**
     * Returns the device work list: {@link #ITEM_INTS} ints per item (request, KV head, first
     * query token of the tile, chunk — {@link #ALL_CHUNKS} for a fused tile).
     *
     * @return the items (shared; do not modify)
     */
    public int[] items() {
        return items;
    }

    /**
     * Returns the number of device work items.
     *
     * @return items
     */
    public int getNumItems() {
        return items.length / ITEM_INTS;
    }

    /**
     * Returns the longest KV length in the batch.
     *
     * @return tokens (at least 1)
     */
    public int getMaxKvLen() {
        return maxKvLen;
    }

    /**
     * Tells whether some request leaves partial chunk states for the merge kernel (a request with
     * several chunks that is not fused).
     *
     * @return true if states must be merged
     */
    public boolean hasMultiChunk() {
        return anyMulti;
    }

    /**
     * Returns state a backend derived from this work (e.g. its upload), computing it once.
     *
     * @param key the backend's key (e.g. its device)
     * @param make computes the state on first use
     * @param <T> the state's type
     * @return the state
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Object key, Function<Object, T> make) {
        return (T) derived.computeIfAbsent(key, make);
    }
}
