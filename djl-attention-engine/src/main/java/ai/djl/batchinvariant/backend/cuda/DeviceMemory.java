/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.tensor.DeviceBuffer;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A block of device memory from a {@link CudaDevice}'s caching allocator, reference counted so
 * that views (reshape) share it; the last {@link #release()} returns it to the cache.
 */
public final class DeviceMemory implements DeviceBuffer {

    private final CudaDevice device;
    private final CUdeviceptr ptr;
    private final long bytes;
    private final CUstream stream;
    private final AtomicInteger refs = new AtomicInteger(1);
    /** The graph capture owning this block, or null for the device's shared cache. */
    private final CapturePool pool;

    DeviceMemory(CudaDevice device, CUdeviceptr ptr, long bytes, CUstream stream) {
        this(device, ptr, bytes, stream, null);
    }

    DeviceMemory(CudaDevice device, CUdeviceptr ptr, long bytes, CUstream stream, CapturePool pool) {
        this.device = device;
        this.ptr = ptr;
        this.bytes = bytes;
        this.stream = stream;
        this.pool = pool;
    }

    /**
     * Returns the stream the memory was allocated on: the stream that writes it first, and the
     * one whose free list takes it back.
     *
     * @return the stream
     */
    public CUstream getStream() {
        return stream;
    }

    /**
     * Returns the device.
     *
     * @return the device
     */
    public CudaDevice getDevice() {
        return device;
    }

    /** {@inheritDoc} */
    @Override
    public int getDeviceId() {
        return device.getIndex();
    }

    /**
     * Returns the pointer.
     *
     * @return the device pointer
     */
    public CUdeviceptr getPointer() {
        return ptr;
    }

    /**
     * Returns a pointer {@code offset} bytes in.
     *
     * @param offset bytes
     * @return the pointer
     */
    public CUdeviceptr at(long offset) {
        return offset == 0 ? ptr : ptr.withByteOffset(offset);
    }

    /**
     * Returns the usable size.
     *
     * @return bytes
     */
    @Override
    public long getBytes() {
        return bytes;
    }

    /**
     * Adds a reference (a view sharing this memory).
     *
     * @return this
     */
    @Override
    public DeviceMemory retain() {
        refs.incrementAndGet();
        return this;
    }

    /** Drops a reference; the last one returns the block to the allocator. */
    @Override
    public void release() {
        if (refs.decrementAndGet() == 0) {
            if (pool != null) {
                pool.recycle(ptr, bytes);
            } else {
                device.recycle(ptr, bytes, stream);
            }
        }
    }

    /**
     * Fills the first {@code count} 32-bit words with {@code value}.
     *
     * @param value the word
     * @param count words
     */
    public void fill32(int value, long count) {
        if (count > 0) {
            CUstream s = device.getStream();
            device.makeCurrent();
            check(JCudaDriver.cuMemsetD32Async(ptr, value, count, s), "cuMemsetD32Async");
        }
    }

    /**
     * Copies bytes from another device block (same device).
     *
     * @param src the source
     * @param srcOffset its byte offset
     * @param dstOffset this block's byte offset
     * @param n bytes
     */
    public void copyFrom(DeviceMemory src, long srcOffset, long dstOffset, long n) {
        if (n > 0) {
            CUstream s = device.getStream();
            device.await(s, src, this);
            device.makeCurrent();
            check(JCudaDriver.cuMemcpyDtoDAsync(at(dstOffset), src.at(srcOffset), n, s),
                    "cuMemcpyDtoDAsync(" + n + " bytes)");
        }
    }
}
