/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shape operations of the engine's NDArray (reshape and other views, transpose, broadcast,
 * repeat/tile, split, flip): argument handling in the engine, data movement in the backend's
 * shape family. Kept apart from {@link BiNDArray}, which holds storage and the other op groups.
 */
abstract class BiNDArrayShapes extends BiNDArrayMath {

    /** The array's shape. */
    abstract Shape shape();

    /** A view of the storage with another shape. */
    abstract BiNDArray view(Shape s);

    /** {@inheritDoc} */
    @Override
    public NDArray reshape(Shape target) {
        long[] dims = target.getShape().clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape to " + target + ": more than one -1");
                }
                infer = i;
            } else {
                known *= dims[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || shape().size() % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + shape() + " to " + target);
            }
            dims[infer] = shape().size() / known;
        }
        Shape s = new Shape(dims);
        if (s.size() != shape().size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + target);
        }
        return view(s);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray expandDims(int axisIn) {
        int rank = shape().dimension();
        int axis = axisIn < 0 ? axisIn + rank + 1 : axisIn;
        if (axis < 0 || axis > rank) {
            throw new IllegalArgumentException("axis " + axisIn + " is out of range for expandDims of rank " + rank);
        }
        long[] dims = new long[rank + 1];
        for (int i = 0, j = 0; i <= rank; i++) {
            dims[i] = i == axis ? 1 : shape().get(j++);
        }
        return view(new Shape(dims));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray squeeze(int[] axesIn) {
        return view(ShapeArgs.squeeze(shape(), axesIn));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray squeeze() {
        List<Integer> ones = new ArrayList<>();
        for (int i = 0; i < shape().dimension(); i++) {
            if (shape().get(i) == 1) {
                ones.add(i);
            }
        }
        return squeeze(ones.stream().mapToInt(Integer::intValue).toArray());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray flatten() {
        return reshape(new Shape(shape().size()));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray flatten(int startDim, int endDim) {
        int rank = shape().dimension();
        if (rank == 0 && ShapeArgs.axis(startDim, 0) <= ShapeArgs.axis(endDim, 0)) {
            return view(new Shape(1));
        }
        int s = Strided.axis(startDim, rank);
        int e = Strided.axis(endDim, rank);
        List<Long> dims = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            dims.add(shape().get(i));
        }
        long m = 1;
        for (int i = s; i <= e; i++) {
            m *= shape().get(i);
        }
        dims.add(m);
        for (int i = e + 1; i < rank; i++) {
            dims.add(shape().get(i));
        }
        return reshape(new Shape(dims));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray transpose() {
        int rank = shape().dimension();
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) {
            axes[i] = rank - 1 - i;
        }
        return transpose(axes);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray transpose(int... axes) {
        return wrap(backend().shapes().transpose(tensor(), axes));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray broadcast(Shape target) {
        return wrap(backend().shapes().broadcast(tensor(), target));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(int axis, long repeats) {
        ShapeArgs.checkRepeat(shape());
        return wrap(backend().shapes().repeat(tensor(), axis, repeats));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(long repeats) {
        ShapeArgs.checkRepeat(shape());
        NDArray cur = this;
        for (int a = 0; a < shape().dimension(); a++) {
            NDArray next = cur.repeat(a, repeats);
            if (cur != this) {
                cur.close();
            }
            cur = next;
        }
        return cur == this ? duplicate() : cur;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(long[] repeats) {
        NDArray cur = this;
        for (int a = 0; a < repeats.length; a++) {
            NDArray next = cur.repeat(a, repeats[a]);
            if (cur != this) {
                cur.close();
            }
            cur = next;
        }
        return cur == this ? duplicate() : cur;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(Shape desired) {
        long[] r = new long[shape().dimension()];
        for (int i = 0; i < r.length; i++) {
            r[i] = desired.get(i) / shape().get(i);
        }
        return repeat(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(long[] repeats) {
        ShapeArgs.checkTile(shape(), repeats);
        return wrap(backend().shapes().tile(tensor(), repeats));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(long repeats) {
        long[] r = new long[Math.max(1, shape().dimension())];
        Arrays.fill(r, repeats);
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(int axis, long repeats) {
        long[] r = new long[shape().dimension()];
        Arrays.fill(r, 1);
        r[Strided.axis(axis, shape().dimension())] = repeats;
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(Shape desired) {
        long[] r = new long[desired.dimension()];
        for (int i = 0; i < r.length; i++) {
            int j = i - (r.length - shape().dimension());
            r[i] = desired.get(i) / (j < 0 ? 1 : shape().get(j));
        }
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDList split(long[] indices, int axisIn) {
        return ShapeArgs.split((BiNDArray) this, indices, axisIn);
    }

    /** {@inheritDoc} */
    @Override
    public NDList split(long sections, int axis) {
        return ShapeArgs.split((BiNDArray) this, sections, axis);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray swapAxes(int axis1, int axis2) {
        int[] perm = ShapeArgs.swap(shape().dimension(), axis1, axis2);
        return perm == null ? duplicate() : transpose(perm);
    }

    BiNDArray sliceAxis(int axis, long start, long end) {
        return wrap(backend().shapes().slice(tensor(), axis, start, end));
    }
}
