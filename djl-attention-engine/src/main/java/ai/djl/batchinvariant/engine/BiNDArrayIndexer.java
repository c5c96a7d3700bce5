/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.index.full.NDIndexFullPick;
import ai.djl.ndarray.index.full.NDIndexFullSlice;
import ai.djl.ndarray.index.full.NDIndexFullTake;
import ai.djl.ndarray.types.Shape;

/** Slicing, picking and slice assignment for {@link BiNDArray}. */
public class BiNDArrayIndexer extends NDArrayIndexer {

    private static int[] sliceOffsets(Shape src, NDIndexFullSlice slice) {
        int[] st = Strided.strides(src.getShape());
        long[] min = slice.getMin();
        long[] step = slice.getStep();
        int[] sst = new int[st.length];
        int base = 0;
        for (int d = 0; d < st.length; d++) {
            sst[d] = (int) (st[d] * step[d]);
            base += (int) (min[d] * st[d]);
        }
        return Strided.offsets(slice.getShape(), sst, base);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullSlice slice) {
        BiNDArray a = (BiNDArray) array;
        return a.gatherOffsets(slice.getSqueezedShape(), sliceOffsets(a.getShape(), slice));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullPick pick) {
        return array.gather(pick.getIndices(), pick.getAxis());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullTake take) {
        BiNDArray a = (BiNDArray) array;
        BiNDArray idx = (BiNDArray) a.getManager().from(take.getIndices());
        int axis = take.getAxis();
        Shape s = a.getShape();
        Shape outer = s.slice(0, axis);
        Shape inner = s.slice(axis + 1);
        Shape out = outer.addAll(idx.getShape()).addAll(inner);
        int no = (int) outer.size();
        int ni = (int) inner.size();
        int nk = (int) idx.getShape().size();
        long len = s.get(axis);
        int[] offs = new int[(int) out.size()];
        int p = 0;
        for (int o = 0; o < no; o++) {
            for (int k = 0; k < nk; k++) {
                int row = BiNDArray.checkIndex(idx.getIndex(k), len, "index");
                for (int i = 0; i < ni; i++) {
                    offs[p++] = (int) ((o * len + row) * ni + i);
                }
            }
        }
        return a.gatherOffsets(out, offs);
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, NDArray value) {
        BiNDArray a = (BiNDArray) array;
        BiNDArray v = (BiNDArray) a.getManager().from(value);
        int[] offs = sliceOffsets(a.getShape(), slice);
        Shape target = slice.getShape();
        Shape vs = v.getShape();
        if (vs.size() == target.size()) {
            vs = target;
        }
        int[] vo = Strided.offsets(target, Strided.broadcastStrides(vs, target), 0);
        Object dst = a.data();
        Object src = v.data();
        for (int i = 0; i < offs.length; i++) {
            HostData.setDouble(dst, a.getDataType(), offs[i], HostData.getDouble(src, v.getDataType(), vo[i]));
        }
        a.touch();
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, Number value) {
        BiNDArray a = (BiNDArray) array;
        int[] offs = sliceOffsets(a.getShape(), slice);
        Object dst = a.data();
        for (int off : offs) {
            HostData.setDouble(dst, a.getDataType(), off, value.doubleValue());
        }
        a.touch();
    }
}
