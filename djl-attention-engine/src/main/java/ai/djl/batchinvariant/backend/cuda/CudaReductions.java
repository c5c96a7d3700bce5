/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Norm;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Reduce;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * Reductions, arg-extremes, softmax and row normalisations on a GPU (reduce.cu, norm.cu). An
 * input is seen as [outer][n][inner]: when the reduced axes are the array's last ones (inner is
 * 1 by position, whatever the sizes) a warp or block reduces each output in a fixed tree chosen
 * by n; otherwise one thread walks each output's elements in index order. Reduced axes that are
 * not adjacent are reduced group by group, innermost first. Softmax and the norms of float32,
 * float16 and bfloat16 rows up to {@link RowVariants#MAX_ROW} elements run the single-pass kernel
 * of the row length's {@link RowVariants variant}.
 */
final class CudaReductions implements ReductionOps {

    static final CudaReductions INSTANCE = new CudaReductions();

    /** Threads per block of every reduction kernel. */
    private static final int THREADS = 256;
    /** Longest row one warp reduces (reduce.cu's ROW_WARP_MAX, norm.cu's NORM_WARP_MAX). */
    private static final int ROW_WARP_MAX = 1024;

    private CudaReductions() {}

    /** The kernel variant of a storage type (booleans are bytes). */
    private static DataType variant(DataType t) {
        return t == DataType.BOOLEAN ? DataType.UINT8 : t;
    }

    /** One launch of the reduce family over [outer][n][inner]. */
    private static void launch(Tensor in, DeviceMemory out, long outer, long n, long inner, int kind, boolean rows) {
        if (outer * inner == 0) {
            return;
        }
        CudaDevice device = CudaBackend.device(in);
        // the group that reduces a row follows n alone: a warp, a block of 256, a block of 1024
        boolean longRows = rows && n > Abi.REDUCE_ROW_BLOCK_MAX;
        CUfunction f = device.function(Abi.MODULE_REDUCE, longRows ? Abi.reduceLongRowsKernel(variant(in.getDataType()))
                : Abi.reduceKernel(variant(in.getDataType()), rows), 0);
        device.await(device.getStream(), CudaBackend.memory(in));
        long blocks = rows ? (n <= ROW_WARP_MAX ? (outer + THREADS / 32 - 1) / (THREADS / 32) : outer)
                : (outer * inner + THREADS - 1) / THREADS;
        int threads = longRows ? Abi.REDUCE_LONG_THREADS : THREADS;
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("reduction of " + in.getShape() + " needs too many blocks");
        }
        check(JCudaDriver.cuLaunchKernel(f, (int) blocks, 1, 1, threads, 1, 1, 0, device.getStream(),
                Abi.REDUCE.newParams()
                        .ptr(Reduce.IN, CudaBackend.memory(in).getPointer())
                        .ptr(Reduce.OUT, out.getPointer())
                        .i64(Reduce.OUTER, outer)
                        .i64(Reduce.N, n)
                        .i64(Reduce.INNER, inner)
                        .i32(Reduce.KIND, kind)
                        .toKernelParams(), null),
                "cuLaunchKernel(reduce kind " + kind + " of " + in.getShape() + ")");
    }

    private static long prod(Shape s, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= s.get(i);
        }
        return p;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor reduce(ReduceOp kind, Tensor t, int[] axesIn, boolean keepDims) {
        Shape shape = t.getShape();
        int rank = shape.dimension();
        int[] axes = axes(axesIn, rank);
        DataType type = t.getDataType();
        long outN = 1;
        for (int i = 0; i < rank; i++) {
            if (Arrays.binarySearch(axes, i) < 0) {
                outN *= shape.get(i);
            }
        }
        OpChecks.reduction(kind, type, shape, axes, outN, axesIn == null);
        if (axes.length == 0) {
            // a rank-0 array (or no axes): one element per output
            return single(kind, t);
        }
        // innermost run of adjacent reduced axes first; the rest by further passes
        int end = axes.length - 1;
        int start = end;
        while (start > 0 && axes[start - 1] == axes[start] - 1) {
            start--;
        }
        int[] remaining = Arrays.copyOf(axes, start);
        int first = axes[start];
        int last = axes[end];
        long outer = prod(shape, 0, first);
        long n = prod(shape, first, last + 1);
        long inner = prod(shape, last + 1, rank);
        DataType outType = !HostData.isFloating(type) && (kind == ReduceOp.SUM || kind == ReduceOp.PROD) ? DataType.INT64 : type;
        DeviceMemory out = Launch.memory(CudaBackend.device(t), outer * inner * outType.getNumOfBytes());
        launch(t, out, outer, n, inner, kind.ordinal(), last == rank - 1);
        long[] keptDims = shape.getShape().clone();
        for (int a = first; a <= last; a++) {
            keptDims[a] = 1;
        }
        Tensor partial = Tensor.device(new Shape(keptDims), outType, out);
        Tensor result = partial;
        if (remaining.length > 0) {
            // MEAN of means over equal-sized groups is the mean; the other kinds compose directly
            result = reduce(kind, partial, remaining, true);
            partial.close();
        }
        if (keepDims) {
            return result;
        }
        Tensor squeezed = result.view(squeeze(shape, axes));
        result.close();
        return squeezed;
    }

    /** A reduction over no axis or of a rank-0 array: each element reduced alone. */
    private Tensor single(ReduceOp kind, Tensor t) {
        Shape shape = t.getShape();
        DataType type = t.getDataType();
        DataType outType = !HostData.isFloating(type) && (kind == ReduceOp.SUM || kind == ReduceOp.PROD) ? DataType.INT64 : type;
        DeviceMemory out = Launch.memory(CudaBackend.device(t), shape.size() * outType.getNumOfBytes());
        launch(t, out, shape.size(), 1, 1, kind.ordinal(), true);
        return Tensor.device(shape, outType, out);
    }

    private static int[] axes(int[] axesIn, int rank) {
        int[] axes;
        if (axesIn == null) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
            return axes;
        }
        axes = new int[axesIn.length];
        for (int i = 0; i < axesIn.length; i++) {
            if (rank == 0 && (axesIn[i] == 0 || axesIn[i] == -1)) {
                return new int[0];
            }
            axes[i] = Strided.axis(axesIn[i], rank);
        }
        axes = Arrays.stream(axes).distinct().sorted().toArray();
        if (axes.length != axesIn.length) {
            throw new IllegalArgumentException("axes " + Arrays.toString(axesIn) + " repeat an axis");
        }
        return axes;
    }

    private static Shape squeeze(Shape shape, int[] axes) {
        long[] dims = new long[shape.dimension() - axes.length];
        int k = 0;
        for (int i = 0; i < shape.dimension(); i++) {
            if (Arrays.binarySearch(axes, i) < 0) {
                dims[k++] = shape.get(i);
            }
        }
        return new Shape(dims);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor argExtreme(Tensor t, Integer axisIn, boolean max) {
        Shape shape = t.getShape();
        int kind = max ? 5 : 6;
        if (axisIn == null) {
            if (shape.size() == 0) {
                throw new IllegalArgumentException("cannot take argMax/argMin over an empty axis of " + shape);
            }
            DeviceMemory out = Launch.memory(CudaBackend.device(t), 8);
            launch(t, out, 1, shape.size(), 1, kind, true);
            return Tensor.device(new Shape(), DataType.INT64, out);
        }
        Shape src = shape.dimension() == 0 ? new Shape(1) : shape;
        int axis = Strided.axis(axisIn, src.dimension());
        long n = src.get(axis);
        if (n == 0) {
            throw new IllegalArgumentException("cannot take argMax/argMin over an empty axis of " + shape);
        }
        long outer = prod(src, 0, axis);
        long inner = prod(src, axis + 1, src.dimension());
        DeviceMemory out = Launch.memory(CudaBackend.device(t), outer * inner * 8);
        launch(t, out, outer, n, inner, kind, axis == src.dimension() - 1);
        return Tensor.device(shape.dimension() == 0 ? new Shape() : squeeze(src, new int[] {axis}), DataType.INT64, out);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor softmax(Tensor t, int axisIn, boolean log) {
        Shape shape = t.getShape();
        if (!HostData.isFloating(t.getDataType())) {
            Tensor f = CudaBackend.INSTANCE.shapes().toType(t, DataType.FLOAT32);
            try {
                return softmax(f, axisIn, log);
            } finally {
                f.close();
            }
        }
        Shape src = shape.dimension() == 0 ? new Shape(1) : shape;
        int axis = Strided.axis(axisIn, src.dimension());
        long outer = prod(src, 0, axis);
        long inner = prod(src, axis + 1, src.dimension());
        DeviceMemory out = Launch.memory(CudaBackend.device(t), shape.size() * t.getDataType().getNumOfBytes());
        boolean last = axis == src.dimension() - 1;
        int maxRow = last ? RowVariants.maxRow(t.getDataType(), src.get(axis)) : 0;
        if (maxRow > 0 && outer > 0) {
            softmaxRows(t, out, outer, (int) src.get(axis), maxRow, log);
        } else {
            launch(t, out, outer, src.get(axis), inner, log ? 8 : 7, last);
        }
        return Tensor.device(shape, t.getDataType(), out);
    }

    /** Softmax of rows of n elements by the single-pass kernel of variant maxRow (RowVariants). */
    private static void softmaxRows(Tensor in, DeviceMemory out, long rows, int n, int maxRow, boolean log) {
        CudaDevice device = CudaBackend.device(in);
        DataType type = in.getDataType();
        int group = RowVariants.groupThreads(type, maxRow);
        CUfunction f = device.function(Abi.MODULE_REDUCE, Abi.softmaxRowsKernel(type, maxRow, log), 0);
        device.await(device.getStream(), CudaBackend.memory(in));
        int blocks = RowVariants.blocks(rows, group);
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, RowVariants.blockThreads(group), 1, 1, 0, device.getStream(),
                Abi.REDUCE.newParams()
                        .ptr(Reduce.IN, CudaBackend.memory(in).getPointer())
                        .ptr(Reduce.OUT, out.getPointer())
                        .i64(Reduce.OUTER, rows)
                        .i64(Reduce.N, n)
                        .i64(Reduce.INNER, 1)
                        .i32(Reduce.KIND, log ? 8 : 7)
                        .toKernelParams(), null),
                "cuLaunchKernel(" + (log ? "logSoftmax " : "softmax ") + in.getShape() + ")");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor layerNorm(Tensor x, Shape normalizedShape, Tensor gamma, Tensor beta, float eps) {
        int n = (int) normalizedShape.size();
        Shape xs = x.getShape();
        if (n == 0 || xs.size() % n != 0 || !xs.slice(xs.dimension() - normalizedShape.dimension()).equals(normalizedShape)) {
            throw new IllegalArgumentException("layerNorm: normalizedShape " + normalizedShape + " is not the tail of " + xs);
        }
        return norm(x, gamma, beta, eps, false, n, false, null, null);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Shape xs = x.getShape();
        int n = OpChecks.rmsNormFeatures(xs, weight);
        return norm(x, weight, null, eps, true, n, false, null, null);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor rmsNormThenScale(Tensor x, Tensor weight, float eps) {
        Shape xs = x.getShape();
        int n = OpChecks.rmsNormFeatures(xs, weight);
        return norm(x, weight, null, eps, true, n, weight != null, null, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One kernel where the row length has a single-pass variant (the sum stored as the add
     * kernel stores it, then normalised from registers); the add and the norm otherwise.
     */
    @Override
    public Tensor[] addRmsNorm(Tensor x, Tensor residual, Tensor weight, float eps) {
        OpChecks.sameShapeAndType(x, residual);
        int n = OpChecks.rmsNormFeatures(x.getShape(), weight);
        DataType type = x.getDataType();
        boolean half = type == DataType.FLOAT16 || type == DataType.BFLOAT16;
        if (!HostData.isFloating(type) || type == DataType.FLOAT64 || RowVariants.maxRow(type, n) == 0
                || !residual.getDevice().equals(x.getDevice())) {
            Tensor sum = CudaBackend.INSTANCE.elementwise().binary(BinaryOp.ADD, x, residual);
            return new Tensor[] {sum, rmsNormThenScale(sum, weight, eps)};
        }
        CudaDevice device = CudaBackend.device(x);
        DeviceMemory sum = Launch.memory(device, x.getShape().size() * type.getNumOfBytes());
        try {
            Tensor y = norm(x, weight, null, eps, true, n, half && weight != null, residual, sum);
            return new Tensor[] {Tensor.device(x.getShape(), type, sum), y};
        } catch (RuntimeException | Error e) {
            sum.release();
            throw e;
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor batchNorm(Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, int axis, float eps) {
        Shape xs = x.getShape();
        int ax = Strided.axis(axis, xs.dimension());
        int c = (int) xs.get(ax);
        long inner = xs.slice(ax + 1).size();
        DataType type = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        // statistics in the arithmetic type: float32, or float64 for float64 input
        DataType stat = type == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
        Tensor[] given = {x, mean, var, gamma, beta};
        Tensor[] conv = new Tensor[given.length];
        try {
            for (int i = 0; i < given.length; i++) {
                DataType want = i == 0 ? type : stat;
                conv[i] = given[i] == null || given[i].getDataType() == want ? given[i]
                        : CudaBackend.INSTANCE.shapes().toType(given[i], want);
            }
            for (int i = 1; i < conv.length; i++) {
                if (conv[i] != null && conv[i].getShape().size() != c) {
                    throw new IllegalArgumentException("batchNorm: " + new String[] {"", "running mean", "running variance",
                        "gamma", "beta"}[i] + " " + conv[i].getShape() + " does not match " + c + " channels on axis "
                            + axis + " of " + xs);
                }
            }
            CudaDevice device = CudaBackend.device(x);
            long total = xs.size();
            DeviceMemory out = Launch.memory(device, total * type.getNumOfBytes());
            if (total > 0) {
                device.await(device.getStream(), memories(conv));
                CUfunction f = device.function(Abi.MODULE_NORM, Abi.batchNormKernel(type), 0);
                check(JCudaDriver.cuLaunchKernel(f, (int) Math.min(65535, (total + THREADS - 1) / THREADS), 1, 1, THREADS,
                        1, 1, 0, device.getStream(), Abi.NORM.newParams()
                                .ptr(Norm.X, CudaBackend.memory(conv[0]).getPointer())
                                .ptr(Norm.MEAN, CudaBackend.memory(conv[1]).getPointer())
                                .ptr(Norm.VAR, CudaBackend.memory(conv[2]).getPointer())
                                .ptr(Norm.GAMMA, conv[3] == null ? null : CudaBackend.memory(conv[3]).getPointer())
                                .ptr(Norm.BETA, conv[4] == null ? null : CudaBackend.memory(conv[4]).getPointer())
                                .ptr(Norm.Y, out.getPointer())
                                .i64(Norm.ROWS, total)
                                .i64(Norm.INNER, Math.max(1, inner))
                                .i32(Norm.CHANNELS, Math.max(1, c))
                                .f32(Norm.EPS, eps)
                                .toKernelParams(), null),
                        "cuLaunchKernel(batchNorm " + xs + ")");
            }
            return Tensor.device(xs, type, out);
        } finally {
            for (int i = 0; i < given.length; i++) {
                if (conv[i] != null && conv[i] != given[i]) {
                    conv[i].close();
                }
            }
        }
    }

    private static DeviceMemory[] memories(Tensor[] ts) {
        DeviceMemory[] m = new DeviceMemory[ts.length];
        for (int i = 0; i < ts.length; i++) {
            m[i] = ts[i] == null ? null : CudaBackend.memory(ts[i]);
        }
        return m;
    }

    /**
     * One launch of the norm family; with a residual (a single-pass variant of n must exist) the
     * row normalised is x + residual, stored in {@code sum}.
     */
    private Tensor norm(Tensor x, Tensor gamma, Tensor beta, float eps, boolean rms, int n, boolean roundFirst,
            Tensor residual, DeviceMemory sum) {
        DataType type = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        if (!HostData.isFloating(x.getDataType())) {
            Tensor f = CudaBackend.INSTANCE.shapes().toType(x, type);
            try {
                return norm(f, gamma, beta, eps, rms, n, roundFirst, residual, sum);
            } finally {
                f.close();
            }
        }
        Tensor g = gamma == null || gamma.getDataType() == type ? gamma : CudaBackend.INSTANCE.shapes().toType(gamma, type);
        Tensor b = beta == null || beta.getDataType() == type ? beta : CudaBackend.INSTANCE.shapes().toType(beta, type);
        try {
            CudaDevice device = CudaBackend.device(x);
            long rows = n == 0 ? 0 : x.getShape().size() / n;
            DeviceMemory out = Launch.memory(device, x.getShape().size() * type.getNumOfBytes());
            if (rows > 0) {
                for (Tensor a : new Tensor[] {g, b}) {
                    if (a != null && !a.getDevice().equals(x.getDevice())) {
                        throw new IllegalArgumentException("norm: weights on " + a.getDevice() + ", input on "
                                + x.getDevice());
                    }
                }
                device.await(device.getStream(), CudaBackend.memory(x), g == null ? null : CudaBackend.memory(g),
                        b == null ? null : CudaBackend.memory(b), residual == null ? null : CudaBackend.memory(residual));
                // the single-pass kernel of the row length's variant, else the multi-pass one
                int maxRow = RowVariants.maxRow(type, n);
                int group = maxRow > 0 ? RowVariants.groupThreads(type, maxRow) : 0;
                CUfunction f = device.function(Abi.MODULE_NORM, maxRow > 0 ? Abi.normRowsKernel(type, maxRow, rms)
                        : Abi.normKernel(type), 0);
                long blocks = maxRow > 0 ? RowVariants.blocks(rows, group)
                        : n <= ROW_WARP_MAX ? (rows + THREADS / 32 - 1) / (THREADS / 32) : rows;
                int threads = maxRow > 0 ? RowVariants.blockThreads(group) : THREADS;
                check(JCudaDriver.cuLaunchKernel(f, (int) blocks, 1, 1, threads, 1, 1, 0, device.getStream(),
                        Abi.NORM.newParams()
                                .ptr(Norm.X, CudaBackend.memory(x).getPointer())
                                .ptr(Norm.GAMMA, g == null ? null : CudaBackend.memory(g).getPointer())
                                .ptr(Norm.BETA, b == null ? null : CudaBackend.memory(b).getPointer())
                                .ptr(Norm.Y, out.getPointer())
                                .i64(Norm.ROWS, rows)
                                .i32(Norm.N, n)
                                .i32(Norm.RMS, rms ? 1 : 0)
                                .f32(Norm.EPS, eps)
                                .i32(Norm.ROUND_FIRST, roundFirst ? 1 : 0)
                                .ptr(Norm.RESIDUAL, residual == null ? null : CudaBackend.memory(residual).getPointer())
                                .ptr(Norm.SUM_OUT, sum == null ? null : sum.getPointer())
                                .toKernelParams(), null),
                        "cuLaunchKernel(" + (rms ? "rmsNorm " : "layerNorm ") + x.getShape() + ")");
            }
            return Tensor.device(x.getShape(), type, out);
        } finally {
            if (g != gamma) {
                g.close();
            }
            if (b != beta) {
                b.close();
            }
        }
    }
}
