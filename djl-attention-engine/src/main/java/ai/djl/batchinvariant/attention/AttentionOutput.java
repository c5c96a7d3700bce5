/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.ndarray.NDArray;

/** The result of attention: output rows and their log-sum-exp (natural log). */
public final class AttentionOutput implements AutoCloseable {

    private final NDArray output;
    private final NDArray lse;

    /**
     * Pairs an output with its log-sum-exp.
     *
     * @param output (rows, num_qo_heads, head_dim), the query's data type
     * @param lse (rows, num_qo_heads) float32, natural log; -infinity where a row saw no key
     */
    public AttentionOutput(NDArray output, NDArray lse) {
        this.output = output;
        this.lse = lse;
    }

    /**
     * Returns the output.
     *
     * @return (rows, num_qo_heads, head_dim)
     */
    public NDArray getOutput() {
        return output;
    }

    /**
     * Returns the log-sum-exp of the scaled logits.
     *
     * @return (rows, num_qo_heads) float32
     */
    public NDArray getLse() {
        return lse;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        output.close();
        lse.close();
    }
}
