/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.types.DataType;

/**
 * The backend-independent rules of the element-wise and conversion families: result types, the
 * arithmetic type each element is computed in, the inputs refused, and the index-range message.
 * Every backend applies these, so a GPU answer has the CPU answer's type and, for the exactly
 * rounded operations, its bits.
 */
public final class TypeRules {

    /** How one element is computed: in a long, a float32, or a float64. */
    public enum Arith {
        /** 64-bit integer arithmetic, wrapping; stored by truncation. */
        LONG,
        /** float32 arithmetic; 16-bit floats are widened exactly and rounded once at the store. */
        FLOAT,
        /** float64 arithmetic. */
        DOUBLE
    }

    private TypeRules() {}

    /**
     * The result type of a binary operation (a simplified form of PyTorch's promotion).
     *
     * @param a the left type
     * @param b the right type
     * @return the type the arithmetic is done and stored in
     */
    public static DataType promote(DataType a, DataType b) {
        if (a == b) {
            return a;
        }
        boolean fa = HostData.isFloating(a);
        boolean fb = HostData.isFloating(b);
        if (fa && !fb) {
            return a;
        }
        if (fb && !fa) {
            return b;
        }
        if (fa) {
            return a == DataType.FLOAT64 || b == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
        }
        if (a == DataType.BOOLEAN) {
            return b;
        }
        if (b == DataType.BOOLEAN) {
            return a;
        }
        return DataType.INT64;
    }

    /**
     * The type a binary operation computes in, after refusing the operand types it does not take.
     *
     * @param op the operation
     * @param a the left type
     * @param b the right type
     * @return the compute type (the result type, except boolean for comparisons and logic)
     * @throws IllegalArgumentException for subtraction with a boolean operand
     */
    public static DataType binaryCompute(BinaryOp op, DataType a, DataType b) {
        DataType compute = promote(a, b);
        if (op == BinaryOp.SUB && (a == DataType.BOOLEAN || b == DataType.BOOLEAN)) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with a bool tensor is not supported;"
                    + " use logicalXor or logicalNot");
        }
        if (op == BinaryOp.DIV && !HostData.isFloating(compute)) {
            // true division, as in PyTorch: integers and booleans divide in float32
            compute = DataType.FLOAT32;
        }
        if (op.isLogical()) {
            compute = DataType.FLOAT64;
        }
        return compute;
    }

    /**
     * How each element of a binary operation is computed.
     *
     * @param op the operation
     * @param compute its compute type ({@link #binaryCompute})
     * @return the arithmetic
     */
    public static Arith binaryArith(BinaryOp op, DataType compute) {
        if (!HostData.isFloating(compute)) {
            return Arith.LONG;
        }
        return compute == DataType.FLOAT64 || op.isBoolean() ? Arith.DOUBLE : Arith.FLOAT;
    }

    /**
     * Refuses the unary operations PyTorch refuses on booleans.
     *
     * @param op the operation
     * @param type the operand type
     * @throws IllegalArgumentException for negation or ReLU of a boolean array
     */
    public static void checkUnary(UnaryOp op, DataType type) {
        if (type == DataType.BOOLEAN && (op == UnaryOp.NEG || op == UnaryOp.RELU)) {
            throw new IllegalArgumentException(op.opName() + " of a boolean array is not supported (PyTorch refuses"
                    + " arithmetic negation of booleans); use logicalNot");
        }
    }

    /**
     * The result type of a unary operation.
     *
     * @param op the operation
     * @param type the operand type
     * @return boolean for tests, the integer type for integer-closed operations (int64 for the
     *     square of a boolean), the float type for floats, float32 otherwise
     */
    public static DataType unaryResult(UnaryOp op, DataType type) {
        if (op.isBoolean()) {
            return DataType.BOOLEAN;
        }
        if (!HostData.isFloating(type) && op.keepsIntegers()) {
            return op == UnaryOp.SQUARE && type == DataType.BOOLEAN ? DataType.INT64 : type;
        }
        return HostData.isFloating(type) ? type : DataType.FLOAT32;
    }

    /**
     * How each element of a unary operation is computed (tests are done in double).
     *
     * @param op the operation
     * @param type the operand type
     * @return the arithmetic
     */
    public static Arith unaryArith(UnaryOp op, DataType type) {
        if (op.isBoolean() || type == DataType.FLOAT64) {
            return Arith.DOUBLE;
        }
        return !HostData.isFloating(type) && op.keepsIntegers() ? Arith.LONG : Arith.FLOAT;
    }

    /**
     * Tells whether gelu maps +infinity to NaN, as PyTorch's oneDNN kernel does for float32 and
     * bfloat16 arrays of more than one element.
     *
     * @param op the operation
     * @param type the operand type
     * @param n the element count
     * @return true where +infinity becomes NaN
     */
    public static boolean geluInfIsNaN(UnaryOp op, DataType type, long n) {
        return op == UnaryOp.GELU && n > 1 && (type == DataType.FLOAT32 || type == DataType.BFLOAT16);
    }

    /**
     * How a conversion between types is computed: exactly through a long between integer types,
     * through a double into float64 or an integer type, through a float into the other floats.
     *
     * @param from the source type
     * @param to the target type
     * @return the arithmetic
     */
    public static Arith conversion(DataType from, DataType to) {
        if (!HostData.isFloating(to) && !HostData.isFloating(from)) {
            return Arith.LONG;
        }
        return to == DataType.FLOAT64 || !HostData.isFloating(to) ? Arith.DOUBLE : Arith.FLOAT;
    }

    /**
     * The message of an out-of-range index.
     *
     * @param what what the index is, e.g. "index" or "embedding index"
     * @param value the index as given (negative counts from the end)
     * @param size the axis length
     * @return the message
     */
    public static String indexOutOfRange(String what, long value, long size) {
        return what + " " + value + " is out of range [0, " + size + ")";
    }
}
