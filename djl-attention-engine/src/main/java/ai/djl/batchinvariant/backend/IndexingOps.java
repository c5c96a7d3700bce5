/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Gathers and scatters by index, slicing and slice assignment. Indices may be negative (counted
 * from the end) and are range-checked. A backend without a kernel refuses by name.
 */
public interface IndexingOps {

    /**
     * {@code out[i...] = a[..., index[i...], ...]} along one axis (DJL's gather and pick).
     *
     * @param a the source
     * @param index integer indices, the output's shape
     * @param axis the axis (negative allowed)
     * @return the gathered copy
     */
    default Tensor gather(Tensor a, Tensor index, int axis) {
        throw Unsupported.op("NDArray.gather", a.getDevice());
    }

    /**
     * Gathers sub-arrays by multi-dimensional indices ({@code index} is (m, ...)).
     *
     * @param a the source
     * @param index integer indices
     * @return the gathered copy
     */
    default Tensor gatherNd(Tensor a, Tensor index) {
        throw Unsupported.op("NDArray.gatherNd", a.getDevice());
    }

    /**
     * Gathers elements of the flattened source.
     *
     * @param a the source
     * @param index integer indices, the output's shape
     * @return the gathered copy
     */
    default Tensor take(Tensor a, Tensor index) {
        throw Unsupported.op("NDArray.take", a.getDevice());
    }

    /**
     * Gathers whole slices along an axis ({@code out = outer + index.shape + inner}).
     *
     * @param a the source
     * @param index integer indices
     * @param axis the axis (non-negative)
     * @return the gathered copy
     */
    default Tensor takeAlong(Tensor a, Tensor index, int axis) {
        throw Unsupported.op("NDArray.get", a.getDevice());
    }

    /**
     * Rows of axis 0 where a 1-D mask is non-zero.
     *
     * @param a the source
     * @param mask the mask
     * @param axis the axis (only 0 is supported)
     * @return the selected rows
     */
    default Tensor booleanMask(Tensor a, Tensor mask, int axis) {
        throw Unsupported.op("NDArray.booleanMask", a.getDevice());
    }

    /**
     * One-hot encodes integer indices along a new last axis.
     *
     * @param a the indices
     * @param depth the new axis' length
     * @param onValue the value at the index
     * @param offValue the value elsewhere
     * @param type the output type
     * @return the encoding
     */
    default Tensor oneHot(Tensor a, int depth, float onValue, float offValue, DataType type) {
        throw Unsupported.op("NDArray.oneHot", a.getDevice());
    }

    /**
     * Sets {@code a[b, t, ...]} to {@code value} for every {@code t >= lengths[b]}.
     *
     * @param a the source, of rank at least 2
     * @param lengths the length of each row
     * @param value the fill value
     * @return the masked copy
     */
    default Tensor sequenceMask(Tensor a, Tensor lengths, float value) {
        throw Unsupported.op("NDArray.sequenceMask", a.getDevice());
    }

    /**
     * Looks up rows of an embedding table.
     *
     * @param weight the table (vocab, dim)
     * @param index integer indices
     * @return {@code index.shape + (dim)}
     */
    default Tensor embedding(Tensor weight, Tensor index) {
        throw Unsupported.op("NDArrayEx.embedding", weight.getDevice());
    }

    /**
     * Copies a strided slice.
     *
     * @param a the source
     * @param min the first index per axis
     * @param step the step per axis
     * @param sliceShape the slice's shape (one entry per axis)
     * @param outShape the result's shape (the slice shape with squeezed axes dropped)
     * @return the copy
     */
    default Tensor getSlice(Tensor a, long[] min, long[] step, Shape sliceShape, Shape outShape) {
        throw Unsupported.op("NDArray.get", a.getDevice());
    }

    /**
     * Writes values (broadcast to the slice) into a strided slice, in place.
     *
     * @param a the target, written in place
     * @param min the first index per axis
     * @param step the step per axis
     * @param sliceShape the slice's shape
     * @param value the values
     */
    default void setSlice(Tensor a, long[] min, long[] step, Shape sliceShape, Tensor value) {
        throw Unsupported.op("NDArray.set", a.getDevice());
    }

    /**
     * Fills a strided slice with one value, in place.
     *
     * @param a the target, written in place
     * @param min the first index per axis
     * @param step the step per axis
     * @param sliceShape the slice's shape
     * @param value the value
     */
    default void fillSlice(Tensor a, long[] min, long[] step, Shape sliceShape, double value) {
        throw Unsupported.op("NDArray.set", a.getDevice());
    }
}
