/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.Device;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One implementation of the engine's op set for one kind of device, grouped by family. The CPU
 * backend implements every op; the CUDA backend implements what it has kernels for and refuses
 * the rest by name (the family interfaces' default methods), never copying through the host
 * behind the caller's back.
 *
 * <p>Every op obeys the invariance rule: the order and grouping of each output's floating-point
 * reduction depend only on that output's own row (its lengths and the static configuration),
 * never on how many other rows share the call.
 */
public interface Backend {

    /**
     * Returns the backend's name, as logs and {@code docs/ops.md} show it.
     *
     * @return "cpu" or "cuda"
     */
    String getName();

    /**
     * Tells whether this backend serves arrays on a device.
     *
     * @param device the device
     * @return true if {@link Backends} would pick this backend for it
     */
    boolean serves(Device device);

    // ------------------------------------------------------------------ storage

    /**
     * Allocates a zero-filled tensor on a device this backend serves.
     *
     * @param device the device
     * @param shape the shape
     * @param dataType the data type
     * @return the tensor
     */
    Tensor zeros(Device device, Shape shape, DataType dataType);

    /**
     * Copies a host tensor to a device this backend serves (for the CPU backend, a copy).
     *
     * @param host the source, on the CPU
     * @param device the target device
     * @return the copy
     */
    Tensor upload(Tensor host, Device device);

    /**
     * Copies a tensor of this backend to the host; the host tensor is new storage.
     *
     * @param tensor the source
     * @return the copy on the CPU
     */
    Tensor download(Tensor tensor);

    /**
     * Copies a tensor within its device.
     *
     * @param tensor the source
     * @return new storage with the same contents
     */
    Tensor copy(Tensor tensor);

    /**
     * Takes over a host tensor for a device this backend serves: the CPU backend keeps the same
     * storage; a device backend uploads it (the host tensor stays the caller's).
     *
     * @param host the source, on the CPU
     * @param device the target device
     * @return a tensor on the device
     */
    default Tensor adopt(Tensor host, Device device) {
        return upload(host, device);
    }

    /**
     * Returns a tensor's contents on the host: the CPU backend returns the tensor itself (callers
     * must not write to it); a device backend downloads a copy.
     *
     * @param tensor a tensor of this backend
     * @return host storage with the same contents
     */
    default Tensor toHost(Tensor tensor) {
        return download(tensor);
    }

    /**
     * Overwrites a tensor in place with another's values (same element count), and records the
     * write ({@link Tensor#touch}). Values of another type are converted through float32.
     *
     * @param dst the target, of this backend
     * @param src the values, on the host or on {@code dst}'s device
     */
    void write(Tensor dst, Tensor src);

    // ------------------------------------------------------------------ op families

    /**
     * Returns the attention and state-merge family.
     *
     * @return the family
     */
    AttentionOps attention();

    /**
     * Returns the element-wise family.
     *
     * @return the family
     */
    ElementwiseOps elementwise();

    /**
     * Returns the reduction family (including softmax and the normalisations).
     *
     * @return the family
     */
    ReductionOps reductions();

    /**
     * Returns the matrix-product family.
     *
     * @return the family
     */
    LinalgOps linalg();

    /**
     * Returns the data-movement family (transpose, broadcast, repeat, tile, slice, flip, concat,
     * type conversion).
     *
     * @return the family
     */
    ShapeOps shapes();

    /**
     * Returns the indexing family (gathers, slices, slice assignment).
     *
     * @return the family
     */
    IndexingOps indexing();

    /**
     * Returns the convolution, pooling and resize family; by default one that refuses every op.
     *
     * @return the family
     */
    default ConvPoolOps convPool() {
        return new ConvPoolOps() {};
    }

    /**
     * Returns the special-function family (inverse trigonometric and hyperbolic functions, erfinv,
     * gammaln, atan2, xlogy); refuses every op unless the backend overrides it.
     *
     * @return the family
     */
    default SpecialOps special() {
        return SpecialOps.REFUSING;
    }

    /**
     * Returns the order-statistics family (sort, median, percentile, unique, nonzero); refuses
     * every op unless the backend overrides it.
     *
     * @return the family
     */
    default SortOps sorting() {
        return SortOps.REFUSING;
    }

    /**
     * Returns the array-math family (cumProd, diff, diagonal, p-norms, pad, put, scatter,
     * inverse); refuses every op unless the backend overrides it.
     *
     * @return the family
     */
    default ArrayMathOps arrayMath() {
        return ArrayMathOps.REFUSING;
    }

    // ------------------------------------------------------------------ graph capture

    /**
     * Starts recording the calling thread's ops on a device as a graph.
     *
     * @param device the device
     * @return the capture, recording until {@link GraphCapture#end}
     * @throws UnsupportedOperationException on a backend without graphs (the CPU)
     */
    default GraphCapture beginCapture(Device device) {
        throw Unsupported.op("graph capture", device);
    }

    /**
     * Tells whether the calling thread is recording a graph on a device, where nothing may be
     * read back to the host.
     *
     * @param device the device
     * @return true while capturing
     */
    default boolean isCapturing(Device device) {
        return false;
    }
}
