/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.ndarray.types.DataType;

/**
 * Every tolerance of the differential suite, in one place. A floating-point element {@code a}
 * (ours) matches the reference {@code b} when both are NaN, both are the same infinity, or {@code
 * |a - b| <= atol + rtol * |b|} with the bounds below for the result's data type. Integer and
 * boolean results are always compared exactly, whatever the class.
 */
enum DiffTolerance {

    /**
     * Bit-identical values (any NaN matches any NaN; -0.0 and 0.0 differ): copies, views, indexing,
     * casts, comparisons, neg/abs/sign/floor/ceil/round/trunc, and add/sub/mul/div/sqrt, which IEEE
     * arithmetic rounds correctly in every type (half types compute in float32 and round once).
     */
    EXACT(0, 0, 0, 0, 0, 0),

    /**
     * Element-wise transcendental functions (exp, log, sin, tanh, erf, pow, sigmoid, gelu...):
     * relative 1e-6 in float32, 1e-12 in float64, 1e-2 in float16/bfloat16, each with a small
     * absolute floor for results near zero.
     */
    TRANSCENDENTAL(1e-6, 1e-7, 1e-12, 1e-15, 1e-2, 1e-3),

    /**
     * Results that sum many terms (sum, mean, prod, norm, cumSum, softmax, matMul, linear,
     * layerNorm...), where the two engines may add in different orders: relative 1e-5 in float32,
     * 1e-12 in float64, 1e-2 in float16/bfloat16, with absolute floors for cancellation.
     */
    ACCUMULATE(1e-5, 1e-5, 1e-12, 1e-12, 1e-2, 1e-2),

    /** Random generators and uninitialized arrays: only shape and data type are compared. */
    SHAPE_ONLY(0, 0, 0, 0, 0, 0);

    private final double rtol32;
    private final double atol32;
    private final double rtol64;
    private final double atol64;
    private final double rtolHalf;
    private final double atolHalf;

    DiffTolerance(double rtol32, double atol32, double rtol64, double atol64, double rtolHalf, double atolHalf) {
        this.rtol32 = rtol32;
        this.atol32 = atol32;
        this.rtol64 = rtol64;
        this.atol64 = atol64;
        this.rtolHalf = rtolHalf;
        this.atolHalf = atolHalf;
    }

    boolean exact(DataType t) {
        return this == EXACT || !DiffData.isFloating(t);
    }

    double rtol(DataType t) {
        return t == DataType.FLOAT64 ? rtol64 : t == DataType.FLOAT32 ? rtol32 : rtolHalf;
    }

    double atol(DataType t) {
        return t == DataType.FLOAT64 ? atol64 : t == DataType.FLOAT32 ? atol32 : atolHalf;
    }

    /** One line per class for the documentation. */
    String describe() {
        switch (this) {
            case EXACT:
                return "bit-identical (NaN matches any NaN; -0.0 differs from 0.0)";
            case SHAPE_ONLY:
                return "shape and data type only (random generators, uninitialized arrays)";
            default:
                return String.format(java.util.Locale.ROOT,
                        "float32 %.0e rel + %.0e abs; float64 %.0e rel + %.0e abs; float16/bfloat16 %.0e rel + %.0e abs",
                        rtol32, atol32, rtol64, atol64, rtolHalf, atolHalf);
        }
    }
}
