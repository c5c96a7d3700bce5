/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.function.IntBinaryOperator;

/** Data movement on host arrays: every op computes source offsets, then gathers. */
public final class CpuShapeOps implements ShapeOps {

    /** The shared instance. */
    public static final CpuShapeOps INSTANCE = new CpuShapeOps();

    private CpuShapeOps() {}

    /** {@inheritDoc} */
    @Override
    public Tensor transpose(Tensor a, int[] axes) {
        return CpuShapes.transpose(a, axes);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor broadcast(Tensor a, Shape target) {
        Shape shape = a.getShape();
        Shape b = Strided.broadcast(shape, target);
        if (!b.equals(target)) {
            throw new IllegalArgumentException("cannot broadcast " + shape + " to " + target);
        }
        return CpuShapes.strided(a, target.getShape(), Strided.broadcastStrides(shape, target), 0, target);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor repeat(Tensor a, int axisIn, long repeats) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        int axis = Strided.axis(axisIn, rank);
        long[] dims = shape.getShape().clone();
        dims[axis] *= repeats;
        Shape out = new Shape(dims);
        int len = (int) shape.get(axis);
        int inner = (int) shape.slice(axis + 1).size();
        int items = (int) shape.slice(0, axis + 1).size();
        int r = Math.toIntExact(repeats);
        Object src = a.borrowHostData();
        Object dst = HostArrays.uninitialized(a.getDataType(), Math.toIntExact(out.size()));
        // each source block of the axis copied once, then doubled in place: log2(repeats) copies
        // a block instead of an offset per element (a 4096-vector repeated 1024 times took 15.8 ms)
        Parallel.forEach(out.size() == 0 ? 0 : items, (long) inner * r, item -> {
            int at = item * r * inner;
            System.arraycopy(src, item * inner, dst, at, inner);
            for (int filled = inner; filled < r * inner; filled *= 2) {
                System.arraycopy(dst, at, dst, at + filled, Math.min(filled, r * inner - filled));
            }
        });
        return HostArrays.wrap(out, a.getDataType(), dst);
    }

    /**
     * Source offsets of every element of an output of shape {@code dims}, where output coordinate
     * i along dimension d reads source coordinate {@code coord(d, i)}.
     */
    private static int[] mappedOffsets(long[] dims, int[] srcStrides, IntBinaryOperator coord) {
        int rank = dims.length;
        int size = 1;
        for (long v : dims) {
            size = Math.multiplyExact(size, (int) v);
        }
        int[] offs = new int[size];
        int[] idx = new int[rank];
        for (int i = 0; i < size; i++) {
            int off = 0;
            for (int d = 0; d < rank; d++) {
                off += coord.applyAsInt(d, idx[d]) * srcStrides[d];
            }
            offs[i] = off;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < dims[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return offs;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor tile(Tensor a, long[] repeats) {
        Shape shape = a.getShape();
        int rank = Math.max(repeats.length, shape.dimension());
        long[] src = new long[rank];
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            int j = i - (rank - shape.dimension());
            src[i] = j < 0 ? 1 : shape.get(j);
            int k = i - (rank - repeats.length);
            dims[i] = src[i] * (k < 0 ? 1 : repeats[k]);
        }
        return CpuShapes.gather(a, new Shape(dims),
                mappedOffsets(dims, Strided.strides(src), (d, i) -> (int) (i % src[d])));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor slice(Tensor a, int axis, long start, long end) {
        Shape shape = a.getShape();
        long[] dims = shape.getShape().clone();
        dims[axis] = Math.max(0, end - start);
        Shape out = new Shape(dims);
        int[] st = Strided.strides(shape.getShape());
        return CpuShapes.strided(a, dims, st, (int) start * st[axis], out);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor flip(Tensor a, int[] axes) {
        Shape shape = a.getShape();
        int rank = shape.dimension();
        boolean[] f = new boolean[rank];
        for (int ax : axes) {
            f[Strided.axis(ax, rank)] = true;
        }
        int[] st = Strided.strides(shape.getShape());
        int[] fst = new int[rank];
        int base = 0;
        for (int d = 0; d < rank; d++) {
            fst[d] = f[d] ? -st[d] : st[d];
            if (f[d]) {
                base += (int) (shape.get(d) - 1) * st[d];
            }
        }
        return CpuShapes.strided(a, shape.getShape(), fst, base, shape);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor concat(Tensor[] all, int axis) {
        DataType t = all[0].getDataType();
        Shape s0 = all[0].getShape();
        long[] dims = OpChecks.concatDims(all, axis);
        Shape out = new Shape(dims);
        long outer = s0.slice(0, axis).size();
        Object dst = HostArrays.uninitialized(t, (int) out.size());
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (Tensor b : all) {
                int chunk = (int) (b.getShape().slice(axis).size());
                System.arraycopy(b.borrowHostData(), (int) o * chunk, dst, pos, chunk);
                pos += chunk;
            }
        }
        return HostArrays.wrap(out, t, dst);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor toType(Tensor a, DataType type) {
        DataType dataType = a.getDataType();
        int n = a.size32();
        if (dataType != type && HalfConversions.handles(dataType) && HalfConversions.handles(type)) {
            // between float32 and the 16-bit floats: widened (exact), then rounded once, threaded
            float[] wide = HalfConversions.widen(a.borrowHostData(), dataType, n);
            return HostArrays.wrap(a.getShape(), type,
                    type == DataType.FLOAT32 ? wide : HalfConversions.narrow(wide, type, HostArrays.uninitialized(type, n)));
        }
        Object typed = TypedConversions.convert(a.borrowHostData(), dataType, type, n);
        if (typed != null) {
            return HostArrays.wrap(a.getShape(), type, typed);
        }
        Object out = byAccessors(a.borrowHostData(), dataType, type, n, HostArrays.uninitialized(type, n));
        return HostArrays.wrap(a.getShape(), type, out);
    }

    /**
     * toType element by element through {@link HostData}'s accessors: longs between integer
     * types, doubles into float64 and the integers, floats otherwise — every pair, and the
     * reference {@link TypedConversions}' loops are tested against.
     *
     * @param src the storage
     * @param from its type
     * @param to the target type
     * @param n the element count
     * @param out storage of the target type, n elements
     * @return out
     */
    static Object byAccessors(Object src, DataType from, DataType to, int n, Object out) {
        boolean exactLong = !HostData.isFloating(to) && !HostData.isFloating(from);
        for (int i = 0; i < n; i++) {
            if (exactLong) {
                HostData.setLong(out, to, i, HostData.getLong(src, from, i));
            } else if (to == DataType.FLOAT64 || !HostData.isFloating(to)) {
                HostData.setDouble(out, to, i, HostData.getDouble(src, from, i));
            } else {
                HostData.setFloat(out, to, i, HostData.getFloat(src, from, i));
            }
        }
        return out;
    }
}
