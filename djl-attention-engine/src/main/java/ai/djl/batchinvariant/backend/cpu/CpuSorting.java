/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.SortOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Order statistics on host arrays. Each lane is sorted on its own with a stable sort (see {@link
 * Lanes#order}); medians and percentiles read the sorted lane, so no result depends on any other
 * lane or on how many lanes share the call.
 */
public final class CpuSorting implements SortOps {

    /** The shared instance. */
    public static final CpuSorting INSTANCE = new CpuSorting();

    private CpuSorting() {}

    /** {@inheritDoc} */
    @Override
    public Tensor sort(Tensor a, int axis, boolean ascending, boolean indices) {
        Lanes l = Lanes.of(a, new int[] {axis});
        DataType t = a.getDataType();
        DataType outType = indices ? DataType.INT64 : t;
        Object src = l.moved.hostData();
        Object out = HostData.allocate(outType, l.rows * l.n);
        if (l.n > 0) {
            // lanes on the kernels' threads: each sorted alone, into its own part of the output
            Parallel.forEach(l.rows, 16L * l.n, r -> {
                int base = r * l.n;
                int[] idx = Lanes.order(src, t, base, l.n, ascending);
                for (int i = 0; i < l.n; i++) {
                    if (indices) {
                        ((long[]) out)[base + i] = idx[i];
                    } else {
                        copy(src, t, base + idx[i], out, base + i);
                    }
                }
            });
        }
        return l.restore(outType, out);
    }

    private static void copy(Object src, DataType t, int from, Object dst, int to) {
        if (HostData.isFloating(t)) {
            HostData.setDouble(dst, t, to, HostData.getDouble(src, t, from));
        } else {
            HostData.setLong(dst, t, to, HostData.getLong(src, t, from));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor median(Tensor a, int[] axes) {
        Lanes l = Lanes.of(a, axes);
        DataType t = a.getDataType();
        if (l.n == 0) {
            throw new IllegalArgumentException("median of an empty axis of " + a.getShape());
        }
        Object src = l.moved.hostData();
        Object out = HostData.allocate(t, l.rows);
        for (int r = 0; r < l.rows; r++) {
            int base = r * l.n;
            int[] idx = Lanes.order(src, t, base, l.n, true);
            int last = base + idx[l.n - 1];
            if (HostData.isFloating(t) && Double.isNaN(HostData.getDouble(src, t, last))) {
                HostData.setDouble(out, t, r, Double.NaN);
            } else {
                copy(src, t, base + idx[(l.n - 1) / 2], out, r);
            }
        }
        return Tensor.host(l.kept, t, out);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor percentile(Tensor a, double q, int[] axes) {
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile " + q + " is outside [0, 100]");
        }
        DataType t = a.getDataType();
        if (!HostData.isFloating(t)) {
            throw new IllegalArgumentException("percentile needs a floating-point array, got " + t);
        }
        Lanes l = Lanes.of(a, axes);
        DataType outType = t;
        if (a.size32() == 0) {
            throw new IllegalArgumentException("percentile of an empty array " + a.getShape());
        }
        Object src = l.moved.hostData();
        Object out = HostData.allocate(outType, l.rows);
        for (int r = 0; r < l.rows; r++) {
            int base = r * l.n;
            int[] idx = Lanes.order(src, t, base, l.n, true);
            double last = HostData.getDouble(src, t, base + idx[l.n - 1]);
            double v = Double.isNaN(last) ? Double.NaN : quantile(src, t, base, idx, q / 100);
            HostData.setDouble(out, outType, r, v);
        }
        return Tensor.host(l.kept, outType, out);
    }

    /**
     * Linear interpolation between the two nearest ranks, written as PyTorch's quantile does it
     * (lerp from the nearer end), in float64 for float64 and in float32 otherwise, so results
     * agree to the last bit.
     */
    private static double quantile(Object src, DataType t, int base, int[] idx, double q) {
        int n = idx.length;
        if (t == DataType.FLOAT64) {
            double rank = q * (n - 1);
            int lo = (int) Math.floor(rank);
            int hi = (int) Math.ceil(rank);
            double w = rank - lo;
            double a = HostData.getDouble(src, t, base + idx[lo]);
            double b = HostData.getDouble(src, t, base + idx[hi]);
            return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
        }
        float rank = (float) q * (n - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        float w = rank - lo;
        float a = HostData.getFloat(src, t, base + idx[lo]);
        float b = HostData.getFloat(src, t, base + idx[hi]);
        return w < 0.5f ? a + w * (b - a) : b - (b - a) * (1 - w);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] unique(Tensor a, Integer dim, boolean inverse, boolean counts) {
        DataType t = a.getDataType();
        Shape shape = a.getShape();
        int rank = shape.dimension();
        int axis = dim == null ? -1 : Strided.axis(dim, rank);
        // Slices along the axis, each a contiguous run of `width` elements after moving it first.
        Tensor front = a;
        int slices = a.size32();
        int width = 1;
        int[] perm = null;
        if (axis >= 0 && rank > 0) {
            for (int k = 0; k < rank; k++) {
                if (k != axis && shape.get(k) == 0) {
                    throw new IllegalArgumentException("unique: axis " + k + " of " + shape + " is empty and not the one compared");
                }
            }
            perm = frontPerm(rank, axis);
            front = CpuShapes.transpose(a, perm);
            slices = (int) shape.get(axis);
            width = slices == 0 ? 0 : a.size32() / slices;
        }
        Object d = front.hostData();
        int w = width;
        Integer[] idx = new Integer[slices];
        for (int i = 0; i < slices; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> compareSlices(d, t, p * w, q * w, w));
        List<Integer> firsts = new ArrayList<>();
        long[] inv = new long[slices];
        List<Long> cnt = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
            if (i == 0 || compareSlices(d, t, idx[i - 1] * w, idx[i] * w, w) != 0 || hasNaN(d, t, idx[i] * w, w)) {
                firsts.add(idx[i]);
                cnt.add(0L);
            }
            inv[idx[i]] = firsts.size() - 1;
            cnt.set(cnt.size() - 1, cnt.get(cnt.size() - 1) + 1);
        }
        int k = firsts.size();
        Object vals = HostData.allocate(t, k * w);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < w; j++) {
                copy(d, t, firsts.get(i) * w + j, vals, i * w + j);
            }
        }
        Tensor values;
        if (perm == null) {
            values = Tensor.host(new Shape(k), t, vals);
        } else {
            long[] dims = front.getShape().getShape().clone();
            dims[0] = k;
            values = CpuShapes.transpose(Tensor.host(new Shape(dims), t, vals), CpuShapes.inverse(perm));
        }
        Shape invShape = perm == null ? shape : new Shape(slices);
        Tensor inverseT = inverse ? Tensor.host(invShape, DataType.INT64, inv)
                : Tensor.host(new Shape(0), DataType.INT64, new long[0]);
        Tensor countsT = counts ? Tensor.host(new Shape(k), DataType.INT64, cnt.stream().mapToLong(Long::longValue).toArray())
                : Tensor.host(new Shape(0), DataType.INT64, new long[0]);
        return new Tensor[] {values, inverseT, countsT};
    }

    private static int[] frontPerm(int rank, int axis) {
        int[] p = new int[rank];
        p[0] = axis;
        int k = 1;
        for (int i = 0; i < rank; i++) {
            if (i != axis) {
                p[k++] = i;
            }
        }
        return p;
    }

    private static int compareSlices(Object d, DataType t, int p, int q, int w) {
        for (int j = 0; j < w; j++) {
            int c = Lanes.compare(d, t, p + j, q + j);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** NaN equals nothing, so a slice holding one is always distinct (as in PyTorch). */
    private static boolean hasNaN(Object d, DataType t, int p, int w) {
        if (!HostData.isFloating(t)) {
            return false;
        }
        for (int j = 0; j < w; j++) {
            if (Double.isNaN(HostData.getDouble(d, t, p + j))) {
                return true;
            }
        }
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor nonzero(Tensor a) {
        Shape shape = a.getShape();
        int rank = Math.max(shape.dimension(), 1);
        long[] dims = shape.dimension() == 0 ? new long[] {1} : shape.getShape();
        int[] strides = Strided.strides(dims);
        Object d = a.hostData();
        DataType t = a.getDataType();
        int n = a.size32();
        List<Integer> hits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (HostData.getDouble(d, t, i) != 0) {
                hits.add(i);
            }
        }
        long[] out = new long[hits.size() * rank];
        for (int h = 0; h < hits.size(); h++) {
            int rem = hits.get(h);
            for (int k = 0; k < rank; k++) {
                out[h * rank + k] = rem / strides[k];
                rem %= strides[k];
            }
        }
        return Tensor.host(new Shape(hits.size(), rank), DataType.INT64, out);
    }
}
