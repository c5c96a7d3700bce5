/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/** Gathers, slices and slice assignment on host arrays: source offsets first, then one copy. */
public final class CpuIndexing implements IndexingOps {

    /** The shared instance. */
    public static final CpuIndexing INSTANCE = new CpuIndexing();

    private CpuIndexing() {}

    private static long index(Tensor idx, int i) {
        return HostData.getLong(idx.hostData(), idx.getDataType(), i);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor gather(Tensor a, Tensor idx, int axisIn) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        int axis = Strided.axis(axisIn, rank);
        Shape out = idx.getShape();
        int[] st = Strided.strides(shape.getShape());
        int[] ost = Strided.strides(out.getShape());
        int n = (int) out.size();
        int[] offs = new int[n];
        for (int i = 0; i < n; i++) {
            int rem = i;
            int off = 0;
            for (int d = 0; d < rank; d++) {
                int c = rem / ost[d];
                rem %= ost[d];
                if (d == axis) {
                    c = CpuShapes.checkIndex(index(idx, i), shape.get(axis), "index");
                }
                off += c * st[d];
            }
            offs[i] = off;
        }
        return CpuShapes.gather(a, out, offs);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor gatherNd(Tensor a, Tensor idx) {
        Shape shape = a.getShape();
        int m = (int) idx.getShape().get(0);
        if (m > shape.dimension()) {
            throw new IllegalArgumentException(
                    "gatherNd index shape " + idx.getShape() + " indexes more axes than " + shape + " has");
        }
        Shape y = idx.getShape().slice(1);
        Shape rest = shape.slice(m);
        int ny = (int) y.size();
        int inner = (int) rest.size();
        int[] st = Strided.strides(shape.getShape());
        int[] offs = new int[ny * inner];
        for (int j = 0; j < ny; j++) {
            int base = 0;
            for (int d = 0; d < m; d++) {
                base += CpuShapes.checkIndex(index(idx, d * ny + j), shape.get(d), "index") * st[d];
            }
            for (int r = 0; r < inner; r++) {
                offs[j * inner + r] = base + r;
            }
        }
        return CpuShapes.gather(a, y.addAll(rest), offs);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor take(Tensor a, Tensor idx) {
        int n = a.size32();
        int[] offs = new int[idx.size32()];
        for (int i = 0; i < offs.length; i++) {
            offs[i] = CpuShapes.checkIndex(index(idx, i), n, "index");
        }
        return CpuShapes.gather(a, idx.getShape(), offs);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor takeAlong(Tensor a, Tensor idx, int axis) {
        Shape s = a.getShape();
        Shape outer = s.slice(0, axis);
        Shape inner = s.slice(axis + 1);
        Shape out = outer.addAll(idx.getShape()).addAll(inner);
        int no = (int) outer.size();
        int ni = (int) inner.size();
        int nk = (int) idx.getShape().size();
        long len = s.get(axis);
        // every index checked before anything is copied; with no outer rows none is read, and
        // none is checked (the CUDA plan does the same)
        int[] rows = new int[nk];
        for (int k = 0; no > 0 && k < nk; k++) {
            rows[k] = CpuShapes.checkIndex(index(idx, k), len, "index");
        }
        int[] starts = new int[no * nk];
        for (int o = 0; o < no; o++) {
            for (int k = 0; k < nk; k++) {
                starts[o * nk + k] = (int) ((o * len + rows[k]) * ni);
            }
        }
        return CpuShapes.gatherBlocks(a, out, starts, ni);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor booleanMask(Tensor a, Tensor mask, int axisIn) {
        Shape shape = a.getShape();
        int axis = Strided.axis(axisIn, shape.dimension());
        int mr = OpChecks.maskRank(shape, mask.getShape(), axis);
        int inner = (int) shape.slice(mr).size();
        int[] rows = selected(mask);
        for (int r = 0; r < rows.length; r++) {
            rows[r] *= inner;
        }
        return CpuShapes.gatherBlocks(a, new Shape(rows.length).addAll(shape.slice(mr)), rows, inner);
    }

    /**
     * The positions of a mask's nonzero elements in order: a boolean mask's bytes read directly
     * (with a boxed list and an accessor per element, booleanMask by a mask of 4 million took
     * 136 ms).
     */
    private static int[] selected(Tensor mask) {
        int n = mask.size32();
        int[] rows = new int[n];
        int count = 0;
        if (mask.getDataType() == DataType.BOOLEAN) {
            byte[] m = (byte[]) mask.borrowHostData();
            for (int i = 0; i < n; i++) {
                // branch-free: the position is written, the count moves on only where set
                rows[count] = i;
                count += (m[i] | -m[i]) >>> 31;
            }
        } else {
            for (int i = 0; i < n; i++) {
                if (index(mask, i) != 0) {
                    rows[count++] = i;
                }
            }
        }
        return Arrays.copyOf(rows, count);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor oneHot(Tensor a, int depth, float onValue, float offValue, DataType type) {
        int n = a.size32();
        if (type == DataType.FLOAT32) {
            // rows filled on the threads (through an accessor per element: 8.3 ms for 4096 x 1000)
            float[] o = HostArrays.floats(n * depth);
            Parallel.forEach(n, depth, i -> {
                Arrays.fill(o, i * depth, (i + 1) * depth, offValue);
                long c = index(a, i);
                if (c >= 0 && c < depth) {
                    o[i * depth + (int) c] = onValue;
                }
            });
            return HostArrays.wrap(a.getShape().add(depth), type, o);
        }
        Object out = HostData.allocate(type, n * depth);
        for (int i = 0; i < n; i++) {
            long c = index(a, i);
            for (int j = 0; j < depth; j++) {
                HostData.setDouble(out, type, i * depth + j, j == c ? onValue : offValue);
            }
        }
        return Tensor.host(a.getShape().add(depth), type, out);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor sequenceMask(Tensor a, Tensor len, float value) {
        Shape shape = a.getShape();
        DataType dataType = a.getDataType();
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException("sequenceMask needs rank >= 2, got " + shape);
        }
        int b = (int) shape.get(0);
        int t = (int) shape.get(1);
        int inner = (int) shape.slice(2).size();
        Object out = HostData.allocate(dataType, a.size32());
        System.arraycopy(a.hostData(), 0, out, 0, a.size32());
        for (int i = 0; i < b; i++) {
            long l = index(len, i);
            for (int j = (int) Math.max(0, l); j < t; j++) {
                for (int r = 0; r < inner; r++) {
                    HostData.setDouble(out, dataType, (i * t + j) * inner + r, value);
                }
            }
        }
        return Tensor.host(shape, dataType, out);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor embedding(Tensor w, Tensor idx) {
        if (w.getShape().dimension() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (vocab, dim), got " + w.getShape());
        }
        int vocab = (int) w.getShape().get(0);
        int dim = (int) w.getShape().get(1);
        int n = (int) idx.getShape().size();
        int[] offs = new int[n * dim];
        for (int i = 0; i < n; i++) {
            int row = CpuShapes.checkIndex(index(idx, i), vocab, "embedding index");
            for (int j = 0; j < dim; j++) {
                offs[i * dim + j] = row * dim + j;
            }
        }
        return CpuShapes.gather(w, idx.getShape().add(dim), offs);
    }

    private static int[] sliceOffsets(Shape src, long[] min, long[] step, Shape sliceShape) {
        return Strided.offsets(sliceShape, sliceStrides(src, step), sliceBase(src, min));
    }

    /** The source's step along each dimension of a slice taking every step[d]-th element. */
    private static int[] sliceStrides(Shape src, long[] step) {
        int[] st = Strided.strides(src.getShape());
        for (int d = 0; d < st.length; d++) {
            st[d] = (int) (st[d] * step[d]);
        }
        return st;
    }

    /** The source offset of a slice's first element. */
    private static int sliceBase(Shape src, long[] min) {
        int[] st = Strided.strides(src.getShape());
        int base = 0;
        for (int d = 0; d < st.length; d++) {
            base += (int) (min[d] * st[d]);
        }
        return base;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor getSlice(Tensor a, long[] min, long[] step, Shape sliceShape, Shape outShape) {
        return CpuShapes.strided(a, sliceShape.getShape(), sliceStrides(a.getShape(), step),
                sliceBase(a.getShape(), min), outShape);
    }

    /** {@inheritDoc} */
    @Override
    public void setSlice(Tensor a, long[] min, long[] step, Shape target, Tensor v) {
        int[] offs = sliceOffsets(a.getShape(), min, step, target);
        Shape vs = v.getShape();
        if (vs.size() == target.size()) {
            vs = target;
        }
        if (!Strided.broadcast(vs, target).equals(target)) {
            throw new IllegalArgumentException("The expanded size of the value " + v.getShape()
                    + " must match the existing size of the slice " + target);
        }
        int[] vo = Strided.offsets(target, Strided.broadcastStrides(vs, target), 0);
        Object dst = a.hostData();
        Object src = v.hostData();
        for (int i = 0; i < offs.length; i++) {
            HostData.setDouble(dst, a.getDataType(), offs[i], HostData.getDouble(src, v.getDataType(), vo[i]));
        }
        a.touch();
    }

    /** {@inheritDoc} */
    @Override
    public void fillSlice(Tensor a, long[] min, long[] step, Shape sliceShape, double value) {
        int[] offs = sliceOffsets(a.getShape(), min, step, sliceShape);
        Object dst = a.hostData();
        for (int off : offs) {
            HostData.setDouble(dst, a.getDataType(), off, value);
        }
        a.touch();
    }
}
