/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Argument checks and result shapes that every backend applies to the same ops, so that the CPU
 * and the CUDA backend refuse the same arguments with the same words (the differential suite
 * holds them to PyTorch's behaviour once, here).
 */
public final class OpChecks {

    private OpChecks() {}

    /**
     * Checks the arrays of a concatenation and returns the result's dimensions.
     *
     * @param all the arrays, at least one
     * @param axis the concatenation axis (non-negative)
     * @return the result's dimensions
     * @throws IllegalArgumentException when ranks, types or the other axes differ
     */
    public static long[] concatDims(Tensor[] all, int axis) {
        DataType t = all[0].getDataType();
        Shape s0 = all[0].getShape();
        long total = 0;
        for (Tensor a : all) {
            Shape s = a.getShape();
            if (s.dimension() != s0.dimension() || a.getDataType() != t) {
                throw new IllegalArgumentException(
                        "concat: array " + s + " " + a.getDataType() + " does not match " + s0 + " " + t);
            }
            for (int d = 0; d < s.dimension(); d++) {
                if (d != axis && s.get(d) != s0.get(d)) {
                    throw new IllegalArgumentException("concat: shape " + s + " does not match " + s0 + " off axis " + axis);
                }
            }
            total += s.get(axis);
        }
        long[] dims = s0.getShape().clone();
        dims[axis] = total;
        return dims;
    }

    /**
     * Checks a boolean mask against the array it selects from: like PyTorch's {@code a[mask]}, the
     * mask covers the leading axes, whatever its rank.
     *
     * @param shape the array's shape
     * @param mask the mask's shape
     * @param axis the (non-negative) axis the mask starts at
     * @return the mask's rank
     * @throws IllegalArgumentException when the mask does not match the leading axes
     */
    public static int maskRank(Shape shape, Shape mask, int axis) {
        int mr = mask.dimension();
        if (axis != 0 || mr > shape.dimension() || !shape.slice(0, mr).equals(mask)) {
            throw new IllegalArgumentException(
                    "booleanMask needs a mask matching the leading axes; got mask " + mask + " for " + shape);
        }
        return mr;
    }

    /**
     * Checks an RMS norm's arguments and returns the feature count (the last axis).
     *
     * @param xs the input's shape
     * @param weight the weight, or null
     * @return the number of features
     * @throws IllegalArgumentException for a rank-0 input or a weight of another size
     */
    public static int rmsNormFeatures(Shape xs, Tensor weight) {
        if (xs.dimension() == 0) {
            throw new IllegalArgumentException("rmsNorm needs an array of rank >= 1, got " + xs);
        }
        int n = (int) xs.get(xs.dimension() - 1);
        if (weight != null && weight.getShape().size() != n) {
            throw new IllegalArgumentException("rmsNorm: weight " + weight.getShape() + " does not match " + n
                    + " features of " + xs);
        }
        return n;
    }

    /**
     * Checks a residual add's operands: one shape and one floating type.
     *
     * @param x the input
     * @param residual the residual
     * @throws IllegalArgumentException naming both when they differ
     */
    public static void sameShapeAndType(Tensor x, Tensor residual) {
        if (!x.getShape().equals(residual.getShape()) || x.getDataType() != residual.getDataType()) {
            throw new IllegalArgumentException("addRmsNorm: residual " + residual.getDataType() + " "
                    + residual.getShape() + " does not match x " + x.getDataType() + " " + x.getShape());
        }
    }

    /**
     * Checks a SwiGLU gate's input and returns the output shape: the last axis halved.
     *
     * @param xs the input's shape
     * @param type the input's type
     * @return the output shape
     * @throws IllegalArgumentException for rank 0, an odd last axis or a non-floating type
     */
    public static Shape siluMulShape(Shape xs, DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64 && type != DataType.FLOAT16
                && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException("siluMul needs a floating-point array, got " + type);
        }
        if (xs.dimension() == 0 || xs.get(xs.dimension() - 1) % 2 != 0) {
            throw new IllegalArgumentException("siluMul needs a last axis of even width (gate | up), got " + xs);
        }
        return xs.slice(0, xs.dimension() - 1).add(xs.get(xs.dimension() - 1) / 2);
    }

    /**
     * Checks a SwiGLU gate's input and block and returns the output shape.
     *
     * @param xs the input's shape
     * @param type the input's type
     * @param block g's and u's alternating block
     * @return the output shape
     * @throws IllegalArgumentException as {@link #siluMulShape(Shape, DataType)}, or for a block that
     *     does not divide the output width
     */
    public static Shape siluMulShape(Shape xs, DataType type, int block) {
        Shape os = siluMulShape(xs, type);
        long h = os.get(os.dimension() - 1);
        if (block < 1 || (h > 0 && h % block != 0)) {
            throw new IllegalArgumentException("siluMul: block " + block + " does not divide the " + h
                    + " outputs of " + xs);
        }
        return os;
    }

    /**
     * Checks a reduction's arguments: a mean needs a floating-point input, and max/min an axis
     * that is not empty (an empty result over a non-empty axis is fine, as in PyTorch).
     *
     * @param kind the reduction
     * @param type the input's type
     * @param shape the input's shape
     * @param axes the reduced axes (non-negative)
     * @param outN the number of outputs
     * @param allAxes whether every axis is reduced (no axes were given)
     * @throws IllegalArgumentException when the reduction is refused
     */
    public static void reduction(ReduceOp kind, DataType type, Shape shape, int[] axes, long outN, boolean allAxes) {
        if (kind == ReduceOp.MEAN && !HostData.isFloating(type)) {
            throw new IllegalArgumentException("mean needs a floating-point array (PyTorch cannot infer the output"
                    + " type of the mean of " + type + "); convert it with toType first");
        }
        long reducedSize = 1;
        for (int a : axes) {
            reducedSize *= shape.get(a);
        }
        if ((kind == ReduceOp.MAX || kind == ReduceOp.MIN) && reducedSize == 0 && (outN > 0 || allAxes)) {
            throw new IllegalArgumentException("cannot take " + kind + " over an empty axis of " + shape);
        }
    }
}
