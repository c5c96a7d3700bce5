/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Element-wise operations over host storage with numpy broadcasting. Each output element depends
 * on its own inputs only, so these are invariant by construction; what matters here is that the
 * float path is plain IEEE float32 arithmetic (and {@link FastMath}), identical on every call.
 */
public final class Elementwise {

    private Elementwise() {}

    // ---------------------------------------------------------------- per-element arithmetic

    static float apply(BinaryOp op, float a, float b) {
        switch (op) {
            case ADD:
                return a + b;
            case SUB:
                return a - b;
            case MUL:
                return a * b;
            case DIV:
                return a / b;
            case MOD:
                float r = a % b;
                return r != 0 && (r < 0) != (b < 0) ? r + b : r;
            case POW:
                return (float) StrictMath.pow(a, b);
            case MAX:
                return Math.max(a, b);
            case MIN:
                return Math.min(a, b);
            case CLIP_LO:
                return a < b ? b : a;
            case CLIP_HI:
                return a > b ? b : a;
            default:
                return (float) apply(op, (double) a, b);
        }
    }

    static double apply(BinaryOp op, double a, double b) {
        switch (op) {
            case ADD:
                return a + b;
            case SUB:
                return a - b;
            case MUL:
                return a * b;
            case DIV:
                return a / b;
            case MOD:
                double r = a % b;
                return r != 0 && (r < 0) != (b < 0) ? r + b : r;
            case POW:
                return StrictMath.pow(a, b);
            case MAX:
                return Math.max(a, b);
            case MIN:
                return Math.min(a, b);
            case CLIP_LO:
                return a < b ? b : a;
            case CLIP_HI:
                return a > b ? b : a;
            case EQ:
                return a == b ? 1 : 0;
            case NEQ:
                return a != b ? 1 : 0;
            case GT:
                return a > b ? 1 : 0;
            case GTE:
                return a >= b ? 1 : 0;
            case LT:
                return a < b ? 1 : 0;
            case LTE:
                return a <= b ? 1 : 0;
            case AND:
                return a != 0 && b != 0 ? 1 : 0;
            case OR:
                return a != 0 || b != 0 ? 1 : 0;
            default:
                return (a != 0) != (b != 0) ? 1 : 0;
        }
    }

    static long apply(BinaryOp op, long a, long b) {
        switch (op) {
            case ADD:
                return a + b;
            case SUB:
                return a - b;
            case MUL:
                return a * b;
            case DIV:
                // only floor division reaches here: true division of integers is done in float
                if (b == 0) {
                    throw new EngineException("ZeroDivisionError");
                }
                return Math.floorDiv(a, b);
            case MOD:
                if (b == 0) {
                    // PyTorch's CPU kernel raises ZeroDivisionError for an integer modulo by zero
                    throw new EngineException("ZeroDivisionError");
                }
                return Math.floorMod(a, b);
            case POW:
                return intPow(a, b);
            case MAX:
                return Math.max(a, b);
            case MIN:
            case CLIP_HI:
                return Math.min(a, b);
            case CLIP_LO:
                return Math.max(a, b);
            default:
                return (long) apply(op, (double) a, (double) b);
        }
    }

    /**
     * Integer power as PyTorch computes it: exact, by squaring, wrapping like the type's own
     * multiplication (truncating the long result to the storage type wraps the same way); a
     * negative exponent gives 1/x truncated: 1 for x = 1, +-1 for x = -1, 0 otherwise.
     */
    static long intPow(long base, long exp) {
        if (exp < 0) {
            if (base == 1) {
                return 1;
            }
            if (base == -1) {
                return (exp & 1) == 0 ? 1 : -1;
            }
            return 0;
        }
        long result = 1;
        long b = base;
        long e = exp;
        while (e != 0) {
            if ((e & 1) != 0) {
                result *= b;
            }
            e >>>= 1;
            if (e != 0) {
                b *= b;
            }
        }
        return result;
    }

    /** A float64 unary op over n elements: log in double lanes on the threads, the rest by {@link Float64Math}. */
    private static double[] unary64(UnaryOp op, double[] x, int n) {
        double[] o = new double[n];
        if (op == UnaryOp.LOG && Simd.DOUBLE_LANES) {
            // fdlibm's operations in double lanes, StrictMath's bits
            int block = ElementwiseKernels.BLOCK;
            Parallel.forEach((n + block - 1) / block, 32L * block, b -> DoubleLaneKernels.log(x, b * block,
                    Math.min(block, n - b * block), o, b * block));
        } else {
            apply64(op, x, o, n);
        }
        return o;
    }

    /**
     * o[i] = {@link Float64Math#apply}(op, x[i]), one thread, a method of its own: on the threads,
     * or in a larger method, exp of 4M doubles took 63-121 ms against 47-80 (not investigated).
     */
    private static void apply64(UnaryOp op, double[] x, double[] o, int n) {
        for (int i = 0; i < n; i++) {
            o[i] = Float64Math.apply(op, x[i]);
        }
    }

    static float apply(UnaryOp op, float x) {
        switch (op) {
            case NEG:
                return -x;
            case ABS:
                return Math.abs(x);
            case EXP:
                return FastMath.exp(x);
            case LOG:
                return FastMath.log(x);
            case LOG2:
                return log2(x);
            case LOG10:
                return (float) StrictMath.log10(x);
            case SQRT:
                return (float) Math.sqrt(x);
            case SQUARE:
                return x * x;
            case TANH:
                return FastMath.tanh(x);
            case SIGMOID:
                return FastMath.sigmoid(x);
            case RELU:
                // x < 0 rather than x > 0: -0.0 and NaN pass through, as in PyTorch
                return x < 0 ? 0f : x;
            case GELU:
                // x / 2 * erfc(-x / sqrt 2) in double, rounded once: no cancellation for negative x
                return ErfFunctions.gelu(x);
            case SIN:
                return (float) StrictMath.sin(x);
            case COS:
                return (float) StrictMath.cos(x);
            case TAN:
                return (float) StrictMath.tan(x);
            case FLOOR:
                return (float) Math.floor(x);
            case CEIL:
                return (float) Math.ceil(x);
            case ROUND:
                return (float) Math.rint(x);
            case TRUNC:
                return trunc(x);
            case SIGN:
                return sign(x);
            case ERF:
                return ErfFunctions.erf(x);
            case SOFTPLUS:
                return x > 20f ? x : FastMath.log(1f + FastMath.exp(x));
            case CBRT:
                return (float) StrictMath.cbrt(x);
            case SELU:
                return (float) Float64Math.apply(op, x);
            case NOT:
                return x == 0 ? 1 : 0;
            case ISNAN:
                return Float.isNaN(x) ? 1 : 0;
            default:
                return Float.isInfinite(x) ? 1 : 0;
        }
    }

    /** ln 2 as {@link StrictMath#log} gives it, the divisor of the float32 log2. */
    static final double LN2 = StrictMath.log(2.0);

    /**
     * log2(x) = log(x) / ln 2 in double, rounded once (ln 2 computed once, not per element: the
     * same divisor).
     */
    static float log2(float x) {
        return (float) (StrictMath.log(x) / LN2);
    }

    /** x rounded toward zero. */
    static float trunc(float x) {
        return x < 0 ? (float) Math.ceil(x) : (float) Math.floor(x);
    }

    /** 1, -1 or 0 (for zeros of both signs and NaN), as {@link Float64Math#sign}. */
    static float sign(float x) {
        // two tests subtracted rather than a chain of branches, which random signs mispredict
        return (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);
    }

    static long apply(UnaryOp op, long x) {
        switch (op) {
            case NEG:
                return -x;
            case ABS:
                return Math.abs(x);
            case SQUARE:
                return x * x;
            case RELU:
                return Math.max(x, 0);
            case SIGN:
                return Long.signum(x);
            default:
                return x;
        }
    }

    /**
     * The result type of a binary operation (a simplified form of PyTorch's promotion).
     *
     * @param a the left type
     * @param b the right type
     * @return the type the arithmetic is done and stored in
     */
    public static DataType promote(DataType a, DataType b) {
        return TypeRules.promote(a, b);
    }

    /**
     * Applies a binary operation with broadcasting.
     *
     * @param a left storage
     * @param at its type
     * @param as its shape
     * @param b right storage
     * @param bt its type
     * @param bs its shape
     * @param op the operation
     * @param compute the type the arithmetic is done in
     * @param outShape the broadcast shape
     * @return the output storage, of type {@code compute} or boolean for comparisons
     */
    public static Object binary(
            Object a, DataType at, Shape as, Object b, DataType bt, Shape bs,
            BinaryOp op, DataType compute, Shape outShape) {
        int n = (int) outShape.size();
        DataType outType = op.isBoolean() ? DataType.BOOLEAN : compute;
        // a one-element array of another type beside a float32 array (an int or a double one, say):
        // its float value, which the per-element loop below would take for every element
        if (at == DataType.FLOAT32 && bt != DataType.FLOAT32 && bs.size() == 1) {
            float[] f = scalarAsFloat(b, bt, op, compute);
            if (f != null) {
                b = f;
                bt = DataType.FLOAT32;
            }
        } else if (bt == DataType.FLOAT32 && at != DataType.FLOAT32 && as.size() == 1) {
            float[] f = scalarAsFloat(a, at, op, compute);
            if (f != null) {
                a = f;
                at = DataType.FLOAT32;
            }
        }
        if (n > 0 && at == bt && at == compute && (at == DataType.FLOAT16 || at == DataType.BFLOAT16)
                && ElementwiseKernels.handles(op)) {
            // one 16-bit type throughout, same shapes or a single value: widened a chunk at a time
            boolean sameA = as.equals(outShape);
            boolean sameB = bs.equals(outShape);
            if (sameA && (sameB || bs.size() == 1) || sameB && as.size() == 1) {
                short[] out = (short[]) HostArrays.uninitialized(at, n);
                HalfConversions.binary(op, (short[]) a, !sameA, (short[]) b, !sameB, at, out, n);
                return out;
            }
        }
        if (n > 0 && halfOperands(compute, at, bt)) {
            // 16-bit floats: the float32 path on the widened values (each element the same float
            // operation as the loop below, a comparison exact either way), then rounded once
            float[] x = HalfConversions.widen(a, at, (int) as.size());
            float[] y = HalfConversions.widen(b, bt, (int) bs.size());
            Object r = binary(x, DataType.FLOAT32, as, y, DataType.FLOAT32, bs, op, DataType.FLOAT32, outShape);
            HalfConversions.release(x, a);
            HalfConversions.release(y, b);
            if (op.isBoolean() || outType == DataType.FLOAT32) {
                return r;
            }
            return HostArrays.store((float[]) r, outType);
        }
        // every path below writes every element
        Object out = HostArrays.uninitialized(outType, n);
        boolean floats = !op.isBoolean() && compute == DataType.FLOAT32 && at == DataType.FLOAT32
                && bt == DataType.FLOAT32;
        if (floats && n > 0) {
            float[] o = (float[]) out;
            if (op == BinaryOp.POW && bs.size() == 1 && ((float[]) b)[0] == 2f && as.equals(outShape)) {
                // x to the power 2 (Llama's x.pow(2).mean(-1)): StrictMath.pow returns x · x in
                // double for y = 2, exact for a float x, so its float is the float product's
                ElementwiseKernels.unary(false, UnaryOp.SQUARE, (float[]) a, o, n);
            } else if (ElementwiseKernels.handles(op) && as.equals(outShape) && bs.equals(outShape)) {
                ElementwiseKernels.binary(op, (float[]) a, false, (float[]) b, false, o, n);
            } else {
                BroadcastKernels.broadcast(op, (float[]) a, Strided.broadcastStrides(as, outShape), (float[]) b,
                        Strided.broadcastStrides(bs, outShape), o, outShape.getShape());
            }
            return out;
        }
        if (BroadcastKernels.compares(op) && at == DataType.FLOAT32 && bt == DataType.FLOAT32 && n > 0) {
            BroadcastKernels.compare(op, (float[]) a, Strided.broadcastStrides(as, outShape), (float[]) b,
                    Strided.broadcastStrides(bs, outShape), (byte[]) out, outShape.getShape());
            return out;
        }
        if (BroadcastKernels.logical(op) && at == DataType.BOOLEAN && bt == DataType.BOOLEAN && n > 0) {
            BroadcastKernels.logic(op, (byte[]) a, Strided.broadcastStrides(as, outShape), (byte[]) b,
                    Strided.broadcastStrides(bs, outShape), (byte[]) out, outShape.getShape());
            return out;
        }
        int[] ia = as.equals(outShape) ? null : Strided.offsets(outShape, Strided.broadcastStrides(as, outShape), 0);
        int[] ib = bs.equals(outShape) ? null : Strided.offsets(outShape, Strided.broadcastStrides(bs, outShape), 0);
        boolean floating = HostData.isFloating(compute);
        for (int i = 0; i < n; i++) {
            int pa = ia == null ? i : ia[i];
            int pb = ib == null ? i : ib[i];
            if (!floating) {
                long r = apply(op, HostData.getLong(a, at, pa), HostData.getLong(b, bt, pb));
                HostData.setLong(out, outType, i, r);
            } else if (compute == DataType.FLOAT64 || op.isBoolean()) {
                double r = apply(op, HostData.getDouble(a, at, pa), HostData.getDouble(b, bt, pb));
                HostData.setDouble(out, outType, i, r);
            } else {
                float r = apply(op, HostData.getFloat(a, at, pa), HostData.getFloat(b, bt, pb));
                HostData.setFloat(out, outType, i, r);
            }
        }
        return out;
    }

    /**
     * Whether a binary op takes the 16-bit path: operands and arithmetic among float32, float16
     * and bfloat16, at least one operand 16-bit.
     */
    private static boolean halfOperands(DataType compute, DataType at, DataType bt) {
        return HalfConversions.handles(compute) && HalfConversions.handles(at) && HalfConversions.handles(bt)
                && (at != DataType.FLOAT32 || bt != DataType.FLOAT32);
    }

    /**
     * A one-element array as the float32 one the per-element loop would read it as: for arithmetic
     * in float32 its {@code getFloat}, for a comparison its value where a float holds it exactly
     * (the loop compares in double); null otherwise.
     */
    private static float[] scalarAsFloat(Object a, DataType t, BinaryOp op, DataType compute) {
        if (!op.isBoolean()) {
            return compute == DataType.FLOAT32 ? new float[] {HostData.getFloat(a, t, 0)} : null;
        }
        double v = HostData.getDouble(a, t, 0);
        float f = (float) v;
        return f == v || v != v ? new float[] {f} : null;
    }

    /**
     * Applies a unary operation.
     *
     * @param a the storage
     * @param type its type
     * @param n the element count
     * @param op the operation
     * @return the output type and storage
     */
    public static Result unary(Object a, DataType type, int n, UnaryOp op) {
        if (op.isBoolean() && type == DataType.FLOAT32) {
            // the tests below on floats directly: a float's double has the same NaN, infinity and zero
            float[] x = (float[]) a;
            byte[] out = (byte[]) HostArrays.uninitialized(DataType.BOOLEAN, n);
            Parallel.forEach((n + ElementwiseKernels.BLOCK - 1) / ElementwiseKernels.BLOCK, ElementwiseKernels.BLOCK,
                    b -> {
                        int to = Math.min(n, (b + 1) * ElementwiseKernels.BLOCK);
                        for (int i = b * ElementwiseKernels.BLOCK; i < to; i++) {
                            boolean r = op == UnaryOp.NOT ? x[i] == 0 : op == UnaryOp.ISNAN ? x[i] != x[i]
                                    : Float.isInfinite(x[i]);
                            out[i] = r ? (byte) 1 : 0;
                        }
                    });
            return new Result(DataType.BOOLEAN, out);
        }
        if (op.isBoolean()) {
            Object out = HostData.allocate(DataType.BOOLEAN, n);
            for (int i = 0; i < n; i++) {
                // tested in double: a float64 1e300 is finite, and an int64 near 2^63 is not zero
                double v = HostData.getDouble(a, type, i);
                boolean r = op == UnaryOp.NOT ? v == 0 : op == UnaryOp.ISNAN ? Double.isNaN(v) : Double.isInfinite(v);
                HostData.setLong(out, DataType.BOOLEAN, i, r ? 1 : 0);
            }
            return new Result(DataType.BOOLEAN, out);
        }
        if (!HostData.isFloating(type) && op.keepsIntegers()) {
            // square of a boolean is x * x with PyTorch's bool-int promotion: int64
            DataType outType = op == UnaryOp.SQUARE && type == DataType.BOOLEAN ? DataType.INT64 : type;
            Object out = HostData.allocate(outType, n);
            for (int i = 0; i < n; i++) {
                HostData.setLong(out, outType, i, apply(op, HostData.getLong(a, type, i)));
            }
            return new Result(outType, out);
        }
        if (type == DataType.FLOAT64) {
            return new Result(type, unary64(op, (double[]) a, n));
        }
        DataType outType = HostData.isFloating(type) ? type : DataType.FLOAT32;
        // PyTorch hands float32 and bfloat16 gelu of more than one element to oneDNN, whose kernel
        // gives NaN at +infinity (ATen's, used otherwise, gives +infinity)
        boolean geluInfNaN = op == UnaryOp.GELU && n > 1 && (type == DataType.FLOAT32 || type == DataType.BFLOAT16);
        if (HalfConversions.handles(outType)) {
            // 16-bit floats through float32 (widened exactly, each result rounded once)
            float[] x = HalfConversions.widen(a, type, n);
            float[] o = HostArrays.floats(n);
            if (ElementwiseKernels.handles(op)) {
                ElementwiseKernels.unary(Simd.ENABLED, op, x, o, n);
            } else {
                ElementwiseKernels.each(Simd.ENABLED, op, x, o, n, geluInfNaN);
            }
            HalfConversions.release(x, a);
            if (outType == DataType.FLOAT32) {
                return new Result(outType, o);
            }
            return new Result(outType, HostArrays.store(o, outType));
        }
        throw new IllegalStateException("unary " + op + " of " + type);
    }

    /** A type and storage pair. */
    public static final class Result {
        private final DataType type;
        private final Object data;

        Result(DataType type, Object data) {
            this.type = type;
            this.data = data;
        }

        /**
         * Returns the data type.
         *
         * @return the type
         */
        public DataType type() {
            return type;
        }

        /**
         * Returns the storage.
         *
         * @return the primitive array
         */
        public Object data() {
            return data;
        }
    }
}
