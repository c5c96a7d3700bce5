/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A pool of KV pages shared by every layer of one model (page i of the pool is page i of each
 * layer's {@link PagedKvCache}) and handed out to sequences. Pages are taken lowest-numbered
 * first and returned on {@link #free}; where a sequence's pages sit never changes its results,
 * since attention reads pages through the page table. Thread-safe.
 */
public final class KvCacheManager implements AutoCloseable {

    /** One sequence's pages and length. */
    public static final class Sequence {
        private final List<Integer> pages = new ArrayList<>();
        private int length;
        private boolean freed;

        Sequence() {}

        /**
         * Returns the tokens stored.
         *
         * @return the KV length
         */
        public synchronized int length() {
            return length;
        }

        /**
         * Returns the pages held.
         *
         * @return page count
         */
        public synchronized int pageCount() {
            return pages.size();
        }
    }

    private final String name;
    private final PagedKvCache[] layers;
    private final int numPages;
    private final int pageSize;
    private final BitSet used;
    private final boolean scratch;
    /** The recorded decode steps over this pool (see {@link DecodeGraphs}), made on first use. */
    private DecodeGraphs graphs;

    /**
     * Allocates the pool.
     *
     * @param name the pool's name for messages
     * @param manager the owner of the pages
     * @param numLayers layers (one cache each)
     * @param numPages pages in the pool
     * @param pageSize tokens per page
     * @param numKvHeads KV heads
     * @param headDim head dimension
     * @param dataType the cache's type
     */
    public KvCacheManager(String name, NDManager manager, int numLayers, int numPages, int pageSize,
            int numKvHeads, int headDim, DataType dataType) {
        this(name, manager, numLayers, numPages, pageSize, numKvHeads, headDim, dataType, false);
    }

    /**
     * Allocates the pool, optionally with one more page per layer that no sequence ever holds
     * (page {@code numPages}): the padding rows of a recorded decode step write there.
     *
     * @param name the pool's name for messages
     * @param manager the owner of the pages
     * @param numLayers layers (one cache each)
     * @param numPages pages in the pool
     * @param pageSize tokens per page
     * @param numKvHeads KV heads
     * @param headDim head dimension
     * @param dataType the cache's type
     * @param scratch whether to add the scratch page
     */
    public KvCacheManager(String name, NDManager manager, int numLayers, int numPages, int pageSize,
            int numKvHeads, int headDim, DataType dataType, boolean scratch) {
        this.name = name;
        this.numPages = numPages;
        this.pageSize = pageSize;
        this.scratch = scratch;
        this.used = new BitSet(numPages);
        this.layers = new PagedKvCache[numLayers];
        try {
            for (int l = 0; l < numLayers; l++) {
                layers[l] = PagedKvCache.create(manager, numPages + (scratch ? 1 : 0), pageSize, numKvHeads, headDim,
                        KvLayout.NHD, dataType);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
    }

    /**
     * Returns one layer's cache.
     *
     * @param layer the layer
     * @return its cache
     */
    public PagedKvCache layer(int layer) {
        return layers[layer];
    }

    /**
     * Returns the pool's name, as its messages give it.
     *
     * @return the name
     */
    public String getName() {
        return name;
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
     * Returns the pool size.
     *
     * @return pages
     */
    public int getNumPages() {
        return numPages;
    }

    /**
     * Returns the pages not held by any sequence.
     *
     * @return free pages
     */
    public synchronized int freePages() {
        return numPages - used.cardinality();
    }

    /**
     * Starts an empty sequence.
     *
     * @return the sequence
     */
    public Sequence open() {
        return new Sequence();
    }

    /**
     * The pages a sequence of this many tokens needs.
     *
     * @param tokens tokens
     * @return pages
     */
    public int pagesFor(int tokens) {
        return (tokens + pageSize - 1) / pageSize;
    }

    /**
     * Makes sure a sequence holds pages for {@code tokens} tokens, taking pages from the pool.
     *
     * @param seq the sequence
     * @param tokens tokens it must be able to store
     * @throws IllegalStateException naming the pool when too few pages are free (nothing is
     *     taken then)
     */
    public synchronized void ensureCapacity(Sequence seq, int tokens) {
        synchronized (seq) {
            if (seq.freed) {
                throw new IllegalStateException("sequence was freed back to KV cache pool '" + name + "'");
            }
            int need = pagesFor(tokens) - seq.pages.size();
            if (need <= 0) {
                return;
            }
            int free = numPages - used.cardinality();
            if (need > free) {
                throw new IllegalStateException("KV cache pool '" + name + "' is exhausted: a sequence of " + tokens
                        + " tokens needs " + need + " more pages of " + pageSize + " tokens, " + free + " of "
                        + numPages + " are free (raise the kv_cache_pages option)");
            }
            for (int i = 0; i < need; i++) {
                int p = used.nextClearBit(0);
                used.set(p);
                seq.pages.add(p);
            }
        }
    }

    /**
     * Grows a sequence by {@code n} tokens (taking pages as needed).
     *
     * @param seq the sequence
     * @param n new tokens
     * @throws IllegalStateException naming the pool when exhausted
     */
    public synchronized void extend(Sequence seq, int n) {
        synchronized (seq) {
            ensureCapacity(seq, seq.length + n);
            seq.length += n;
        }
    }

    /**
     * Grows every sequence of a batch, or none: the pages needed are checked against the free
     * pages before any is taken.
     *
     * @param seqs the sequences
     * @param n new tokens per sequence
     * @throws IllegalStateException naming the pool when exhausted (nothing changes then)
     */
    public synchronized void extendAll(List<Sequence> seqs, int[] n) {
        int need = 0;
        int total = 0;
        for (int r = 0; r < seqs.size(); r++) {
            Sequence s = seqs.get(r);
            synchronized (s) {
                need += Math.max(0, pagesFor(s.length + n[r]) - s.pages.size());
                total += s.length + n[r];
            }
        }
        int free = numPages - used.cardinality();
        if (need > free) {
            throw new IllegalStateException("KV cache pool '" + name + "' is exhausted: a step of " + seqs.size()
                    + " sequences (" + total + " tokens) needs " + need + " more pages of " + pageSize + " tokens, "
                    + free + " of " + numPages + " are free (raise the kv_cache_pages option)");
        }
        for (int r = 0; r < seqs.size(); r++) {
            extend(seqs.get(r), n[r]);
        }
    }

    /**
     * Gives a sequence's pages back to the pool; freeing twice is harmless.
     *
     * @param seq the sequence
     */
    public synchronized void free(Sequence seq) {
        synchronized (seq) {
            for (int p : seq.pages) {
                used.clear(p);
            }
            seq.pages.clear();
            seq.length = 0;
            seq.freed = true;
        }
    }

    /**
     * Writes the page table of a batch in FlashInfer's form.
     *
     * @param seqs the batch's sequences
     * @return {kv_indptr, kv_indices, kv_last_page_len}
     */
    synchronized int[][] pageTable(List<Sequence> seqs) {
        int[] indptr = new int[seqs.size() + 1];
        int[] last = new int[seqs.size()];
        List<Integer> idx = new ArrayList<>();
        for (int r = 0; r < seqs.size(); r++) {
            Sequence s = seqs.get(r);
            synchronized (s) {
                int pages = pagesFor(s.length);
                for (int i = 0; i < pages; i++) {
                    idx.add(s.pages.get(i));
                }
                indptr[r + 1] = indptr[r] + pages;
                last[r] = s.length - (pages - 1) * pageSize;
            }
        }
        return new int[][] {indptr, idx.stream().mapToInt(Integer::intValue).toArray(), last};
    }

    /**
     * Returns the scratch page, or -1 when the pool has none.
     *
     * @return the page index
     */
    int scratchPage() {
        return scratch ? numPages : -1;
    }

    /**
     * Returns the layer count.
     *
     * @return layers
     */
    int numLayers() {
        return layers.length;
    }

    synchronized DecodeGraphs graphs(java.util.function.Supplier<DecodeGraphs> make) {
        if (graphs == null) {
            graphs = make.get();
        }
        return graphs;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        DecodeGraphs g;
        synchronized (this) {
            g = graphs;
            graphs = null;
        }
        if (g != null) {
            g.close();
        }
        for (PagedKvCache c : layers) {
            if (c != null) {
                c.close();
            }
        }
    }
}
