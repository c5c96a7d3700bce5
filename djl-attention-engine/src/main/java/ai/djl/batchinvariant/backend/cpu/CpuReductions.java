/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.SortKeys;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reductions on host arrays. Each output element reduces one contiguous segment of a permuted
 * copy, in index order, so its result depends on that segment alone.
 */
public final class CpuReductions implements ReductionOps {

    /** The shared instance. */
    public static final CpuReductions INSTANCE = new CpuReductions();

    private CpuReductions() {}

    /**
     * Moves the given axes to the end (in the given order) and returns the source offsets of the
     * permuted layout, so each output element reduces one contiguous segment, in index order.
     */
    static int[] reduceLayout(Shape shape, int[] axes, long[] keptDims, boolean[] reduced) {
        int rank = shape.dimension();
        List<Integer> order = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                order.add(i);
                keptDims[k++] = shape.get(i);
            }
        }
        for (int a : axes) {
            order.add(a);
        }
        int[] perm = order.stream().mapToInt(Integer::intValue).toArray();
        return Strided.permutation(shape, perm);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor reduce(ReduceOp kind, Tensor t, int[] axesIn, boolean keepDims) {
        Shape shape = t.getShape();
        DataType dataType = t.getDataType();
        int rank = shape.dimension();
        int[] axes = axesIn == null ? allAxes(rank) : normaliseAxes(axesIn, rank);
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            reduced[a] = true;
        }
        long[] kept = new long[rank - axes.length];
        long reducedSize = 1;
        for (int i = 0, k = 0; i < rank; i++) {
            if (reduced[i]) {
                reducedSize *= shape.get(i);
            } else {
                kept[k++] = shape.get(i);
            }
        }
        int outN = (int) new Shape(kept).size();
        int seg = outN == 0 ? 0 : (int) reducedSize;
        DataType outType = dataType;
        OpChecks.reduction(kind, dataType, shape, axes, outN, axesIn == null);
        if ((kind == ReduceOp.SUM || kind == ReduceOp.PROD)
                && (outType == DataType.BOOLEAN || outType == DataType.INT8 || outType == DataType.UINT8 || outType == DataType.INT32)) {
            outType = DataType.INT64;
        }
        Shape outShape = keepDims ? keptShape(shape, reduced) : new Shape(kept);
        if (inBlock(axes) && outN > 0 && seg > 0 && HostData.isFloating(dataType) && dataType != DataType.FLOAT64) {
            // one block of adjacent axes: the same chains without the index array (ReductionKernels)
            int outer = (int) product(shape, 0, axes[0]);
            int inner = (int) product(shape, axes[axes.length - 1] + 1, rank);
            float[] o = HostArrays.floats(outN);
            float[] x = HostArrays.borrowFloats(t);
            ReductionKernels.reduce(kind, x, outer, seg, inner, o);
            HalfConversions.release(x, t.borrowHostData());
            return HostArrays.wrap(outShape, dataType, HostArrays.fromFloats(o, dataType));
        }
        if (inBlock(axes) && outN > 0 && seg > 0 && IntegerReductions.handles(kind, dataType)) {
            // exact in 64-bit integers, so in any order: chunks of the axis on the threads
            int outer = (int) product(shape, 0, axes[0]);
            int inner = (int) product(shape, axes[axes.length - 1] + 1, rank);
            return Tensor.host(outShape, outType,
                    IntegerReductions.reduce(kind, t.borrowHostData(), dataType, outer, seg, inner, outType));
        }
        int[] offs = reduceLayout(shape, axes, new long[kept.length], reduced);
        return Tensor.host(outShape, outType, inIndexOrder(kind, t, offs, outN, seg, outType));
    }

    private static long product(Shape shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape.get(i);
        }
        return p;
    }

    /** Whether the (sorted) axes are one block of adjacent axes. */
    private static boolean inBlock(int[] axes) {
        for (int i = 1; i < axes.length; i++) {
            if (axes[i] != axes[0] + i) {
                return false;
            }
        }
        return axes.length > 0;
    }

    /**
     * The reductions element by element through the permuted layout's offsets: every type, and
     * the reference {@link ReductionKernels} is tested against.
     *
     * @param kind the reduction
     * @param t the input
     * @param offs the input's offsets in the permuted layout (kept axes first)
     * @param outN the output's element count
     * @param seg the count of values each output reduces
     * @param outType the output's data type
     * @return the output's storage
     */
    static Object inIndexOrder(ReduceOp kind, Tensor t, int[] offs, int outN, int seg, DataType outType) {
        DataType dataType = t.getDataType();
        Object out = HostData.allocate(outType, outN);
        Object src = t.hostData();
        boolean floating = HostData.isFloating(dataType);
        for (int o = 0; o < outN; o++) {
            int base = o * seg;
            if (floating && dataType != DataType.FLOAT64) {
                float acc = kind == ReduceOp.MAX ? Float.NEGATIVE_INFINITY
                        : kind == ReduceOp.MIN ? Float.POSITIVE_INFINITY : kind == ReduceOp.PROD ? 1f : 0f;
                for (int i = 0; i < seg; i++) {
                    float v = HostData.getFloat(src, dataType, offs[base + i]);
                    switch (kind) {
                        case MAX: acc = Float.isNaN(v) ? v : Math.max(acc, v); break;
                        case MIN: acc = Float.isNaN(v) ? v : Math.min(acc, v); break;
                        case PROD: acc *= v; break;
                        default: acc += v;
                    }
                }
                if (kind == ReduceOp.MEAN) {
                    acc /= seg;
                }
                HostData.setFloat(out, outType, o, acc);
            } else if (floating || kind == ReduceOp.MEAN) {
                double acc = kind == ReduceOp.MAX ? Double.NEGATIVE_INFINITY
                        : kind == ReduceOp.MIN ? Double.POSITIVE_INFINITY : kind == ReduceOp.PROD ? 1 : 0;
                for (int i = 0; i < seg; i++) {
                    double v = HostData.getDouble(src, dataType, offs[base + i]);
                    switch (kind) {
                        case MAX: acc = Math.max(acc, v); break;
                        case MIN: acc = Math.min(acc, v); break;
                        case PROD: acc *= v; break;
                        default: acc += v;
                    }
                }
                if (kind == ReduceOp.MEAN) {
                    acc /= seg;
                }
                HostData.setDouble(out, outType, o, acc);
            } else {
                long acc = kind == ReduceOp.MAX ? Long.MIN_VALUE
                        : kind == ReduceOp.MIN ? Long.MAX_VALUE : kind == ReduceOp.PROD ? 1 : 0;
                for (int i = 0; i < seg; i++) {
                    long v = HostData.getLong(src, dataType, offs[base + i]);
                    switch (kind) {
                        case MAX: acc = Math.max(acc, v); break;
                        case MIN: acc = Math.min(acc, v); break;
                        case PROD: acc *= v; break;
                        default: acc += v;
                    }
                }
                HostData.setLong(out, outType, o, acc);
            }
        }
        return out;
    }

    private static Shape keptShape(Shape shape, boolean[] reduced) {
        long[] dims = shape.getShape().clone();
        for (int i = 0; i < dims.length; i++) {
            if (reduced[i]) {
                dims[i] = 1;
            }
        }
        return new Shape(dims);
    }

    private static int[] allAxes(int rank) {
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = i;
        }
        return a;
    }

    private static int[] normaliseAxes(int[] axes, int rank) {
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = Strided.axis(axes[i], rank);
        }
        Arrays.sort(out);
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor argExtreme(Tensor t, Integer axisIn, boolean max) {
        Shape shape = t.getShape();
        DataType dataType = t.getDataType();
        Shape srcShape = axisIn == null ? new Shape(shape.size()) : shape;
        int rank = srcShape.dimension();
        int axis = axisIn == null ? 0 : Strided.axis(axisIn, rank);
        if (srcShape.get(axis) == 0) {
            throw new IllegalArgumentException("cannot take argMax/argMin over an empty axis of " + shape);
        }
        boolean[] reduced = new boolean[rank];
        reduced[axis] = true;
        long[] kept = new long[rank - 1];
        if (HostData.isFloating(dataType) && dataType != DataType.FLOAT64) {
            // without the index array: floats compare as their doubles do (each converts exactly)
            for (int i = 0, k = 0; i < rank; i++) {
                if (i != axis) {
                    kept[k++] = srcShape.get(i);
                }
            }
            int outer = (int) product(srcShape, 0, axis);
            int inner = (int) product(srcShape, axis + 1, rank);
            long[] out = new long[outer * inner];
            float[] x = HostArrays.borrowFloats(t);
            ReductionKernels.argExtreme(x, outer, (int) srcShape.get(axis), inner, max, out);
            HalfConversions.release(x, t.borrowHostData());
            return Tensor.host(new Shape(kept), DataType.INT64, out);
        }
        int[] offs = reduceLayout(srcShape, new int[] {axis}, kept, reduced);
        return Tensor.host(new Shape(kept), DataType.INT64, argExtremeByOffsets(t, offs, (int) srcShape.get(axis), max));
    }

    /**
     * argMax / argMin element by element through the permuted layout's offsets (the searched axis
     * last): every type, and the reference {@link ReductionKernels#argExtreme} is tested against.
     *
     * @param t the input
     * @param offs its offsets in the permuted layout
     * @param seg the searched axis' length (at least 1)
     * @param max whether the largest is sought
     * @return one index an output
     */
    static long[] argExtremeByOffsets(Tensor t, int[] offs, int seg, boolean max) {
        DataType dataType = t.getDataType();
        int outN = offs.length / seg;
        long[] out = new long[outN];
        Object d = t.borrowHostData();
        for (int o = 0; o < outN; o++) {
            int best = 0;
            double bv = HostData.getDouble(d, dataType, offs[o * seg]);
            for (int i = 1; i < seg; i++) {
                double v = HostData.getDouble(d, dataType, offs[o * seg + i]);
                if (max ? v > bv : v < bv) {
                    bv = v;
                    best = i;
                }
            }
            out[o] = best;
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] topK(Tensor t, int k, int axisIn, boolean largest) {
        Shape shape = t.getShape();
        DataType dataType = t.getDataType();
        int rank = shape.dimension();
        int axis = Strided.axis(axisIn, rank);
        int seg = (int) shape.get(axis);
        if (k < 0 || k > seg) {
            throw new IllegalArgumentException("k " + k + " is outside [0, " + seg + "] for axis " + axisIn);
        }
        int[] perm = CpuShapes.moveLast(rank, axis);
        // over the last axis a row is contiguous: no offset array (4 bytes an element, built first)
        int[] offs = axis == rank - 1 ? null : Strided.permutation(shape, perm);
        int outer = seg == 0 ? 0 : (int) (shape.size() / seg);
        Object d = t.hostData();
        Object vals = HostData.allocate(dataType, outer * k);
        long[] idx = new long[outer * k];
        boolean packed = Lanes.packs(dataType);
        // rows on the kernels' threads; ties keep the lower index first, so each row's result is
        // a function of the row alone (Double.compare's order: -0.0 below 0.0, NaN above all)
        Parallel.forEach(outer, 16L * seg, o -> {
            int base = o * seg;
            int[] order;
            if (packed) {
                int[] keys = new int[seg];
                for (int i = 0; i < seg; i++) {
                    keys[i] = Lanes.sortKey(d, dataType, offs == null ? base + i : offs[base + i], false);
                }
                order = SortKeys.first(keys, !largest, k);
            } else {
                double[] v = new double[seg];
                for (int i = 0; i < seg; i++) {
                    v[i] = HostData.getDouble(d, dataType, offs == null ? base + i : offs[base + i]);
                }
                Integer[] boxed = new Integer[seg];
                for (int i = 0; i < seg; i++) {
                    boxed[i] = i;
                }
                Arrays.sort(boxed, (x, y) -> {
                    int c = largest ? Double.compare(v[y], v[x]) : Double.compare(v[x], v[y]);
                    return c != 0 ? c : Integer.compare(x, y);
                });
                order = Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();
            }
            for (int j = 0; j < k; j++) {
                idx[o * k + j] = order[j];
                int at = offs == null ? base + order[j] : offs[base + order[j]];
                HostData.setDouble(vals, dataType, o * k + j, HostData.getDouble(d, dataType, at));
            }
        });
        long[] permDims = new long[rank];
        for (int i = 0; i < rank; i++) {
            permDims[i] = shape.get(perm[i]);
        }
        permDims[rank - 1] = k;
        int[] back = CpuShapes.inverse(perm);
        Tensor v = Tensor.host(new Shape(permDims), dataType, vals);
        Tensor ix = Tensor.host(new Shape(permDims), DataType.INT64, idx);
        return new Tensor[] {CpuShapes.transpose(v, back), CpuShapes.transpose(ix, back)};
    }

    /** {@inheritDoc} */
    @Override
    public Tensor softmax(Tensor t, int axisIn, boolean log) {
        Shape shape = t.getShape();
        DataType dataType = t.getDataType();
        int rank = shape.dimension();
        int axis = Strided.axis(axisIn, rank);
        int n = (int) shape.get(axis);
        DataType outType = HostData.isFloating(dataType) ? dataType : DataType.FLOAT32;
        if (axis == rank - 1 && dataType == DataType.FLOAT64) {
            double[] x = ((double[]) t.hostData()).clone();
            WideKernels.softmaxRows(x, n == 0 ? 0 : x.length / n, n, log);
            return Tensor.host(shape, outType, x);
        }
        if (axis == rank - 1) {
            // a converted copy is the op's own: the output goes there (no second array)
            float[] x = HostArrays.borrowFloats(t);
            float[] out = dataType == DataType.FLOAT32 ? HostArrays.floats(x.length) : x;
            RowKernels.softmax(Simd.ENABLED, x, out, n == 0 ? 0 : x.length / n, n, log);
            return HostArrays.wrap(shape, outType, HostArrays.store(out, outType));
        }
        long inner = 1;
        for (int d = axis + 1; d < rank; d++) {
            inner *= shape.get(d);
        }
        if (dataType != DataType.FLOAT64 && inner >= ColumnSoftmax.MIN_INNER && shape.size() > 0) {
            float[] x = HostArrays.borrowFloats(t);
            float[] out = dataType == DataType.FLOAT32 ? HostArrays.floats(x.length) : x;
            int outer = (int) (shape.size() / (n * inner));
            ColumnSoftmax.softmax(Simd.ENABLED, x, out, outer, n, (int) inner, log);
            return HostArrays.wrap(shape, outType, HostArrays.store(out, outType));
        }
        int[] perm = CpuShapes.moveLast(rank, axis);
        Tensor moved = CpuShapes.transpose(t, perm);
        Tensor sm = softmax(moved, rank - 1, log);
        // the copies are this op's own: closed, their arrays serve the next op
        moved.close();
        Tensor out = CpuShapes.transpose(sm, CpuShapes.inverse(perm));
        sm.close();
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor cumSum(Tensor a, int axisIn) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        int axis = Strided.axis(axisIn, rank);
        int[] perm = CpuShapes.moveLast(rank, axis);
        Tensor moved = axis == rank - 1 ? a : CpuShapes.transpose(a, perm);
        int n = (int) shape.get(axis);
        DataType t = a.getDataType();
        if (HalfConversions.handles(t) && n > 0) {
            // float32 and the 16-bit floats: the same chains on widened values, each sum rounded
            // to the type as it is stored
            float[] o = HostArrays.floats(moved.size32());
            float[] x = HostArrays.borrowFloats(moved);
            ReductionKernels.cumSum(x, o.length / n, n, o);
            HalfConversions.release(x, moved.borrowHostData());
            Tensor res = HostArrays.wrap(moved.getShape(), t, HostArrays.store(o, t));
            return axis == rank - 1 ? res : CpuShapes.transpose(res, CpuShapes.inverse(perm));
        }
        Object d = moved.borrowHostData();
        // PyTorch accumulates booleans and integers in int64
        DataType outType = HostData.isFloating(t) || t == DataType.INT64 ? t : DataType.INT64;
        Object out = HostData.allocate(outType, moved.size32());
        for (int r = 0; n > 0 && r < moved.size32() / n; r++) {
            double acc = 0;
            float facc = 0;
            long lacc = 0;
            for (int i = 0; i < n; i++) {
                int p = r * n + i;
                if (HostData.isFloating(t) && t != DataType.FLOAT64) {
                    facc += HostData.getFloat(d, t, p);
                    HostData.setFloat(out, t, p, facc);
                } else if (t == DataType.FLOAT64) {
                    acc += HostData.getDouble(d, t, p);
                    HostData.setDouble(out, t, p, acc);
                } else {
                    lacc += HostData.getLong(d, t, p);
                    HostData.setLong(out, outType, p, lacc);
                }
            }
        }
        Tensor res = Tensor.host(moved.getShape(), outType, out);
        return axis == rank - 1 ? res : CpuShapes.transpose(res, CpuShapes.inverse(perm));
    }

    private static double[] doubles(Tensor t) {
        if (t == null) {
            return null;
        }
        double[] d = new double[t.size32()];
        for (int i = 0; i < d.length; i++) {
            d[i] = HostData.getDouble(t.hostData(), t.getDataType(), i);
        }
        return d;
    }

    private static float[] floats(Tensor t) {
        return t == null ? null : HostData.toFloats(t.hostData(), t.getDataType(), t.size32());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor layerNorm(Tensor x, Shape normalizedShape, Tensor gamma, Tensor beta, float eps) {
        int n = (int) normalizedShape.size();
        Shape xs = x.getShape();
        if (n == 0 || xs.size() % n != 0 || !xs.slice(xs.dimension() - normalizedShape.dimension()).equals(normalizedShape)) {
            throw new IllegalArgumentException("layerNorm: normalizedShape " + normalizedShape + " is not the tail of " + xs);
        }
        int rows = (int) (xs.size() / n);
        if (x.getDataType() == DataType.FLOAT64) {
            double[] o = new double[rows * n];
            WideKernels.layerNormRows((double[]) x.hostData(), o, rows, n, doubles(gamma), doubles(beta), eps);
            return Tensor.host(xs, DataType.FLOAT64, o);
        }
        float[] xf = HostArrays.borrowFloats(x);
        // a converted copy is the op's own: the output overwrites it (the output pass reads each
        // element before writing it, and the sums are done by then)
        float[] out = x.getDataType() == DataType.FLOAT32 ? HostArrays.floats(rows * n) : xf;
        RowKernels.layerNorm(xf, out, rows, n, HostArrays.borrowFloats(gamma), HostArrays.borrowFloats(beta), eps);
        DataType t = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        return HostArrays.wrap(xs, t, HostArrays.fromFloats(out, t));
    }

    /**
     * {@inheritDoc}
     *
     * <p>In float32 (float64 for float64 input) with the rounding steps of the composed ops
     * {@code x / sqrt(mean(x * x) + eps) * weight}: each square rounded, the row's squares summed in
     * index order.
     */
    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Shape xs = x.getShape();
        int n = OpChecks.rmsNormFeatures(xs, weight);
        int rows = n == 0 ? 0 : (int) (xs.size() / n);
        if (x.getDataType() == DataType.FLOAT64) {
            double[] v = doubles(x);
            double[] w = weight == null ? null : doubles(weight);
            double[] o = new double[v.length];
            for (int r = 0; r < rows; r++) {
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    sq += v[r * n + i] * v[r * n + i];
                }
                double denom = Math.sqrt(sq / n + eps);
                for (int i = 0; i < n; i++) {
                    double y = v[r * n + i] / denom;
                    o[r * n + i] = w == null ? y : y * w[i];
                }
            }
            return Tensor.host(xs, DataType.FLOAT64, o);
        }
        float[] v = HostArrays.borrowFloats(x);
        float[] w = HostArrays.borrowFloats(weight);
        // a converted copy is the op's own: the output overwrites it in place
        float[] o = x.getDataType() == DataType.FLOAT32 ? HostArrays.floats(v.length) : v;
        RowKernels.rmsNorm(v, o, rows, n, w, eps);
        DataType t = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        return HostArrays.wrap(xs, t, HostArrays.fromFloats(o, t));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] addRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps) {
        OpChecks.sameShapeAndType(x, residual);
        Tensor sum = CpuElementwise.INSTANCE.binary(BinaryOp.ADD, x, residual);
        return new Tensor[] {sum, rmsNormThenScale(sum, weight, eps)};
    }

    /** {@inheritDoc} */
    @Override
    public Tensor rmsNormThenScale(Tensor x, Tensor weight, float eps) {
        DataType t = x.getDataType();
        if (weight == null || (t != DataType.FLOAT16 && t != DataType.BFLOAT16)) {
            return rmsNorm(x, weight, eps);
        }
        Shape xs = x.getShape();
        int n = OpChecks.rmsNormFeatures(xs, weight);
        int rows = n == 0 ? 0 : (int) (xs.size() / n);
        // x is float16 or bfloat16 here: its float copy is the op's own and takes the output
        float[] o = HostArrays.borrowFloats(x);
        RowKernels.rmsNorm(o, o, rows, n, null, eps);
        // the weight as x's type holds it, as the composed multiply would see it
        float[] w = HostArrays.borrowFloats(weight);
        for (int i = 0; i < o.length; i++) {
            o[i] = HostData.round(t, o[i]) * HostData.round(t, w[i % n]);
        }
        return HostArrays.wrap(xs, t, HostArrays.fromFloats(o, t));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma, Tensor beta, int axis,
            float eps) {
        Shape xs = x.getShape();
        int ax = Strided.axis(axis, xs.dimension());
        int c = (int) xs.get(ax);
        int inner = (int) xs.slice(ax + 1).size();
        if (x.getDataType() == DataType.FLOAT64) {
            return batchNorm64(x, runningMean, runningVar, gamma, beta, c, inner, eps);
        }
        float[] mean = floats(runningMean);
        float[] var = floats(runningVar);
        float[] g = floats(gamma);
        float[] b = floats(beta);
        float[] v = floats(x);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int ch = (i / inner) % c;
            float y = (v[i] - mean[ch]) / (float) Math.sqrt(var[ch] + eps);
            if (g != null) {
                y *= g[ch];
            }
            if (b != null) {
                y += b[ch];
            }
            out[i] = y;
        }
        DataType t = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        return Tensor.host(xs, t, HostData.fromFloats(out, t));
    }

    /** batchNorm of a float64 array, in double (eps widened from the float it is given as). */
    private static Tensor batchNorm64(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma, Tensor beta,
            int c, int inner, float eps) {
        double[] mean = doubles(runningMean);
        double[] var = doubles(runningVar);
        double[] g = doubles(gamma);
        double[] b = doubles(beta);
        double[] v = (double[]) x.hostData();
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            int ch = (i / inner) % c;
            double y = (v[i] - mean[ch]) / StrictMath.sqrt(var[ch] + eps);
            if (g != null) {
                y *= g[ch];
            }
            if (b != null) {
                y += b[ch];
            }
            out[i] = y;
        }
        return Tensor.host(x.getShape(), DataType.FLOAT64, out);
    }
}
