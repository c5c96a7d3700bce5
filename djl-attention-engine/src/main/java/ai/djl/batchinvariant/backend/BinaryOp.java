/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/** Element-wise binary operations, as {@link ElementwiseOps#binary} takes them. */
public enum BinaryOp {
    ADD("add"),
    SUB("sub"),
    MUL("mul"),
    DIV("div"),
    MOD("mod"),
    POW("pow"),
    MAX("maximum"),
    MIN("minimum"),
    /** clip's lower bound: x &lt; lo ? lo : x, so -0.0 and NaN pass through as in PyTorch's clamp. */
    CLIP_LO("clip"),
    /** clip's upper bound: x &gt; hi ? hi : x. */
    CLIP_HI("clip"),
    EQ("eq"),
    NEQ("neq"),
    GT("gt"),
    GTE("gte"),
    LT("lt"),
    LTE("lte"),
    AND("logicalAnd"),
    OR("logicalOr"),
    XOR("logicalXor");

    private final String opName;

    BinaryOp(String opName) {
        this.opName = opName;
    }

    /**
     * Returns the NDArray method this operation implements, for messages.
     *
     * @return the name, e.g. "add"
     */
    public String opName() {
        return opName;
    }

    /**
     * Tells whether the result is boolean.
     *
     * @return true for comparisons and logical operations
     */
    public boolean isBoolean() {
        return ordinal() >= EQ.ordinal();
    }

    /**
     * Tells whether the operation is logical (its operands are truth values).
     *
     * @return true for AND, OR and XOR
     */
    public boolean isLogical() {
        return ordinal() >= AND.ordinal();
    }
}
