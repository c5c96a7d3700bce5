/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

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
}
