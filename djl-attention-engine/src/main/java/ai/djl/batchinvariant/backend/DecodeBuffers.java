/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

import java.util.Arrays;

/**
 * The per-step inputs of a decode step that is recorded once and replayed (a CUDA graph): token
 * ids, the attention work list and the KV slots of the new tokens live in buffers whose addresses
 * never change, so the recorded launches read each step's values from them. Every op here works
 * on {@link #getCapacity} rows whatever the batch: rows past the loaded batch are padding, whose
 * results nobody reads (their keys and values go to a scratch slot the caller names), and a
 * launch's grid covers the capacity, its blocks past the loaded work exiting at once. The
 * kernels and each row's arithmetic are those of the eager ops, so a real row gets the eager
 * bits. {@link #load} runs outside the recording, before each replay.
 */
public interface DecodeBuffers extends AutoCloseable {

    /**
     * Returns the rows every op works on.
     *
     * @return the capacity
     */
    int getCapacity();

    /**
     * Writes one step's values into the buffers, on the calling thread's stream (so a replay on
     * that stream sees them). Not allowed while recording.
     *
     * @param ids one token id per row (capacity entries; checked against the vocabulary by the
     *     caller, since the recorded lookup does not check them)
     * @param work a decode plan (one query row per request) of at most capacity requests
     * @param kvOffsets element offset in the pools of each (row, KV head) vector the step appends,
     *     capacity × num_kv_heads entries, validated by the caller
     * @throws IllegalArgumentException if the plan exceeds what the buffers were sized for
     */
    void load(int[] ids, AttentionWork work, long[] kvOffsets);

    /**
     * Looks up the loaded ids' rows of an embedding table.
     *
     * @param table (vocab, hidden)
     * @return (capacity, hidden) in the table's type
     */
    Tensor embed(Tensor table);

    /**
     * Writes each row's key and value head vectors to the loaded slots.
     *
     * @param k (capacity, num_kv_heads, head_dim), the pools' type
     * @param v as k
     * @param keyPool the key pool
     * @param valuePool the value pool
     */
    void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool);

    /**
     * Runs attention for the loaded plan.
     *
     * @param q (capacity, num_qo_heads, head_dim), the pools' type
     * @param keyPool the key pool
     * @param valuePool the value pool
     * @param hnd the pools' layout is HND rather than NHD
     * @return the output (capacity, num_qo_heads, head_dim) in q's type; rows past the plan's
     *     batch hold no defined value
     */
    Tensor attention(Tensor q, Tensor keyPool, Tensor valuePool, boolean hnd);

    /** Frees the buffers. */
    @Override
    void close();

    /**
     * Checks a {@link #load}'s sizes against buffers of a configuration: the lengths of the ids and
     * offsets, and the plan's batch, paging and split.
     *
     * @param capacity the buffers' rows
     * @param numKvHeads KV heads per row
     * @param pageSize the buffers' page size
     * @param split the buffers' split size
     * @param ids the ids to load
     * @param work the plan to load
     * @param kvOffsets the offsets to load
     * @throws IllegalArgumentException naming what does not fit
     */
    static void checkLoad(int capacity, int numKvHeads, int pageSize, int split, int[] ids, AttentionWork work,
            long[] kvOffsets) {
        if (ids.length != capacity || kvOffsets.length != capacity * numKvHeads) {
            throw new IllegalArgumentException("a load takes " + capacity + " ids and " + capacity * numKvHeads
                    + " KV offsets, got " + ids.length + " and " + kvOffsets.length);
        }
        int b = work.getBatchSize();
        if (b > capacity || !work.isPaged() || work.getPageSize() != pageSize || work.getSplitSize() != split) {
            throw new IllegalArgumentException("the plan (batch " + b + ", page size " + work.getPageSize()
                    + ", split " + work.getSplitSize() + ") does not fit buffers of capacity " + capacity
                    + ", page size " + pageSize + ", split " + split);
        }
    }

    /**
     * Returns the token position of each (row, kv head) KV slot of a decode step: request r's new
     * token sits at its last position, {@code kv_len - 1}; rows past the batch at 0.
     *
     * @param capacity the rows
     * @param numKvHeads KV heads per row
     * @param work the step's decode plan
     * @return capacity * numKvHeads positions
     */
    static int[] appendPositions(int capacity, int numKvHeads, AttentionWork work) {
        int[] pos = new int[capacity * numKvHeads];
        for (int r = 0; r < work.getBatchSize(); r++) {
            Arrays.fill(pos, r * numKvHeads, (r + 1) * numKvHeads, work.kvLen(r) - 1);
        }
        return pos;
    }

    /**
     * Checks that a plan is a decode plan: one query row per request.
     *
     * @param work the plan
     * @throws IllegalArgumentException naming the first request with another count
     */
    static void checkDecodePlan(AttentionWork work) {
        int b = work.getBatchSize();
        for (int r = 0; r < b; r++) {
            if (work.qoLen(r) != 1) {
                throw new IllegalArgumentException("request " + r + " has " + work.qoLen(r)
                        + " query rows: decode inputs take one per request");
            }
        }
    }
}
