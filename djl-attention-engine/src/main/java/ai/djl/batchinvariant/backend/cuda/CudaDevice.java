/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.config.EngineOptions;

import ai.djl.engine.EngineException;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * One CUDA device: its primary context, the kernel modules loaded from the jar, a caching device
 * allocator, and a stream for graph capture. Every method makes the context current on the calling
 * thread first, so any thread may use any device.
 */
public final class CudaDevice {

    private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(CudaDevice.class);


    static final String KERNEL_DIR = "/ai/djl/batchinvariant/kernels/";

    private final int index;
    private final CUcontext context = new CUcontext();
    private final CUstream captureStream = new CUstream();
    private final ThreadLocal<CUstream> streams = new ThreadLocal<>();
    /** The graph capture the calling thread is recording, if any. */
    private final ThreadLocal<CapturePool> capturing = new ThreadLocal<>();
    /** Uploads made while recording go through this stream, outside the graph. */
    private CUstream sideStream;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    // free blocks by (allocation stream, size): a block is reused only on the stream that used it
    private final Map<CUstream, Map<Long, Deque<CUdeviceptr>>> freeBlocks = new HashMap<>();
    private final int smCount;
    private final int computeCapability;
    private long cachedBytes;
    private long inUseBytes;
    private long peakInUseBytes;

    CudaDevice(int index) {
        this.index = index;
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, index), "cuDeviceGet(" + index + ")");
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        int[] v = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev),
                "cuDeviceGetAttribute");
        smCount = v[0];
        int[] major = new int[1];
        int[] minor = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
                "cuDeviceGetAttribute");
        check(JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev),
                "cuDeviceGetAttribute");
        computeCapability = major[0] * 10 + minor[0];
        check(JCudaDriver.cuStreamCreate(captureStream, 0), "cuStreamCreate");
    }

    /**
     * Returns the device ordinal.
     *
     * @return the index
     */
    public int getIndex() {
        return index;
    }

    /**
     * Returns the number of multiprocessors.
     *
     * @return SMs
     */
    public int getSmCount() {
        return smCount;
    }

    /**
     * Returns the compute capability as major * 10 + minor.
     *
     * @return e.g. 90
     */
    public int getComputeCapability() {
        return computeCapability;
    }

    /**
     * Tells whether this device runs the Hopper (sm_90a) kernel families, GEMM and attention
     * alike: compute capability 9.0 with the {@code cuda_sm90} option on (read at each call). The
     * one place that decides it, so the families never disagree about the device.
     *
     * @return true for the Hopper kernels
     */
    public boolean hopperKernels() {
        return computeCapability == 90 && EngineOptions.cudaSm90();
    }

    /** Makes this device's context current on the calling thread. */
    public void makeCurrent() {
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /**
     * Returns the stream used for graph capture and replay.
     *
     * @return the stream
     */
    public CUstream getCaptureStream() {
        return captureStream;
    }

    /**
     * Returns the calling thread's stream on this device: every eager launch and copy of the
     * backend goes there, never on the null stream. Streams are blocking (they order with the
     * legacy stream), so a host read through {@link #download} waits for the thread's work.
     *
     * @return the stream
     */
    public CUstream getStream() {
        CUstream s = streams.get();
        if (s == null) {
            makeCurrent();
            s = new CUstream();
            check(JCudaDriver.cuStreamCreate(s, 0), "cuStreamCreate");
            streams.set(s);
        }
        return s;
    }

    /**
     * Returns a kernel, loading its module from the jar on first use.
     *
     * @param module the kernel family (file name without .fatbin)
     * @param name the kernel's symbol
     * @param dynamicSmem the dynamic shared memory it will be launched with
     * @return the function
     */
    public synchronized CUfunction function(String module, String name, int dynamicSmem) {
        makeCurrent();
        CUfunction f = functions.get(name);
        if (f != null) {
            return f;
        }
        CUmodule m = modules.get(module);
        if (m == null) {
            byte[] image;
            try (InputStream is = CudaDevice.class.getResourceAsStream(KERNEL_DIR + module + ".fatbin")) {
                if (is == null) {
                    throw new EngineException("kernel module " + module + ".fatbin is missing from the jar");
                }
                image = is.readAllBytes();
            } catch (IOException e) {
                throw new EngineException("cannot read kernel module " + module, e);
            }
            m = new CUmodule();
            check(JCudaDriver.cuModuleLoadData(m, image), "cuModuleLoadData(" + module + ".fatbin) on gpu(" + index
                    + "), compute capability " + computeCapability);
            modules.put(module, m);
        }
        f = new CUfunction();
        check(JCudaDriver.cuModuleGetFunction(f, m, name), "cuModuleGetFunction(" + name + ")");
        if (dynamicSmem > 48 * 1024) {
            check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    dynamicSmem), "cuFuncSetAttribute(" + name + ", " + dynamicSmem + " bytes shared)");
        }
        functions.put(name, f);
        return f;
    }

    private static long bucket(long bytes) {
        long b = Math.max(512, bytes);
        if (b <= (1L << 20)) {
            return Long.highestOneBit(b - 1) << 1;
        }
        long mb2 = 2L << 20;
        return (b + mb2 - 1) / mb2 * mb2;
    }

    /**
     * Allocates device memory from the cache (sizes are rounded to a bucket; freed blocks are kept
     * for reuse and returned to the driver only when an allocation fails).
     *
     * @param bytes the size
     * @return the memory
     */
    public DeviceMemory allocate(long bytes) {
        CapturePool pool = capturing.get();
        if (pool != null) {
            return pool.allocate(bucket(bytes));
        }
        CUstream stream = getStream();
        synchronized (this) {
            makeCurrent();
            long size = bucket(bytes);
            Map<Long, Deque<CUdeviceptr>> mine = freeBlocks.get(stream);
            Deque<CUdeviceptr> free = mine == null ? null : mine.get(size);
            CUdeviceptr ptr = free == null ? null : free.poll();
            if (ptr != null) {
                cachedBytes -= size;
                return inUse(new DeviceMemory(this, ptr, size, stream));
            }
            ptr = new CUdeviceptr();
            int rc = JCudaDriver.cuMemAlloc(ptr, size);
            if (rc != 0) {
                long cached = cachedBytes;
                releaseCache();
                rc = JCudaDriver.cuMemAlloc(ptr, size);
                if (rc != 0) {
                    // nothing was taken: the allocator and every array stay as they were
                    throw new EngineException("out of memory on gpu(" + index + "): asked for " + bytes + " bytes ("
                            + size + " rounded), " + inUseBytes + " bytes in use by arrays, " + cached
                            + " bytes were cached and have been returned to the driver (" + CUresult.stringFor(rc)
                            + ")");
                }
            }
            return inUse(new DeviceMemory(this, ptr, size, stream));
        }
    }

    /**
     * Takes a block back. Work queued on its stream may still use it; the next owner runs on the
     * same stream, so stream order keeps the two apart without a host wait.
     */
    synchronized void recycle(CUdeviceptr ptr, long size, CUstream stream) {
        inUseBytes -= size;
        if (cachedBytes + size > EngineOptions.gpuCacheLimitBytes()) {
            // over the cap: the block goes back to the driver once its stream is done with it
            makeCurrent();
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            check(JCudaDriver.cuMemFree(ptr), "cuMemFree");
            logger.debug("gpu({}) cache at its cap: freed {} bytes; {}", index, size, statsLine());
            return;
        }
        freeBlocks.computeIfAbsent(stream, k -> new HashMap<>()).computeIfAbsent(size, k -> new ArrayDeque<>())
                .push(ptr);
        cachedBytes += size;
    }

    private DeviceMemory inUse(DeviceMemory m) {
        inUseBytes += m.getBytes();
        peakInUseBytes = Math.max(peakInUseBytes, inUseBytes);
        return m;
    }

    private String statsLine() {
        return "in use " + inUseBytes + " bytes, peak " + peakInUseBytes + ", cached " + cachedBytes + ", cap "
                + EngineOptions.gpuCacheLimitBytes();
    }

    /**
     * Returns the allocator's figures.
     *
     * @return {bytes held by live arrays, their peak, bytes cached for reuse, the cache's cap}
     */
    public synchronized long[] memoryStats() {
        return new long[] {inUseBytes, peakInUseBytes, cachedBytes, EngineOptions.gpuCacheLimitBytes()};
    }

    /**
     * Makes the calling thread's stream wait for the work queued so far on the streams that
     * produced some memory (a no-op for memory of this stream). Only inputs made on another
     * thread cost anything: an event recorded there and waited for here, on the device.
     *
     * @param target the stream that will read the memory
     * @param inputs the memory about to be read (nulls are skipped)
     */
    public void await(CUstream target, DeviceMemory... inputs) {
        for (DeviceMemory m : inputs) {
            if (m != null && !m.getStream().equals(target)) {
                if (capturing.get() != null) {
                    // memory of a stream with nothing queued (weights, a cache made earlier) needs
                    // no dependency; anything still pending there could not be ordered in a graph
                    makeCurrent();
                    if (JCudaDriver.cuStreamQuery(m.getStream()) == CUresult.CUDA_SUCCESS) {
                        continue;
                    }
                    throw new IllegalStateException("an array made on another thread cannot be read inside a"
                            + " captured graph: make the graph's inputs on the capturing thread");
                }
                makeCurrent();
                CUevent ev = new CUevent();
                check(JCudaDriver.cuEventCreate(ev, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
                check(JCudaDriver.cuEventRecord(ev, m.getStream()), "cuEventRecord");
                check(JCudaDriver.cuStreamWaitEvent(target, ev, 0), "cuStreamWaitEvent");
                check(JCudaDriver.cuEventDestroy(ev), "cuEventDestroy");
            }
        }
    }

    /** Returns every cached block to the driver. */
    public synchronized void releaseCache() {
        logger.debug("gpu({}) returning its cache to the driver; {}", index, statsLine());
        makeCurrent();
        check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
        for (Map<Long, Deque<CUdeviceptr>> perStream : freeBlocks.values()) {
            for (Deque<CUdeviceptr> d : perStream.values()) {
                for (CUdeviceptr p : d) {
                    check(JCudaDriver.cuMemFree(p), "cuMemFree");
                }
            }
        }
        freeBlocks.clear();
        cachedBytes = 0;
    }

    /**
     * Returns the bytes held in the cache (freed by arrays, not yet returned to the driver).
     *
     * @return bytes
     */
    public synchronized long getCachedBytes() {
        return cachedBytes;
    }

    /** Waits for all work on this device. */
    public void synchronize() {
        refuseWhileCapturing("waiting for the device");
        makeCurrent();
        check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /**
     * Copies host bytes to the device on the calling thread's stream and waits for that stream,
     * so the data is in place for every stream (uploads are weights and plans: rare, and then
     * read from any thread).
     *
     * @param dst the destination
     * @param src the source
     * @param bytes how many
     */
    public void upload(CUdeviceptr dst, Pointer src, long bytes) {
        CapturePool pool = capturing.get();
        if (bytes > 0 && pool != null) {
            // a constant of the recorded ops (a scalar operand, an index array): copied now, once,
            // into the capture's memory, on a stream the graph does not record; the block is never
            // reused, since every replay reads it
            pool.pinConstant(dst);
            makeCurrent();
            synchronized (this) {
                if (sideStream == null) {
                    sideStream = new CUstream();
                    check(JCudaDriver.cuStreamCreate(sideStream, jcuda.driver.CUstream_flags.CU_STREAM_NON_BLOCKING),
                            "cuStreamCreate(side)");
                }
            }
            check(JCudaDriver.cuMemcpyHtoDAsync(dst, src, bytes, sideStream), "cuMemcpyHtoDAsync(" + bytes
                    + " bytes, while capturing)");
            check(JCudaDriver.cuStreamSynchronize(sideStream), "cuStreamSynchronize(side)");
            return;
        }
        if (bytes > 0) {
            CUstream stream = getStream();
            makeCurrent();
            check(JCudaDriver.cuMemcpyHtoDAsync(dst, src, bytes, stream), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize(upload)");
        }
    }

    /**
     * Copies device bytes to the host, waiting only for the stream that produced them and the
     * calling thread's.
     *
     * @param dst the destination
     * @param src the source memory
     * @param bytes how many, from its start
     */
    public void download(Pointer dst, DeviceMemory src, long bytes) {
        refuseWhileCapturing("reading GPU memory on the host (toArray, getFloat, toDevice(cpu), an op without a"
                + " GPU kernel)");
        if (bytes > 0) {
            CUstream stream = getStream();
            await(stream, src);
            makeCurrent();
            check(JCudaDriver.cuMemcpyDtoHAsync(dst, src.getPointer(), bytes, stream),
                    "cuMemcpyDtoHAsync(" + bytes + " bytes)");
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize(download)");
        }
    }

    /**
     * Starts routing the calling thread's allocations to a capture's pool (null: back to the
     * shared cache).
     *
     * @param pool the capture's memory, or null
     */
    void setCapture(CapturePool pool) {
        if (pool == null) {
            capturing.remove();
        } else {
            capturing.set(pool);
        }
    }

    /**
     * Tells whether the calling thread is recording a graph on this device.
     *
     * @return true while capturing
     */
    public boolean isCapturing() {
        return capturing.get() != null;
    }

    private void refuseWhileCapturing(String what) {
        if (capturing.get() != null) {
            throw new IllegalStateException(what + " cannot be part of a captured CUDA graph: a graph replays device"
                    + " work only; read results after replay()");
        }
    }
}
