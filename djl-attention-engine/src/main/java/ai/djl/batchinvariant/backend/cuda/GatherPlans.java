/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * How each gather reads its source ({@code bi::GatherParams}): the output walked with source and
 * index strides, then up to 8 index components, each moving along one source axis. Pure host
 * arithmetic, so a test can replay a plan in Java against the CPU backend without a GPU.
 */
final class GatherPlans {

    private GatherPlans() {}

    /** One gather. */
    static final class Plan {
        long[] walk;
        long[] srcStrides;
        long[] idxStrides;
        long[] axisStride;
        long[] axisLen;
        /** Index elements between components (the whole index array for one component). */
        long idxStep = 1;
        Shape outShape;
        String what = "index";
        boolean check = true;

        int parts() {
            return axisLen.length;
        }
    }

    static Plan gather(Shape a, Shape idx, int axisIn) {
        long[] dims = a.getShape();
        int rank = dims.length;
        int axis = Strided.axis(axisIn, rank);
        if (idx.dimension() != rank) {
            throw new IllegalArgumentException("gather: index " + idx + " must have the rank of " + a);
        }
        long[] st = StridedArgs.contiguous(dims);
        Plan p = new Plan();
        p.walk = idx.getShape();
        p.srcStrides = st.clone();
        p.srcStrides[axis] = 0;
        p.idxStrides = StridedArgs.contiguous(p.walk);
        p.axisStride = new long[] {st[axis]};
        p.axisLen = new long[] {dims[axis]};
        p.outShape = idx;
        return one(p, idx);
    }

    static Plan gatherNd(Shape shape, Shape idx) {
        int m = (int) idx.get(0);
        if (m > shape.dimension()) {
            throw new IllegalArgumentException(
                    "gatherNd index shape " + idx + " indexes more axes than " + shape + " has");
        }
        Shape y = idx.slice(1);
        Shape rest = shape.slice(m);
        Plan p = new Plan();
        p.walk = new long[] {y.size(), rest.size()};
        p.srcStrides = new long[] {0, 1};
        p.idxStrides = new long[] {1, 0};
        p.axisStride = Arrays.copyOf(StridedArgs.contiguous(shape.getShape()), m);
        p.axisLen = Arrays.copyOf(shape.getShape(), m);
        p.idxStep = y.size();
        p.outShape = y.addAll(rest);
        return p;
    }

    static Plan take(Shape a, Shape idx) {
        Plan p = new Plan();
        p.walk = idx.getShape();
        p.srcStrides = new long[p.walk.length];
        p.idxStrides = StridedArgs.contiguous(p.walk);
        p.axisStride = new long[] {1};
        p.axisLen = new long[] {a.size()};
        p.outShape = idx;
        return one(p, idx);
    }

    static Plan takeAlong(Shape s, Shape idx, int axis) {
        Shape outer = s.slice(0, axis);
        Shape inner = s.slice(axis + 1);
        long len = s.get(axis);
        long ni = inner.size();
        Plan p = new Plan();
        p.walk = new long[] {outer.size(), idx.size(), ni};
        p.srcStrides = new long[] {len * ni, 0, 1};
        p.idxStrides = new long[] {0, 1, 0};
        p.axisStride = new long[] {ni};
        p.axisLen = new long[] {len};
        p.outShape = outer.addAll(idx).addAll(inner);
        // the CPU backend checks indices once per outer row: none when there is none
        p.check = outer.size() > 0;
        return one(p, idx);
    }

    static Plan embedding(Shape w, Shape idx) {
        if (w.dimension() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (vocab, dim), got " + w);
        }
        long dim = w.get(1);
        Plan p = new Plan();
        p.walk = new long[] {idx.size(), dim};
        p.srcStrides = new long[] {0, 1};
        p.idxStrides = new long[] {1, 0};
        p.axisStride = new long[] {dim};
        p.axisLen = new long[] {w.get(0)};
        p.outShape = idx.add(dim);
        p.what = "embedding index";
        return one(p, idx);
    }

    /** A single component spans the whole index array. */
    private static Plan one(Plan p, Shape idx) {
        p.idxStep = Math.max(1, idx.size());
        return p;
    }
}
