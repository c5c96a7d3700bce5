/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/** Element-wise unary operations, as {@link ElementwiseOps#unary} takes them. */
public enum UnaryOp {
    NEG("neg"),
    ABS("abs"),
    EXP("exp"),
    LOG("log"),
    LOG2("log2"),
    LOG10("log10"),
    SQRT("sqrt"),
    SQUARE("square"),
    TANH("tanh"),
    SIGMOID("sigmoid"),
    RELU("relu"),
    GELU("gelu"),
    SIN("sin"),
    COS("cos"),
    TAN("tan"),
    FLOOR("floor"),
    CEIL("ceil"),
    ROUND("round"),
    TRUNC("trunc"),
    SIGN("sign"),
    ERF("erf"),
    NOT("logicalNot"),
    ISNAN("isNaN"),
    ISINF("isInfinite"),
    SOFTPLUS("softPlus"),
    CBRT("cbrt"),
    /** SELU with its exact double constants (the float64 path; float32 composes elu). */
    SELU("selu");

    private final String opName;

    UnaryOp(String opName) {
        this.opName = opName;
    }

    /**
     * Returns the NDArray method this operation implements, for messages.
     *
     * @return the name, e.g. "exp"
     */
    public String opName() {
        return opName;
    }

    /**
     * Tells whether the result is boolean.
     *
     * @return true for logicalNot, isNaN and isInfinite
     */
    public boolean isBoolean() {
        return this == NOT || this == ISNAN || this == ISINF;
    }

    /**
     * Tells whether an integer input keeps its integer type.
     *
     * @return true for operations closed over the integers
     */
    public boolean keepsIntegers() {
        switch (this) {
            case NEG:
            case ABS:
            case SQUARE:
            case RELU:
            case FLOOR:
            case CEIL:
            case ROUND:
            case TRUNC:
            case SIGN:
                return true;
            default:
                return false;
        }
    }
}
