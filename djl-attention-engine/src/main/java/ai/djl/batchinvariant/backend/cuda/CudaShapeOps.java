/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Data movement on a GPU: every operation is a strided copy ({@link CudaCopy}) with the CPU
 * backend's shapes, checks and conversions.
 */
final class CudaShapeOps implements ShapeOps {

    static final CudaShapeOps INSTANCE = new CudaShapeOps();

    private CudaShapeOps() {}

    /** {@inheritDoc} */
    @Override
    public Tensor transpose(Tensor a, int[] axesIn) {
        long[] dims = a.getShape().getShape();
        int rank = dims.length;
        int[] axes = Strided.permutationAxes(axesIn, rank);
        long[] st = StridedArgs.contiguous(dims);
        long[] out = new long[rank];
        long[] in = new long[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = dims[axes[i]];
            in[i] = st[axes[i]];
        }
        return CudaCopy.gather(a, 0, in, out, "NDArray.transpose");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor broadcast(Tensor a, Shape target) {
        Shape shape = a.getShape();
        if (!Strided.broadcast(shape, target).equals(target)) {
            throw new IllegalArgumentException("cannot broadcast " + shape + " to " + target);
        }
        return CudaCopy.gather(a, 0, StridedArgs.broadcast(shape, target), target.getShape(), "NDArray.broadcast");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor repeat(Tensor a, int axisIn, long repeats) {
        long[] dims = a.getShape().getShape();
        int rank = dims.length;
        int axis = Strided.axis(axisIn, rank);
        long[] st = StridedArgs.contiguous(dims);
        // the output walked as (..., dims[axis], repeats, ...): the repeats axis reads stride 0
        long[] walk = new long[rank + 1];
        long[] in = new long[rank + 1];
        for (int d = 0, w = 0; d < rank; d++) {
            walk[w] = dims[d];
            in[w++] = st[d];
            if (d == axis) {
                walk[w] = repeats;
                in[w++] = 0;
            }
        }
        long[] outDims = dims.clone();
        outDims[axis] *= repeats;
        return CudaCopy.gather(a, 0, in, walk, new Shape(outDims), "NDArray.repeat");
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
        long[] st = StridedArgs.contiguous(src);
        // the output walked as (repeat_0, src_0, repeat_1, src_1, ...), the repeat axes at stride 0
        long[] walk = new long[2 * rank];
        long[] in = new long[2 * rank];
        for (int i = 0; i < rank; i++) {
            walk[2 * i] = dims[i] / Math.max(1, src[i]);
            walk[2 * i + 1] = src[i];
            in[2 * i + 1] = st[i];
        }
        if (new Shape(dims).size() == 0) {
            return Launch.output(CudaBackend.device(a), new Shape(dims), a.getDataType());
        }
        return CudaCopy.gather(a, 0, in, walk, new Shape(dims), "NDArray.tile");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor slice(Tensor a, int axis, long start, long end) {
        long[] dims = a.getShape().getShape().clone();
        long[] st = StridedArgs.contiguous(dims);
        dims[axis] = Math.max(0, end - start);
        return CudaCopy.gather(a, start * st[axis], st, dims, "NDArray.split");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor flip(Tensor a, int[] axes) {
        long[] dims = a.getShape().getShape();
        int rank = dims.length;
        boolean[] f = new boolean[rank];
        for (int ax : axes) {
            f[Strided.axis(ax, rank)] = true;
        }
        long[] st = StridedArgs.contiguous(dims);
        long base = 0;
        for (int d = 0; d < rank; d++) {
            if (f[d] && dims[d] > 0) {
                base += (dims[d] - 1) * st[d];
                st[d] = -st[d];
            }
        }
        return CudaCopy.gather(a, base, st, dims, "NDArray.flip");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor concat(Tensor[] all, int axis) {
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
        Tensor out = Launch.output(CudaBackend.device(all[0]), new Shape(dims), t);
        long[] ost = StridedArgs.contiguous(dims);
        long at = 0;
        for (Tensor b : all) {
            long[] bd = b.getShape().getShape();
            CudaCopy.copy(b, 0, StridedArgs.contiguous(bd), out, at * ost[axis], ost, bd, DataAbi.MODE_RAW, 0,
                    "NDArray.concat");
            at += bd[axis];
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor toType(Tensor a, DataType type) {
        long[] dims = a.getShape().getShape();
        Tensor out = Launch.output(CudaBackend.device(a), a.getShape(), type);
        long[] st = StridedArgs.contiguous(dims);
        CudaCopy.copy(a, 0, st, out, 0, st, dims, CudaCopy.conversionMode(a.getDataType(), type), 0, "NDArray.toType");
        return out;
    }
}
