/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.index.full.NDIndexFullPick;
import ai.djl.ndarray.index.full.NDIndexFullSlice;
import ai.djl.ndarray.index.full.NDIndexFullTake;

/** Slicing, picking and slice assignment for {@link BiNDArray}, on the array's backend. */
public class BiNDArrayIndexer extends NDArrayIndexer {

    /** {@inheritDoc} */
    @Override
    public NDArray get(NDArray array, NDIndexFullSlice slice) {
        BiNDArray a = (BiNDArray) array;
        return a.wrap(a.backend().indexing().getSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(),
                slice.getSqueezedShape()));
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
        return a.wrap(a.backend().indexing().takeAlong(a.tensor(), a.other(take.getIndices()), take.getAxis()));
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, NDArray value) {
        BiNDArray a = (BiNDArray) array;
        a.backend().indexing().setSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(), a.other(value));
    }

    /** {@inheritDoc} */
    @Override
    public void set(NDArray array, NDIndexFullSlice slice, Number value) {
        BiNDArray a = (BiNDArray) array;
        a.backend().indexing().fillSlice(a.tensor(), slice.getMin(), slice.getStep(), slice.getShape(),
                value.doubleValue());
    }
}
