/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionWork;

import java.util.Arrays;

/**
 * A validated batch layout: which query rows and which KV positions belong to which request, and
 * how each request's KV axis is split. Made once per batch by {@link BatchAttention}'s {@code
 * plan*} methods and reused by every layer's {@code run}. Immutable.
 */
public final class BatchPlan {

    private final AttentionSpec spec;
    private final boolean paged;
    private final AttentionWork work;

    private BatchPlan(AttentionSpec spec, boolean paged, int[] qoIndptr, int[] kvIndptr, int[] kvIndices,
            int[] kvLastPageLen, int pageSize, int[] kvLens) {
        this.spec = spec;
        this.paged = paged;

        int splitSize = spec.getSplitPolicy().splitSizeFor(kvLens, spec.getNumKvHeads());
        this.work = new AttentionWork(spec.config(), paged, pageSize, qoIndptr, kvIndptr, kvIndices, kvLens,
                splitSize);
    }

    static BatchPlan paged(AttentionSpec spec, int[] qoIndptr, int[] kvIndptr, int[] kvIndices,
            int[] kvLastPageLen, int pageSize) {
        return paged(spec, "qo_indptr", qoIndptr, kvIndptr, kvIndices, kvLastPageLen, pageSize);
    }

    /**
     * Plans a paged batch whose query rows come under another name (KV append's append_indptr).
     *
     * @param spec the spec
     * @param qoName the name of the row offsets in error messages
     * @param qoIndptr row offsets per request
     * @param kvIndptr page offsets per request
     * @param kvIndices page numbers
     * @param kvLastPageLen tokens in each request's last page
     * @param pageSize tokens per page
     * @return the plan
     */
    static BatchPlan paged(AttentionSpec spec, String qoName, int[] qoIndptr, int[] kvIndptr, int[] kvIndices,
            int[] kvLastPageLen, int pageSize) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        if (pageSize < 1) {
            throw new IllegalArgumentException("page_size=" + pageSize + " must be positive");
        }
        int b = checkIndptr("kv_indptr", kvIndptr, -1);
        checkIndptr(qoName, qoIndptr, b);
        if (kvIndices == null || kvIndices.length < kvIndptr[b]) {
            throw new IllegalArgumentException("kv_indices has " + (kvIndices == null ? "null" : kvIndices.length)
                    + " entries, kv_indptr[" + b + "]=" + kvIndptr[b] + " needed");
        }
        if (kvLastPageLen == null || kvLastPageLen.length != b) {
            throw new IllegalArgumentException("kv_last_page_len has " + (kvLastPageLen == null ? "null" : kvLastPageLen.length)
                    + " entries, batch size is " + b);
        }
        int[] lens = new int[b];
        for (int r = 0; r < b; r++) {
            int pages = kvIndptr[r + 1] - kvIndptr[r];
            if (pages < 1) {
                throw new IllegalArgumentException("request " + r + " has no KV page (kv_indptr[" + r + "]="
                        + kvIndptr[r] + ", kv_indptr[" + (r + 1) + "]=" + kvIndptr[r + 1] + ")");
            }
            int last = kvLastPageLen[r];
            if (last < 1 || last > pageSize) {
                throw new IllegalArgumentException("kv_last_page_len[" + r + "]=" + last
                        + " is outside [1, page_size=" + pageSize + "]");
            }
            for (int p = kvIndptr[r]; p < kvIndptr[r + 1]; p++) {
                if (kvIndices[p] < 0) {
                    throw new IllegalArgumentException("kv_indices[" + p + "]=" + kvIndices[p] + " is negative");
                }
            }
            long len = (long) (pages - 1) * pageSize + last;
            if (len >= AttentionWork.NO_SPLIT) {
                throw new IllegalArgumentException("request " + r + " has kv_len " + len + " (" + pages
                        + " pages of page_size=" + pageSize + "); at most " + (AttentionWork.NO_SPLIT - 1) + " is supported");
            }
            lens[r] = (int) len;
        }
        checkQoAgainstKv(spec, qoIndptr, lens);
        return new BatchPlan(spec, true, qoIndptr.clone(), kvIndptr.clone(),
                Arrays.copyOf(kvIndices, kvIndptr[b]), kvLastPageLen.clone(), pageSize, lens);
    }

    static BatchPlan ragged(AttentionSpec spec, int[] qoIndptr, int[] kvIndptr, int[] kvLens) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        int b = checkIndptr("kv_indptr", kvIndptr, -1);
        checkIndptr("qo_indptr", qoIndptr, b);
        if (kvLens != null && kvLens.length != b) {
            throw new IllegalArgumentException("kv_lens has " + kvLens.length + " entries, batch size is " + b);
        }
        int[] lens = new int[b];
        for (int r = 0; r < b; r++) {
            int seg = kvIndptr[r + 1] - kvIndptr[r];
            lens[r] = kvLens == null ? seg : kvLens[r];
            if (lens[r] < 1 || lens[r] > seg) {
                throw new IllegalArgumentException((kvLens == null ? "kv_indptr segment " + r : "kv_lens[" + r + "]")
                        + "=" + lens[r] + " is outside [1, its kv_indptr segment of " + seg + "]");
            }
        }
        checkQoAgainstKv(spec, qoIndptr, lens);
        return new BatchPlan(spec, false, qoIndptr.clone(), kvIndptr.clone(), null, null, 1, lens);
    }

    private static int checkIndptr(String name, int[] indptr, int expectedBatch) {
        if (indptr == null || indptr.length < 2) {
            throw new IllegalArgumentException(name + " must hold batch_size + 1 >= 2 entries, got "
                    + (indptr == null ? "null" : Arrays.toString(indptr)));
        }
        int b = indptr.length - 1;
        if (expectedBatch >= 0 && b != expectedBatch) {
            throw new IllegalArgumentException(name + " describes " + b + " requests, kv_indptr " + expectedBatch);
        }
        if (indptr[0] != 0) {
            throw new IllegalArgumentException(name + "[0]=" + indptr[0] + " must be 0");
        }
        for (int i = 0; i < b; i++) {
            if (indptr[i + 1] < indptr[i]) {
                throw new IllegalArgumentException(name + " is not monotone: " + name + "[" + i + "]=" + indptr[i]
                        + " > " + name + "[" + (i + 1) + "]=" + indptr[i + 1]);
            }
        }
        return b;
    }

    private static void checkQoAgainstKv(AttentionSpec spec, int[] qoIndptr, int[] lens) {
        for (int r = 0; r < lens.length; r++) {
            int q = qoIndptr[r + 1] - qoIndptr[r];
            if (spec.isCausal() && q > lens[r]) {
                throw new IllegalArgumentException("request " + r + " has qo_len " + q + " > kv_len " + lens[r]
                        + ": a causal query row would see no key");
            }
        }
    }

    /**
     * Returns the attention configuration.
     *
     * @return the spec
     */
    public AttentionSpec getSpec() {
        return spec;
    }

    /**
     * Tells whether KV is read from a paged cache (else from ragged contiguous arrays).
     *
     * @return true for paged
     */
    public boolean isPaged() {
        return paged;
    }

    /**
     * Returns the number of requests.
     *
     * @return batch size
     */
    public int getBatchSize() {
        return work.getBatchSize();
    }

    /**
     * Returns the total number of query rows.
     *
     * @return qo_indptr[batch]
     */
    public int getTotalQo() {
        return work.getTotalQo();
    }

    /**
     * Returns the first query row of request r.
     *
     * @param r the request
     * @return qo_indptr[r]
     */
    public int qoStart(int r) {
        return work.qoStart(r);
    }

    /**
     * Returns the query rows of request r.
     *
     * @param r the request
     * @return qo_len
     */
    public int qoLen(int r) {
        return work.qoLen(r);
    }

    /**
     * Returns the KV length of request r.
     *
     * @param r the request
     * @return kv_len
     */
    public int kvLen(int r) {
        return work.kvLen(r);
    }

    /**
     * Returns the first KV row of request r in ragged layout (its kv_indptr entry).
     *
     * @param r the request
     * @return kv_indptr[r]
     */
    public int kvStart(int r) {
        return work.kvStart(r);
    }

    /**
     * Returns the pool page holding KV position {@code pos} of request r (paged plans).
     *
     * @param r the request
     * @param pos the KV position
     * @return the page index
     */
    public int page(int r, int pos) {
        return work.page(r, pos);
    }

    /**
     * Returns the page indices of every request, concatenated.
     *
     * @return a copy of kv_indices (null for ragged plans)
     */
    public int[] getKvIndices() {
        return paged ? work.kvIndices().clone() : null;
    }

    /**
     * Returns the page size (1 for ragged plans).
     *
     * @return tokens per page
     */
    public int getPageSize() {
        return work.getPageSize();
    }

    /**
     * Returns the split size in tokens ({@link AttentionWork#NO_SPLIT} when splitting is off).
     *
     * @return tokens per chunk
     */
    public int getSplitSize() {
        return work.getSplitSize();
    }

    /**
     * Returns the number of KV chunks of request r.
     *
     * @param r the request
     * @return chunks
     */
    public int numSplits(int r) {
        return work.numSplits(r);
    }

    /**
     * Returns the index of request r's first chunk in the batch-wide chunk numbering.
     *
     * @param r the request
     * @return the first chunk's index
     */
    public int splitStart(int r) {
        return work.splitStart(r);
    }

    /**
     * Returns the total number of chunks in the batch.
     *
     * @return chunks
     */
    public int getTotalSplits() {
        return work.getTotalSplits();
    }

    /**
     * Returns what the backends run: the plan's layout, split and device work list, decided here
     * once (backends and benchmarks read it; applications need not).
     *
     * @return the work
     */
    public AttentionWork work() {
        return work;
    }
}
