/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Data movement that returns new storage: permutations, broadcasts, repeats, slices, joins and
 * type conversion. (Reshapes are views: {@link Tensor#view}.) A backend without a kernel refuses
 * by name.
 */
public interface ShapeOps {

    /**
     * Permutes the axes.
     *
     * @param a the source
     * @param axes the permutation (negative axes allowed)
     * @return the permuted copy
     */
    default Tensor transpose(Tensor a, int[] axes) {
        throw Unsupported.op("NDArray.transpose", a.getDevice());
    }

    /**
     * Copies with numpy broadcasting to a shape.
     *
     * @param a the source
     * @param target the shape
     * @return the broadcast copy
     */
    default Tensor broadcast(Tensor a, Shape target) {
        throw Unsupported.op("NDArray.broadcast", a.getDevice());
    }

    /**
     * Repeats each element along an axis.
     *
     * @param a the source
     * @param axis the axis (negative allowed)
     * @param repeats the count
     * @return the copy
     */
    default Tensor repeat(Tensor a, int axis, long repeats) {
        throw Unsupported.op("NDArray.repeat", a.getDevice());
    }

    /**
     * Tiles the whole array.
     *
     * @param a the source
     * @param repeats per-axis counts, aligned to the trailing axes
     * @return the copy
     */
    default Tensor tile(Tensor a, long[] repeats) {
        throw Unsupported.op("NDArray.tile", a.getDevice());
    }

    /**
     * Copies the range {@code [start, end)} along an axis.
     *
     * @param a the source
     * @param axis the axis (non-negative)
     * @param start the first index
     * @param end one past the last index
     * @return the copy
     */
    default Tensor slice(Tensor a, int axis, long start, long end) {
        throw Unsupported.op("NDArray.split", a.getDevice());
    }

    /**
     * Reverses the order along axes.
     *
     * @param a the source
     * @param axes the axes (negative allowed)
     * @return the copy
     */
    default Tensor flip(Tensor a, int[] axes) {
        throw Unsupported.op("NDArray.flip", a.getDevice());
    }

    /**
     * Joins arrays of one type along an existing axis.
     *
     * @param parts the arrays, in order
     * @param axis the axis (non-negative)
     * @return the joined copy
     */
    default Tensor concat(Tensor[] parts, int axis) {
        throw Unsupported.op("NDArray.concat", parts[0].getDevice());
    }

    /**
     * Converts to another data type.
     *
     * @param a the source
     * @param type the target type (not the source's)
     * @return the converted copy
     */
    default Tensor toType(Tensor a, DataType type) {
        throw Unsupported.op("NDArray.toType", a.getDevice());
    }
}
