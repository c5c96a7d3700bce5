/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/** Reductions over axes, as {@link ReductionOps#reduce} takes them. */
public enum ReduceOp {
    SUM,
    MEAN,
    MAX,
    MIN,
    PROD;

    /**
     * Returns the NDArray method this reduction implements, for messages.
     *
     * @return the name, e.g. "sum"
     */
    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
