/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Book-keeping of which pool pages hold which sequence's tokens, producing FlashInfer's {@code
 * kv_indptr}, {@code kv_indices} and {@code kv_last_page_len} for any batch of sequences. Pages
 * are handed out from a free list whose order can be shuffled by a seed, which places a sequence's
 * pages differently without changing its results. Not thread-safe.
 */
public final class PageTable {

    private final int numPages;
    private final int pageSize;
    private final Deque<Integer> free = new ArrayDeque<>();
    private final Map<Integer, List<Integer>> pages = new HashMap<>();
    private final Map<Integer, Integer> lengths = new HashMap<>();

    /**
     * Creates a table over a pool.
     *
     * @param numPages pages in the pool
     * @param pageSize tokens per page
     * @param placementSeed shuffles the free list (0 keeps pages in order)
     */
    public PageTable(int numPages, int pageSize, long placementSeed) {
        if (numPages < 1 || pageSize < 1) {
            throw new IllegalArgumentException("num_pages=" + numPages + " and page_size=" + pageSize + " must be positive");
        }
        this.numPages = numPages;
        this.pageSize = pageSize;
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < numPages; i++) {
            all.add(i);
        }
        if (placementSeed != 0) {
            Collections.shuffle(all, new Random(placementSeed));
        }
        free.addAll(all);
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
     * Extends a sequence by {@code tokens} positions, taking pages from the free list as needed.
     *
     * @param seq the sequence id
     * @param tokens new positions (>= 0)
     * @throws IllegalStateException if the pool is exhausted (nothing is taken then)
     */
    public void extend(int seq, int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens=" + tokens + " must be >= 0");
        }
        int len = lengths.getOrDefault(seq, 0);
        List<Integer> own = pages.computeIfAbsent(seq, k -> new ArrayList<>());
        int need = (len + tokens + pageSize - 1) / pageSize - own.size();
        if (need > free.size()) {
            throw new IllegalStateException("KV pool exhausted: sequence " + seq + " needs " + need
                    + " more pages, " + free.size() + " free");
        }
        for (int i = 0; i < need; i++) {
            own.add(free.poll());
        }
        lengths.put(seq, len + tokens);
    }

    /**
     * Returns a sequence's length in tokens.
     *
     * @param seq the sequence id
     * @return tokens held
     */
    public int length(int seq) {
        return lengths.getOrDefault(seq, 0);
    }

    /**
     * Releases a sequence's pages.
     *
     * @param seq the sequence id
     */
    public void release(int seq) {
        List<Integer> own = pages.remove(seq);
        lengths.remove(seq);
        if (own != null) {
            free.addAll(own);
        }
    }

    /**
     * The page arrays of a batch, in the order given.
     *
     * @param seqs sequence ids
     * @return kv_indptr, kv_indices and kv_last_page_len
     */
    public int[][] batch(int... seqs) {
        int[] indptr = new int[seqs.length + 1];
        int[] last = new int[seqs.length];
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < seqs.length; i++) {
            List<Integer> own = pages.get(seqs[i]);
            int len = length(seqs[i]);
            if (own == null || len == 0) {
                throw new IllegalArgumentException("sequence " + seqs[i] + " holds no tokens");
            }
            idx.addAll(own.subList(0, (len + pageSize - 1) / pageSize));
            indptr[i + 1] = idx.size();
            last[i] = (len - 1) % pageSize + 1;
        }
        return new int[][] {indptr, idx.stream().mapToInt(Integer::intValue).toArray(), last};
    }
}
