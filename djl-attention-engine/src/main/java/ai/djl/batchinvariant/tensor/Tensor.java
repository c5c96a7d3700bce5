/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Dense row-major storage with a shape and a data type: a Java primitive array on the host (its
 * element type follows {@link HostData}) or a {@link DeviceBuffer} on a GPU. This is what backends
 * compute on; the engine's NDArray wraps one and adds DJL's bookkeeping (name, manager).
 *
 * <p>Views ({@link #view}) share storage; device memory and recyclable host arrays are reference
 * counted, so closing a view never frees or reuses memory another tensor still reads.
 */
public final class Tensor {

    private final Shape shape;
    private final DataType dataType;
    private final Device device;
    private final Object storage;
    private final HostLease lease;
    private volatile boolean closed;
    private int version;

    private Tensor(Shape shape, DataType dataType, Device device, Object storage, HostLease lease) {
        this.shape = shape;
        this.dataType = dataType;
        this.device = device;
        this.storage = storage;
        this.lease = lease;
    }

    /**
     * Wraps a host array; the tensor takes the array over (callers stop writing to it).
     *
     * @param shape the shape
     * @param dataType the data type
     * @param data a primitive array of {@code shape.size()} elements typed as {@link HostData} says
     * @return the tensor
     */
    public static Tensor host(Shape shape, DataType dataType, Object data) {
        return new Tensor(shape, dataType, Device.cpu(), data, null);
    }

    /**
     * Wraps a host array nothing else holds, to be handed to {@code recycler} once this tensor and
     * every view of it are closed — provided nobody was given the array by {@link #hostData}.
     *
     * @param shape the shape
     * @param dataType the data type
     * @param data a primitive array of {@code shape.size()} elements that no other object holds
     * @param recycler where the array goes when the last tensor over it closes
     * @return the tensor
     */
    public static Tensor hostRecyclable(Shape shape, DataType dataType, Object data, HostLease.Recycler recycler) {
        return new Tensor(shape, dataType, Device.cpu(), data, new HostLease(data, recycler));
    }

    /**
     * Wraps device memory; the tensor takes over one reference.
     *
     * @param shape the shape
     * @param dataType the data type
     * @param buffer the memory, at least {@code shape.size()} elements
     * @return the tensor
     */
    public static Tensor device(Shape shape, DataType dataType, DeviceBuffer buffer) {
        return new Tensor(shape, dataType, Device.gpu(buffer.getDeviceId()), buffer, null);
    }

    /**
     * Returns the shape.
     *
     * @return the shape
     */
    public Shape getShape() {
        return shape;
    }

    /**
     * Returns the data type.
     *
     * @return the data type
     */
    public DataType getDataType() {
        return dataType;
    }

    /**
     * Returns the device holding the storage.
     *
     * @return the device
     */
    public Device getDevice() {
        return device;
    }

    /**
     * Tells whether the storage is device memory.
     *
     * @return true on a GPU
     */
    public boolean isOnDevice() {
        return storage instanceof DeviceBuffer;
    }

    /**
     * Returns the number of elements as an int (host arrays are int-indexed).
     *
     * @return elements
     */
    public int size32() {
        return Math.toIntExact(shape.size());
    }

    /**
     * Returns the size of the data in bytes.
     *
     * @return bytes
     */
    public long byteSize() {
        return shape.size() * dataType.getNumOfBytes();
    }

    /**
     * Returns the host array, which the caller may keep: the array is then never reused for
     * another tensor (see {@link #borrowHostData}).
     *
     * @return a primitive array
     * @throws IllegalStateException if the tensor is closed or lives on a device
     */
    public Object hostData() {
        Object data = borrowHostData();
        if (lease != null) {
            lease.escape();
        }
        return data;
    }

    /**
     * Returns the host array for the length of one operation: the caller reads or writes it and
     * then drops it — it neither keeps it in a field or cache nor wraps it in another tensor (those
     * call {@link #hostData}), since once this tensor is closed the array may become another
     * tensor's storage.
     *
     * @return a primitive array
     * @throws IllegalStateException if the tensor is closed or lives on a device
     */
    public Object borrowHostData() {
        checkOpen();
        if (storage instanceof DeviceBuffer) {
            throw new IllegalStateException("tensor is on " + device + ", not the CPU");
        }
        return storage;
    }

    /**
     * Tells whether closing this tensor (and its views) hands its host array back for reuse.
     *
     * @return true for a recyclable array nobody was given
     */
    public boolean isRecyclable() {
        return lease != null && !lease.isEscaped();
    }

    /**
     * Returns the device memory.
     *
     * @return the memory
     * @throws IllegalStateException if the tensor is closed or lives on the host
     */
    public DeviceBuffer deviceBuffer() {
        checkOpen();
        if (!(storage instanceof DeviceBuffer)) {
            throw new IllegalStateException("tensor is on " + device + ", not a GPU");
        }
        return (DeviceBuffer) storage;
    }

    /**
     * Returns a tensor of another shape over the same storage (same element count).
     *
     * @param target the shape
     * @return the view
     */
    public Tensor view(Shape target) {
        checkOpen();
        if (target.size() != shape.size()) {
            throw new IllegalArgumentException("cannot view " + shape + " as " + target);
        }
        Object s = storage instanceof DeviceBuffer ? ((DeviceBuffer) storage).retain() : storage;
        if (lease != null) {
            lease.retain();
        }
        return new Tensor(target, dataType, device, s, lease);
    }

    /**
     * A counter bumped by every in-place write, so caches derived from this tensor can tell when
     * they went stale.
     *
     * @return the version
     */
    public int version() {
        return version;
    }

    /** Records an in-place write. */
    public void touch() {
        version++;
    }

    /**
     * Tells whether {@link #close} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Throws if the tensor was closed.
     *
     * @throws IllegalStateException if closed
     */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tensor has been closed");
        }
    }

    /**
     * Releases the storage (device memory goes back to its allocator, a recyclable host array to its
     * recycler once no view uses it); idempotent.
     */
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (storage instanceof DeviceBuffer) {
                ((DeviceBuffer) storage).release();
            } else if (lease != null) {
                lease.release();
            }
        }
    }
}
