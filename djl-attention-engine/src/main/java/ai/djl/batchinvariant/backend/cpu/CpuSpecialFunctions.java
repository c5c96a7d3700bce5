/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.SpecialFn;
import ai.djl.batchinvariant.backend.SpecialOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Special functions on host arrays. Every element is computed in float64 and rounded once to the
 * result type (the input's floating type, float32 for integers and booleans): element-wise, so
 * invariant by construction.
 */
public final class CpuSpecialFunctions implements SpecialOps {

    /** The shared instance. */
    public static final CpuSpecialFunctions INSTANCE = new CpuSpecialFunctions();

    private CpuSpecialFunctions() {}

    private static DataType resultType(DataType t) {
        return HostData.isFloating(t) ? t : DataType.FLOAT32;
    }

    static double apply(SpecialFn fn, double x) {
        switch (fn) {
            case ASIN:
                return StrictMath.asin(x);
            case ACOS:
                return StrictMath.acos(x);
            case ATAN:
                return StrictMath.atan(x);
            case SINH:
                return StrictMath.sinh(x);
            case COSH:
                return StrictMath.cosh(x);
            case ASINH:
                return SpecialFunctions.asinh(x);
            case ACOSH:
                return SpecialFunctions.acosh(x);
            case ATANH:
                return SpecialFunctions.atanh(x);
            case ERFINV:
                return SpecialFunctions.erfinv(x);
            case GAMMALN:
                return SpecialFunctions.lgamma(x);
            default:
                throw new IllegalArgumentException(fn.opName() + " takes two operands");
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor unary(SpecialFn fn, Tensor a) {
        DataType in = a.getDataType();
        DataType out = resultType(in);
        int n = a.size32();
        Object src = a.hostData();
        Object dst = HostData.allocate(out, n);
        for (int i = 0; i < n; i++) {
            HostData.setDouble(dst, out, i, apply(fn, HostData.getDouble(src, in, i)));
        }
        return Tensor.host(a.getShape(), out, dst);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor binary(SpecialFn fn, Tensor a, Tensor b) {
        Shape shape = Strided.broadcast(a.getShape(), b.getShape());
        DataType out = resultType(Elementwise.promote(a.getDataType(), b.getDataType()));
        int n = (int) shape.size();
        int[] ia = Strided.offsets(shape, Strided.broadcastStrides(a.getShape(), shape), 0);
        int[] ib = Strided.offsets(shape, Strided.broadcastStrides(b.getShape(), shape), 0);
        Object ad = a.hostData();
        Object bd = b.hostData();
        Object dst = HostData.allocate(out, n);
        for (int i = 0; i < n; i++) {
            double x = HostData.getDouble(ad, a.getDataType(), ia[i]);
            double y = HostData.getDouble(bd, b.getDataType(), ib[i]);
            double r = fn == SpecialFn.ATAN2 ? StrictMath.atan2(x, y) : SpecialFunctions.xlogy(x, y);
            HostData.setDouble(dst, out, i, r);
        }
        return Tensor.host(shape, out, dst);
    }
}
