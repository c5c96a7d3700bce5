/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The memory of one graph capture: every allocation made while recording comes from here, never
 * from the device's shared cache, so the addresses baked into the graph stay the graph's until it
 * closes. A block freed during recording may be taken again later in the same recording (the
 * graph runs its ops in stream order); after recording nothing else allocates from it.
 */
final class CapturePool {

    private final CudaDevice device;
    private final CUstream stream;
    private final List<CUdeviceptr> all = new ArrayList<>();
    private final Map<Long, Deque<CUdeviceptr>> free = new HashMap<>();
    /** Blocks written by the host while recording: constants every replay reads, never reused. */
    private final Set<CUdeviceptr> constants = Collections.newSetFromMap(new IdentityHashMap<>());
    private long bytes;
    private boolean closed;

    CapturePool(CudaDevice device, CUstream stream) {
        this.device = device;
        this.stream = stream;
    }

    CUstream getStream() {
        return stream;
    }

    synchronized DeviceMemory allocate(long size) {
        Deque<CUdeviceptr> q = free.get(size);
        CUdeviceptr ptr = q == null ? null : q.poll();
        if (ptr == null) {
            ptr = new CUdeviceptr();
            device.makeCurrent();
            check(JCudaDriver.cuMemAlloc(ptr, size), "cuMemAlloc(" + size + " bytes) for a graph capture");
            all.add(ptr);
            bytes += size;
        }
        return new DeviceMemory(device, ptr, size, stream, this);
    }

    /**
     * Marks a block as holding a constant of the graph (an upload made while recording): the
     * upload happened once, so the block must keep its value for every replay.
     */
    synchronized void pinConstant(CUdeviceptr ptr) {
        constants.add(ptr);
    }

    synchronized void recycle(CUdeviceptr ptr, long size) {
        if (!closed && !constants.contains(ptr)) {
            free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(ptr);
        }
    }

    synchronized long getBytes() {
        return bytes;
    }

    /** Frees every block, once the graph that uses them is gone. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        for (CUdeviceptr p : all) {
            check(JCudaDriver.cuMemFree(p), "cuMemFree(graph memory)");
        }
        all.clear();
        free.clear();
    }
}
