/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.Tensor;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * A decode step (attention + merge) captured once as a CUDA graph for a maximum batch and KV
 * length, and replayed for any smaller batch: the grid covers the capacity and blocks past the
 * batch's work list exit at once. The kernels and their per-row arithmetic are the eager ones, so
 * replay gives bitwise the eager results. Needs a FIXED or DISABLED split: AUTO sizes chunks per
 * batch, which a captured launch cannot follow.
 */
final class CudaDecodeGraph implements AttentionOps.DecodeStep {

    private final AttentionConfig spec;
    private final CudaDevice device;
    private final DataType type;
    private final int capBatch;
    private final int maxKvLen;
    private final int capItems;
    private final int capPages;
        private final int pageSize;
    private final int split;
    private final DeviceMemory meta;
    private final DeviceMemory qBuf;
    private final DeviceMemory oBuf;
    private final DeviceMemory lseBuf;
    private final DeviceMemory partO;
    private final DeviceMemory partLse;
    private final CUstream stream;
    private final CUgraph graph = new CUgraph();
    private final CUgraphExec exec = new CUgraphExec();
    private final int metaInts;
    private final CudaAttention.WorkTable table;
    private AttentionWork uploaded;

    /**
     * Captures the graph.
     *
     * @param spec the attention configuration (FIXED or DISABLED split)
     * @param keys the cache's key pool (on a GPU)
     * @param values the cache's value pool
     * @param layout the pool layout
     * @param pageSize tokens per page
     * @param maxBatch requests per step, at most
     * @param maxKvLen KV length per request, at most
     */
    CudaDecodeGraph(AttentionConfig spec, Tensor keys, Tensor values, boolean hnd, int split, int pageSize,
            int maxBatch, int maxKvLen) {
        if (maxBatch < 1 || maxKvLen < 1 || maxKvLen >= AttentionWork.NO_SPLIT) {
            throw new IllegalArgumentException("maxBatch=" + maxBatch + " and maxKvLen=" + maxKvLen
                    + " must be positive (maxKvLen below " + AttentionWork.NO_SPLIT + ")");
        }
        this.spec = spec;
        this.device = CudaBackend.device(keys);
        this.type = keys.getDataType();
        this.capBatch = maxBatch;
        this.maxKvLen = maxKvLen;
        this.pageSize = pageSize;
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        this.split = split;
        int maxSplits = (int) ((maxKvLen + (long) split - 1) / split);
        capItems = maxBatch * hkv * maxSplits;
        capPages = maxBatch * ((maxKvLen + pageSize - 1) / pageSize);
        // a one-request plan fixes the table offsets, which depend on the capacities only
        AttentionWork probe = new AttentionWork(spec, true, pageSize, new int[] {0, 1}, new int[] {0, 1},
                new int[] {0}, new int[] {1}, split);
        table = new CudaAttention.WorkTable(probe, capItems, capBatch, capPages);
        int[] m = table.encode(probe);
        metaInts = m.length;
        meta = device.allocate((long) m.length * 4);
        device.upload(meta.getPointer(), Pointer.to(m), (long) m.length * 4);
        qBuf = device.allocate((long) maxBatch * hq * d * 2);
        oBuf = device.allocate((long) maxBatch * hq * d * 2);
        lseBuf = device.allocate((long) maxBatch * hq * 4);
        long states = (long) maxBatch * hq * maxSplits;
        partO = device.allocate(states * d * 4);
        partLse = device.allocate(states * 4);
        DeviceMemory[] rope = spec.rotatesQueries()
                ? CudaAttention.rope(spec.getRope(), device, maxKvLen)
                : new DeviceMemory[] {meta, meta};
        Params args = CudaAttention.kernelArgs(probe, hnd, capBatch, qBuf.getPointer(),
                keys, values, oBuf, lseBuf, partO,
                partLse, meta, table, rope);
        CudaAttention.Kernel attention = CudaAttention.kernel(device, probe, type);
        CUfunction merge = device.function(Abi.MODULE_MERGE, Abi.mergeKernel(type, d), 0);
        stream = device.getCaptureStream();
        device.makeCurrent();
        check(JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        CudaAttention.launchPair(device, attention, capItems, merge, capBatch * hq, stream, args);
        check(JCudaDriver.cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        check(JCudaDriver.cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
    }

    /**
     * Replays the step for a decode plan.
     *
     * @param plan a decode plan (one query row per request) within the captured capacity
     * @param q queries (batch, num_qo_heads, head_dim) on the graph's device
     * @return output and lse, new arrays of q's manager
     */
    @Override
    public synchronized Tensor[] run(AttentionWork plan, Tensor q) {
        int b = plan.getBatchSize();
        if (plan.getConfig() != spec) {
            throw new IllegalArgumentException("plan was made for another spec than the graph's");
        }
        if (plan.getSplitSize() != split) {
            throw new IllegalArgumentException("plan split size " + plan.getSplitSize() + " differs from the captured "
                    + split);
        }
        if (b > capBatch) {
            throw new IllegalArgumentException("batch size " + b + " exceeds the captured maximum " + capBatch);
        }
        if (!plan.isPaged() || plan.getPageSize() != pageSize) {
            throw new IllegalArgumentException("the graph replays paged plans with page_size=" + pageSize);
        }
        for (int r = 0; r < b; r++) {
            if (plan.qoLen(r) != 1) {
                throw new IllegalArgumentException("request " + r + " has qo_len " + plan.qoLen(r)
                        + ": the graph replays decode steps (one query row per request)");
            }
            if (plan.kvLen(r) > maxKvLen) {
                throw new IllegalArgumentException("request " + r + " has kv_len " + plan.kvLen(r)
                        + " > the captured maximum " + maxKvLen);
            }
        }
        int hq = spec.getNumQoHeads();
        int d = spec.getHeadDim();
        device.makeCurrent();
        if (plan != uploaded) {
            // the same plan replayed by every layer is uploaded once
            int[] m = table.encode(plan);
            if (m.length != metaInts) {
                throw new IllegalStateException("work list layout changed: " + m.length + " != " + metaInts);
            }
            check(JCudaDriver.cuMemcpyHtoDAsync(meta.getPointer(), Pointer.to(m), (long) m.length * 4, stream),
                    "cuMemcpyHtoDAsync(work list)");
            uploaded = plan;
        }
        long qBytes = (long) b * hq * d * 2;
        DeviceMemory qm = CudaBackend.memory(q);
        device.await(stream, qm);
        check(JCudaDriver.cuMemcpyDtoDAsync(qBuf.getPointer(), qm.getPointer(), qBytes, stream), "cuMemcpyDtoDAsync(q)");
        if (Boolean.getBoolean(CudaAttention.POISON_PROPERTY)) {
            check(JCudaDriver.cuMemsetD32Async(oBuf.getPointer(), 0xffffffff, qBytes / 4, stream), "cuMemsetD32Async");
            check(JCudaDriver.cuMemsetD32Async(lseBuf.getPointer(), 0xffffffff, (long) b * hq, stream),
                    "cuMemsetD32Async");
        }
        check(JCudaDriver.cuGraphLaunch(exec, stream), "cuGraphLaunch");
        DeviceMemory o = device.allocate(qBytes);
        DeviceMemory lse = device.allocate((long) b * hq * 4);
        check(JCudaDriver.cuMemcpyDtoDAsync(o.getPointer(), oBuf.getPointer(), qBytes, stream), "cuMemcpyDtoDAsync(o)");
        check(JCudaDriver.cuMemcpyDtoDAsync(lse.getPointer(), lseBuf.getPointer(), (long) b * hq * 4, stream),
                "cuMemcpyDtoDAsync(lse)");
        // the host array m above must outlive the async copy, and the next replay reuses the buffers
        check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        return new Tensor[] {
            Tensor.device(new Shape(b, hq, d), type, o), Tensor.device(new Shape(b, hq), DataType.FLOAT32, lse)
        };
    }

    @Override
    public synchronized void close() {
        device.makeCurrent();
        // a replay may still read the buffers released below
        check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        JCudaDriver.cuGraphExecDestroy(exec);
        JCudaDriver.cuGraphDestroy(graph);
        meta.release();
        qBuf.release();
        oBuf.release();
        lseBuf.release();
        partO.release();
        partLse.release();
    }
}
