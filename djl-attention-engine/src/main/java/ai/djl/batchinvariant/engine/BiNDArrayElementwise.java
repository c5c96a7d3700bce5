/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The element-wise operations of the engine's NDArray: arithmetic, comparisons and logic with an
 * array or a Number (typed as the PyTorch engine types it), unary math and their in-place forms,
 * each a delegation to the backend's element-wise family.
 */
abstract class BiNDArrayElementwise extends BiNDArrayShapes {

    /** The array's data type. */
    abstract DataType dataType();

    BiNDArray scalar(Number n) {
        DataType t = dataType();
        // a Float or Double is a floating scalar whatever its value (2.0d is not an integer): with an
        // integer array it makes a float result of its own precision, as the PyTorch engine does
        boolean floatingNumber = n instanceof Float || n instanceof Double;
        boolean integral = !floatingNumber
                && (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                        || (n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue())));
        if (!HostData.isFloating(t) && !integral) {
            t = n instanceof Double ? DataType.FLOAT64 : DataType.FLOAT32;
        }
        if (t == DataType.BOOLEAN) {
            t = DataType.INT64;
        }
        Object d = HostData.allocate(t, 1);
        if (HostData.isFloating(t)) {
            HostData.setDouble(d, t, 0, n.doubleValue());
        } else {
            HostData.setLong(d, t, 0, n.longValue());
        }
        // the backends compute with both operands on one device: on a GPU the scalar is uploaded
        return wrap(backend().adopt(Tensor.host(new Shape(), t, d), tensor().getDevice()));
    }

    BiNDArray binary(NDArray other, BinaryOp op) {
        return wrap(backend().elementwise().binary(op, tensor(), other(other)));
    }

    BiNDArray binary(Number n, BinaryOp op) {
        BiNDArray s = scalar(n);
        try {
            return binary(s, op);
        } finally {
            s.close();
        }
    }

    BiNDArray inPlace(BiNDArray result) {
        if (!result.getShape().equals(shape())) {
            Shape rs = result.getShape();
            result.close();
            throw new IllegalArgumentException("in-place result shape " + rs + " does not match " + shape());
        }
        if (!InPlaceCast.allowed(result.getDataType(), dataType())) {
            DataType rt = result.getDataType();
            result.close();
            throw new IllegalArgumentException(
                    "in-place result type " + rt + " can't be cast to the array's type " + dataType());
        }
        backend().write(tensor(), result.tensor());
        result.close();
        return (BiNDArray) this;
    }

    BiNDArray unary(UnaryOp op) {
        return wrap(backend().elementwise().unary(op, tensor()));
    }

    @Override public NDArray add(Number n) { return binary(n, BinaryOp.ADD); }
    @Override public NDArray add(NDArray other) { return binary(other, BinaryOp.ADD); }
    @Override public NDArray sub(Number n) { return binary(n, BinaryOp.SUB); }
    @Override public NDArray sub(NDArray other) { return binary(other, BinaryOp.SUB); }
    @Override public NDArray mul(Number n) { return binary(n, BinaryOp.MUL); }
    @Override public NDArray mul(NDArray other) { return binary(other, BinaryOp.MUL); }
    @Override public NDArray div(Number n) { return binary(n, BinaryOp.DIV); }
    @Override public NDArray div(NDArray other) { return binary(other, BinaryOp.DIV); }
    @Override public NDArray mod(Number n) { return binary(n, BinaryOp.MOD); }
    @Override public NDArray mod(NDArray other) { return binary(other, BinaryOp.MOD); }
    @Override public NDArray pow(Number n) { return binary(n, BinaryOp.POW); }
    @Override public NDArray pow(NDArray other) { return binary(other, BinaryOp.POW); }
    @Override public NDArray addi(Number n) { return inPlace(binary(n, BinaryOp.ADD)); }
    @Override public NDArray addi(NDArray other) { return inPlace(binary(other, BinaryOp.ADD)); }
    @Override public NDArray subi(Number n) { return inPlace(binary(n, BinaryOp.SUB)); }
    @Override public NDArray subi(NDArray other) { return inPlace(binary(other, BinaryOp.SUB)); }
    @Override public NDArray muli(Number n) { return inPlace(binary(n, BinaryOp.MUL)); }
    @Override public NDArray muli(NDArray other) { return inPlace(binary(other, BinaryOp.MUL)); }
    @Override public NDArray divi(Number n) { return inPlace(binary(n, BinaryOp.DIV)); }
    @Override public NDArray divi(NDArray other) { return inPlace(binary(other, BinaryOp.DIV)); }
    @Override public NDArray modi(Number n) { return inPlace(binary(n, BinaryOp.MOD)); }
    @Override public NDArray modi(NDArray other) { return inPlace(binary(other, BinaryOp.MOD)); }
    @Override public NDArray powi(Number n) { return inPlace(binary(n, BinaryOp.POW)); }
    @Override public NDArray powi(NDArray other) { return inPlace(binary(other, BinaryOp.POW)); }
    @Override public NDArray maximum(Number n) { return binary(n, BinaryOp.MAX); }
    @Override public NDArray maximum(NDArray other) { return binary(other, BinaryOp.MAX); }
    @Override public NDArray minimum(Number n) { return binary(n, BinaryOp.MIN); }
    @Override public NDArray minimum(NDArray other) { return binary(other, BinaryOp.MIN); }
    @Override public NDArray eq(Number n) { return binary(n, BinaryOp.EQ); }
    @Override public NDArray eq(NDArray other) { return binary(other, BinaryOp.EQ); }
    @Override public NDArray neq(Number n) { return binary(n, BinaryOp.NEQ); }
    @Override public NDArray neq(NDArray other) { return binary(other, BinaryOp.NEQ); }
    @Override public NDArray gt(Number n) { return binary(n, BinaryOp.GT); }
    @Override public NDArray gt(NDArray other) { return binary(other, BinaryOp.GT); }
    @Override public NDArray gte(Number n) { return binary(n, BinaryOp.GTE); }
    @Override public NDArray gte(NDArray other) { return binary(other, BinaryOp.GTE); }
    @Override public NDArray lt(Number n) { return binary(n, BinaryOp.LT); }
    @Override public NDArray lt(NDArray other) { return binary(other, BinaryOp.LT); }
    @Override public NDArray lte(Number n) { return binary(n, BinaryOp.LTE); }
    @Override public NDArray lte(NDArray other) { return binary(other, BinaryOp.LTE); }
    @Override public NDArray logicalAnd(NDArray other) { return binary(other, BinaryOp.AND); }
    @Override public NDArray logicalOr(NDArray other) { return binary(other, BinaryOp.OR); }
    @Override public NDArray logicalXor(NDArray other) { return binary(other, BinaryOp.XOR); }
    @Override public NDArray logicalNot() { return unary(UnaryOp.NOT); }
    @Override public NDArray neg() { return unary(UnaryOp.NEG); }
    @Override public NDArray negi() { return inPlace(unary(UnaryOp.NEG)); }
    @Override public NDArray abs() { return unary(UnaryOp.ABS); }
    @Override public NDArray square() { return unary(UnaryOp.SQUARE); }
    @Override public NDArray sqrt() { return unary(UnaryOp.SQRT); }
    @Override public NDArray cbrt() { return unary(UnaryOp.CBRT); }
    @Override public NDArray exp() { return unary(UnaryOp.EXP); }
    @Override public NDArray log() { return unary(UnaryOp.LOG); }
    @Override public NDArray log2() { return unary(UnaryOp.LOG2); }
    @Override public NDArray log10() { return unary(UnaryOp.LOG10); }
    @Override public NDArray sin() { return unary(UnaryOp.SIN); }
    @Override public NDArray cos() { return unary(UnaryOp.COS); }
    @Override public NDArray tan() { return unary(UnaryOp.TAN); }
    @Override public NDArray tanh() { return unary(UnaryOp.TANH); }
    @Override public NDArray floor() { return unary(UnaryOp.FLOOR); }
    @Override public NDArray ceil() { return unary(UnaryOp.CEIL); }
    @Override public NDArray round() { return unary(UnaryOp.ROUND); }
    @Override public NDArray trunc() { return unary(UnaryOp.TRUNC); }
    @Override public NDArray sign() { return unary(UnaryOp.SIGN); }
    @Override public NDArray signi() { return inPlace(unary(UnaryOp.SIGN)); }
    @Override public NDArray erf() { return unary(UnaryOp.ERF); }
    @Override public NDArray isNaN() { return unary(UnaryOp.ISNAN); }
    @Override public NDArray isInfinite() { return unary(UnaryOp.ISINF); }

    /** {@inheritDoc} */
    @Override
    public NDArray clip(Number min, Number max) {
        BiNDArray lo = binary(min, BinaryOp.CLIP_LO);
        try {
            return lo.binary(max, BinaryOp.CLIP_HI);
        } finally {
            lo.close();
        }
    }
}
