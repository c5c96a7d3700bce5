/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.ArrayMathOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Array math on host arrays. Running products and norms walk each lane (see {@link Lanes}) in index
 * order with a float64 accumulator, so every output depends on its own lane alone; the rest are
 * data movement. The matrix inverse lives in {@link CpuInverse}.
 */
public final class CpuArrayMath implements ArrayMathOps {

    /** The shared instance. */
    public static final CpuArrayMath INSTANCE = new CpuArrayMath();

    private CpuArrayMath() {}

    /** {@inheritDoc} */
    @Override
    public Tensor cumProd(Tensor a, int axis, DataType type) {
        DataType t = a.getDataType();
        DataType out = type != null ? type : HostData.isFloating(t) ? t : DataType.INT64;
        Lanes l = Lanes.of(a, new int[] {axis});
        Object src = l.moved.hostData();
        Object dst = HostData.allocate(out, l.rows * l.n);
        boolean floating = HostData.isFloating(out);
        for (int r = 0; r < l.rows; r++) {
            double acc = 1;
            long lacc = 1;
            for (int i = r * l.n; i < (r + 1) * l.n; i++) {
                if (floating) {
                    acc *= round(out, HostData.getDouble(src, t, i));
                    HostData.setDouble(dst, out, i, acc);
                } else {
                    lacc *= HostData.getLong(src, t, i);
                    HostData.setLong(dst, out, i, lacc);
                }
            }
        }
        return l.restore(out, dst);
    }

    /** A value rounded to a floating type (the cast a computation in that type starts with). */
    private static double round(DataType t, double v) {
        if (t == DataType.FLOAT64) {
            return v;
        }
        Object one = HostData.allocate(t, 1);
        HostData.setDouble(one, t, 0, v);
        return HostData.getDouble(one, t, 0);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor diff(Tensor a, int n, int axis) {
        if (a.getShape().dimension() == 0) {
            throw new IllegalArgumentException("diff needs an array of rank 1 or more");
        }
        if (n < 0) {
            throw new IllegalArgumentException("diff order " + n + " is negative");
        }
        DataType t = a.getDataType();
        Lanes l = Lanes.of(a, new int[] {axis});
        Object cur = l.moved.hostData();
        int len = l.n;
        for (int step = 0; step < n && len > 0; step++) {
            Object next = HostData.allocate(t, l.rows * (len - 1));
            for (int r = 0; r < l.rows; r++) {
                for (int i = 0; i < len - 1; i++) {
                    int p = r * len + i;
                    int q = r * (len - 1) + i;
                    if (t == DataType.BOOLEAN) {
                        HostData.setLong(next, t, q, HostData.getLong(cur, t, p + 1) != HostData.getLong(cur, t, p) ? 1 : 0);
                    } else if (HostData.isFloating(t)) {
                        HostData.setDouble(next, t, q, HostData.getDouble(cur, t, p + 1) - HostData.getDouble(cur, t, p));
                    } else {
                        HostData.setLong(next, t, q, HostData.getLong(cur, t, p + 1) - HostData.getLong(cur, t, p));
                    }
                }
            }
            cur = next;
            len--;
        }
        long[] dims = l.moved.getShape().getShape().clone();
        dims[dims.length - 1] = Math.max(0, l.n - n);
        Tensor moved = Tensor.host(new Shape(dims), t, cur);
        return CpuShapes.transpose(moved, CpuShapes.inverse(l.perm));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor diagonal(Tensor a, int offset, int axis1In, int axis2In) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        if (rank < 2) {
            throw new IllegalArgumentException("diagonal needs an array of rank 2 or more, got " + shape);
        }
        int a1 = Strided.axis(axis1In, rank);
        int a2 = Strided.axis(axis2In, rank);
        if (a1 == a2) {
            throw new IllegalArgumentException("diagonal axes must differ, got " + axis1In + " and " + axis2In);
        }
        long d1 = shape.get(a1);
        long d2 = shape.get(a2);
        long len = offset >= 0 ? Math.min(d1, d2 - offset) : Math.min(d1 + offset, d2);
        len = Math.max(0, len);
        long[] dims = new long[rank - 1];
        int[] srcStride = new int[rank - 1];
        int[] strides = Strided.strides(shape.getShape());
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (i != a1 && i != a2) {
                srcStride[k] = strides[i];
                dims[k++] = shape.get(i);
            }
        }
        dims[k] = len;
        srcStride[k] = strides[a1] + strides[a2];
        int base = offset >= 0 ? offset * strides[a2] : -offset * strides[a1];
        Shape out = new Shape(dims);
        int[] offs = Strided.offsets(out, srcStride, len == 0 ? 0 : base);
        return CpuShapes.gather(a, out, offs);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor norm(Tensor a, int ord, int[] axes, boolean keepDims) {
        DataType t = floating(a, "norm");
        Lanes l = Lanes.of(a, axes == null || axes.length == 0 ? null : axes);
        Object src = l.moved.hostData();
        Object dst = HostData.allocate(t, l.rows);
        for (int r = 0; r < l.rows; r++) {
            HostData.setDouble(dst, t, r, pNorm(src, t, r * l.n, l.n, ord));
        }
        Shape outShape = l.kept;
        if (keepDims) {
            long[] dims = a.getShape().getShape().clone();
            int[] reduced = axes == null || axes.length == 0 ? Lanes.range(dims.length) : Lanes.normalise(axes, dims.length);
            for (int ax : reduced) {
                if (dims.length > 0) {
                    dims[ax] = 1;
                }
            }
            outShape = new Shape(dims);
        }
        return Tensor.host(outShape, t, dst);
    }

    private static DataType floating(Tensor a, String op) {
        DataType t = a.getDataType();
        if (!HostData.isFloating(t)) {
            throw new IllegalArgumentException(op + " needs a floating-point array, got " + t);
        }
        return t;
    }

    /** The p-norm of one lane, accumulated in float64 in index order. */
    private static double pNorm(Object d, DataType t, int base, int n, double p) {
        double acc = 0;
        for (int i = base; i < base + n; i++) {
            double x = Math.abs(HostData.getDouble(d, t, i));
            if (p == 0) {
                acc += x != 0 ? 1 : 0;
            } else if (p == 1) {
                acc += x;
            } else if (p == 2) {
                acc += x * x;
            } else {
                acc += StrictMath.pow(x, p);
            }
        }
        if (p == 0 || p == 1) {
            return acc;
        }
        return p == 2 ? Math.sqrt(acc) : StrictMath.pow(acc, 1 / p);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor normalize(Tensor a, double p, int dim, double eps) {
        DataType t = floating(a, "normalize");
        Lanes l = Lanes.of(a, new int[] {dim});
        Object src = l.moved.hostData();
        Object dst = HostData.allocate(t, l.rows * l.n);
        for (int r = 0; r < l.rows; r++) {
            // PyTorch divides by the norm rounded to the array's type, clamped below by eps.
            double norm = Math.max(round(t, pNorm(src, t, r * l.n, l.n, p)), round(t, eps));
            for (int i = r * l.n; i < (r + 1) * l.n; i++) {
                HostData.setDouble(dst, t, i, HostData.getDouble(src, t, i) / norm);
            }
        }
        return l.restore(t, dst);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor pad(Tensor a, long[] padding, double value) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        if (padding.length % 2 != 0 || padding.length / 2 > rank) {
            throw new IllegalArgumentException("padding of length " + padding.length + " does not fit rank " + rank);
        }
        long[] dims = shape.getShape().clone();
        long[] before = new long[rank];
        for (int i = 0; i < padding.length / 2; i++) {
            int ax = rank - 1 - i;
            before[ax] = padding[2 * i];
            dims[ax] += padding[2 * i] + padding[2 * i + 1];
            if (dims[ax] < 0) {
                throw new IllegalArgumentException("padding " + java.util.Arrays.toString(padding) + " leaves axis " + ax + " negative");
            }
        }
        DataType t = a.getDataType();
        Shape out = new Shape(dims);
        int n = (int) out.size();
        Object dst = HostData.allocate(t, n);
        Object src = a.hostData();
        int[] srcStrides = Strided.strides(shape.getShape());
        int[] outStrides = Strided.strides(dims);
        for (int i = 0; i < n; i++) {
            int rem = i;
            int from = 0;
            for (int k = 0; k < rank && from >= 0; k++) {
                long c = rem / outStrides[k] - before[k];
                rem %= outStrides[k];
                from = c < 0 || c >= shape.get(k) ? -1 : from + (int) c * srcStrides[k];
            }
            if (from < 0) {
                HostData.setDouble(dst, t, i, value);
            } else if (HostData.isFloating(t)) {
                HostData.setDouble(dst, t, i, HostData.getDouble(src, t, from));
            } else {
                HostData.setLong(dst, t, i, HostData.getLong(src, t, from));
            }
        }
        return Tensor.host(out, t, dst);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor put(Tensor a, Tensor index, Tensor values) {
        if (index.size32() != values.size32()) {
            throw new IllegalArgumentException("put: " + index.size32() + " indices but " + values.size32() + " values");
        }
        Tensor out = copyOf(a);
        for (int i = 0; i < index.size32(); i++) {
            int to = CpuShapes.checkIndex(HostData.getLong(index.hostData(), index.getDataType(), i), a.size32(), "put index");
            set(out, to, values, i);
        }
        return out;
    }

    private static Tensor copyOf(Tensor a) {
        return CpuShapes.gather(a, a.getShape(), Lanes.range(a.size32()));
    }

    private static void set(Tensor dst, int to, Tensor src, int from) {
        DataType t = dst.getDataType();
        if (HostData.isFloating(t)) {
            HostData.setDouble(dst.hostData(), t, to, HostData.getDouble(src.hostData(), src.getDataType(), from));
        } else {
            HostData.setLong(dst.hostData(), t, to, HostData.getLong(src.hostData(), src.getDataType(), from));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor scatter(Tensor a, Tensor index, Tensor values, int axisIn) {
        Shape s = a.getShape();
        Shape is = index.getShape();
        Shape vs = values.getShape();
        int rank = s.dimension();
        int axis = Strided.axis(axisIn, rank);
        if (is.dimension() != rank || vs.dimension() != rank) {
            throw new IllegalArgumentException("scatter: index " + is + " and values " + vs + " must have the rank of " + s);
        }
        for (int k = 0; k < rank; k++) {
            if (is.get(k) > vs.get(k) || (k != axis && is.get(k) > s.get(k))) {
                throw new IllegalArgumentException("scatter: index " + is + " exceeds values " + vs + " or array " + s);
            }
        }
        Tensor out = copyOf(a);
        int[] st = Strided.strides(s.getShape());
        int[] vst = Strided.strides(vs.getShape());
        int[] ist = Strided.strides(is.getShape());
        for (int i = 0; i < index.size32(); i++) {
            int rem = i;
            int to = 0;
            int from = 0;
            for (int k = 0; k < rank; k++) {
                int c = rem / ist[k];
                rem %= ist[k];
                from += c * vst[k];
                if (k == axis) {
                    long v = HostData.getLong(index.hostData(), index.getDataType(), i);
                    if (v < 0 || v >= s.get(k)) {
                        throw new IllegalArgumentException("scatter index " + v + " is out of range [0, " + s.get(k) + ")");
                    }
                    c = (int) v;
                }
                to += c * st[k];
            }
            set(out, to, values, from);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor inverse(Tensor a) {
        DataType t = floating(a, "inverse");
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64) {
            // as libtorch: the half types lack the precision an inverse needs
            throw new IllegalArgumentException("inverse needs float32 or float64, got " + t);
        }
        return CpuInverse.inverse(a);
    }
}
