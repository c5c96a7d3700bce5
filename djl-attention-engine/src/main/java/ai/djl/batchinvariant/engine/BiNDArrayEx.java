/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.engine.internal.UnsupportedNDArrayEx;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;


/** The engine's {@code NDArrayEx}: neural-network operators, delegated to the array's backend. */
public class BiNDArrayEx extends UnsupportedNDArrayEx {

    private final BiNDArray array;

    BiNDArrayEx(BiNDArray array) {
        this.array = array;
    }

    private static BiNDArray bi(NDArray a, NDManager m) {
        return a instanceof BiNDArray ? (BiNDArray) a : (BiNDArray) m.from(a);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray getArray() {
        return array;
    }

    /** {@inheritDoc} */
    @Override
    public NDArrayIndexer getIndexer(NDManager manager) {
        return new BiNDArrayIndexer();
    }

    @Override public NDArray relu() { return array.unary(UnaryOp.RELU); }
    @Override public NDArray sigmoid() { return array.unary(UnaryOp.SIGMOID); }
    @Override public NDArray tanh() { return array.unary(UnaryOp.TANH); }
    @Override public NDArray softPlus() { return array.unary(UnaryOp.SOFTPLUS); }
    @Override public NDArray gelu() { return array.unary(UnaryOp.GELU); }

    /** {@inheritDoc} */
    @Override
    public NDArray softSign() {
        NDArray a = array.abs();
        NDArray d = a.add(1f);
        NDArray r = array.div(d);
        a.close();
        d.close();
        return r;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray leakyRelu(float alpha) {
        BiNDArray r = array.wrap(array.backend().elementwise().leakyRelu(array.tensor(), alpha));
        return floatResult(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray elu(float alpha) {
        BiNDArray r = array.wrap(array.backend().elementwise().elu(array.tensor(), alpha));
        return floatResult(r);
    }

    /** A float32 result in the input's floating type (the float32 array itself when that is float32). */
    private NDArray floatResult(BiNDArray r) {
        NDArray out = r.toType(floatType(), false);
        if (out != r) {
            r.close();
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray selu() {
        if (array.getDataType() == DataType.FLOAT64) {
            // float64 keeps the exact double constants (the float32 composite rounds them to float)
            return array.unary(UnaryOp.SELU);
        }
        NDArray e = elu(1.6732632423543772f);
        NDArray r = e.mul(1.0507009873554805f);
        e.close();
        return r;
    }

    private DataType floatType() {
        DataType t = array.getDataType();
        return HostData.isFloating(t) ? t : DataType.FLOAT32;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray rdivi(NDArray b) {
        NDArray r = b.div(array);
        array.intern(r);
        return array;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray rmodi(NDArray b) {
        NDArray r = b.mod(array);
        array.intern(r);
        return array;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray rpowi(Number n) {
        NDArray base = array.getManager().full(array.getShape(), n.floatValue(), array.getDataType());
        NDArray r = base.pow(array);
        array.intern(r);
        base.close();
        return array;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray where(NDArray condition, NDArray other) {
        return array.wrap(array.backend().elementwise().where(array.other(condition), array.tensor(), array.other(other)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray stack(NDList arrays, int axis) {
        NDList expanded = new NDList();
        int rank = array.getShape().dimension();
        int ax = axis < 0 ? axis + rank + 1 : axis;
        expanded.add(array.expandDims(ax));
        for (NDArray a : arrays) {
            expanded.add(a.expandDims(ax));
        }
        try {
            return concatAll(expanded, ax);
        } finally {
            // the views hold the inputs' storage: left open, they would keep it until the manager closes
            expanded.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray concat(NDList arrays, int axis) {
        NDList all = new NDList();
        all.add(array);
        all.addAll(arrays);
        for (NDArray a : all) {
            if (a.getShape().dimension() == 0) {
                // PyTorch: zero-dimensional tensors cannot be concatenated
                throw new IllegalArgumentException("scalar (zero-dimensional) arrays cannot be concatenated");
            }
        }
        return concatAll(all, Strided.axis(axis, array.getShape().dimension()));
    }

    private NDArray concatAll(NDList all, int axis) {
        Tensor[] parts = new Tensor[all.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = array.other(all.get(i));
        }
        return array.wrap(array.backend().shapes().concat(parts, axis));
    }

    /** {@inheritDoc} */
    @Override
    public NDList dropout(NDArray input, float rate, boolean training) {
        if (training && rate > 0) {
            throw new UnsupportedOperationException(
                    "BatchInvariant engine does not support NDArrayEx.dropout() in training mode");
        }
        return new NDList(input);
    }

    /** {@inheritDoc} */
    @Override
    public NDList linear(NDArray input, NDArray weight, NDArray bias) {
        NDManager m = input.getManager();
        BiNDArray x = bi(input, m);
        BiNDArray w = bi(weight, m);
        Shape xs = x.getShape();
        Shape ws = w.getShape();
        if (ws.dimension() != 2 || xs.dimension() < 1 || xs.get(xs.dimension() - 1) != ws.get(1)) {
            throw new IllegalArgumentException(
                    "linear: input " + xs + " and weight " + ws + " do not agree (weight must be (out, in))");
        }
        BiNDArray b = bias == null ? null : bi(bias, m);
        return new NDList(x.wrap(x.backend().linalg().linear(x.tensor(), w.tensor(), b == null ? null : b.tensor())));
    }

    /** {@inheritDoc} */
    @Override
    public NDList embedding(NDArray input, NDArray weight, SparseFormat sparse) {
        NDManager m = input.getManager();
        BiNDArray idx = bi(input, m);
        BiNDArray w = bi(weight, m);
        return new NDList(w.wrap(w.backend().indexing().embedding(w.tensor(), idx.tensor())));
    }

    /** {@inheritDoc} */
    @Override
    public NDList layerNorm(NDArray input, Shape normalizedShape, NDArray gamma, NDArray beta, float eps) {
        NDManager m = input.getManager();
        BiNDArray x = bi(input, m);
        return new NDList(x.wrap(x.backend().reductions().layerNorm(x.tensor(), normalizedShape,
                gamma == null ? null : x.other(gamma), beta == null ? null : x.other(beta), eps)));
    }

    /** {@inheritDoc} */
    @Override
    public NDList batchNorm(NDArray input, NDArray runningMean, NDArray runningVar, NDArray gamma,
            NDArray beta, int axis, float momentum, float eps, boolean training) {
        if (training) {
            throw new UnsupportedOperationException(
                    "BatchInvariant engine does not support NDArrayEx.batchNorm() in training mode:"
                            + " batch statistics would make every row depend on its batch");
        }
        NDManager m = input.getManager();
        BiNDArray x = bi(input, m);
        return new NDList(x.wrap(x.backend().reductions().batchNorm(x.tensor(), x.other(runningMean),
                x.other(runningVar), gamma == null ? null : x.other(gamma), beta == null ? null : x.other(beta), axis,
                eps)));
    }

    /** {@inheritDoc} */
    @Override
    public NDList convolution(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding,
            Shape dilation, int groups) {
        BiNDArray x = bi(input, input.getManager());
        return new NDList(x.wrap(x.backend().convPool().convolution(x.tensor(), x.other(weight),
                bias == null ? null : x.other(bias), stride, padding, dilation, groups)));
    }

    /** {@inheritDoc} */
    @Override
    public NDList deconvolution(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding,
            Shape outPadding, Shape dilation, int groups) {
        BiNDArray x = bi(input, input.getManager());
        return new NDList(x.wrap(x.backend().convPool().deconvolution(x.tensor(), x.other(weight),
                bias == null ? null : x.other(bias), stride, padding, outPadding, dilation, groups)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray maxPool(Shape kernelShape, Shape stride, Shape padding, boolean ceilMode) {
        return array.wrap(array.backend().convPool().maxPool(array.tensor(), kernelShape, stride, padding, ceilMode));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray avgPool(Shape kernelShape, Shape stride, Shape padding, boolean ceilMode, boolean countIncludePad) {
        return array.wrap(array.backend().convPool().avgPool(array.tensor(), kernelShape, stride, padding, ceilMode,
                countIncludePad));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray lpPool(float normType, Shape kernelShape, Shape stride, Shape padding, boolean ceilMode) {
        for (long p : padding.getShape()) {
            if (p != 0) {
                throw new IllegalArgumentException("lpPool: padding " + padding + " is not supported (as in PyTorch)");
            }
        }
        return array.wrap(array.backend().convPool().lpPool(array.tensor(), normType, kernelShape, stride, ceilMode));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray globalMaxPool() {
        return array.wrap(array.backend().convPool().globalPool(array.tensor(), true));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray globalAvgPool() {
        return array.wrap(array.backend().convPool().globalPool(array.tensor(), false));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray globalLpPool(float normType) {
        Shape s = array.getShape();
        if (s.dimension() < 3) {
            throw new IllegalArgumentException("globalLpPool needs an input (N, C, *spatial), got " + s);
        }
        long[] ones = new long[s.dimension() - 2];
        java.util.Arrays.fill(ones, 1);
        NDArray pooled = lpPool(normType, s.slice(2), new Shape(ones), new Shape(), false);
        NDArray r = pooled.reshape(s.slice(0, 2));
        if (r != pooled) {
            pooled.close();
        }
        return r;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray resize(int width, int height, int interpolation) {
        return array.wrap(array.backend().convPool().resize(array.tensor(), width, height, interpolation));
    }
}
