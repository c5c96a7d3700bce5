/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/**
 * Element-wise special functions, as {@link SpecialOps} takes them: the inverse trigonometric and
 * hyperbolic functions, {@code erfinv}, {@code gammaln} and the two-operand {@code atan2} and
 * {@code xlogy}.
 */
public enum SpecialFn {
    ASIN("asin"),
    ACOS("acos"),
    ATAN("atan"),
    SINH("sinh"),
    COSH("cosh"),
    ASINH("asinh"),
    ACOSH("acosh"),
    ATANH("atanh"),
    ERFINV("erfinv"),
    GAMMALN("gammaln"),
    ATAN2("atan2"),
    XLOGY("xlogy");

    private final String opName;

    SpecialFn(String opName) {
        this.opName = opName;
    }

    /**
     * Returns the NDArray method this function implements, for messages.
     *
     * @return the name, e.g. "asin"
     */
    public String opName() {
        return opName;
    }

    /**
     * Tells whether the function takes two operands.
     *
     * @return true for atan2 and xlogy
     */
    public boolean isBinary() {
        return this == ATAN2 || this == XLOGY;
    }
}
