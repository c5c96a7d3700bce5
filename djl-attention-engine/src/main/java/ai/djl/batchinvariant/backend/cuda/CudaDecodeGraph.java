/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PosEncoding;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.engine.BiNDArray;
import ai.djl.batchinvariant.engine.BiNDManager;
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
public final class CudaDecodeGraph implements AutoCloseable {

    private final AttentionSpec spec;
    private final CudaDevice device;
    private final DataType type;
    private final int capBatch;
    private final int maxKvLen;
    private final int capItems;
    private final int capPages;
    private final int split;
    private final int pageSize;
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
    public CudaDecodeGraph(AttentionSpec spec, BiNDArray keys, BiNDArray values, KvLayout layout, int pageSize,
            int maxBatch, int maxKvLen) {
        if (spec.getSplitPolicy().getKind() == SplitPolicy.Kind.AUTO) {
            throw new IllegalArgumentException("split_policy=AUTO cannot be captured in a CUDA graph: it sizes chunks"
                    + " per batch; use SplitPolicy.fixed(size) or SplitPolicy.disabled()");
        }
        if (maxBatch < 1 || maxKvLen < 1) {
            throw new IllegalArgumentException("maxBatch=" + maxBatch + " and maxKvLen=" + maxKvLen + " must be positive");
        }
        this.spec = spec;
        this.device = keys.deviceMemory().getDevice();
        this.type = keys.getDataType();
        this.capBatch = maxBatch;
        this.maxKvLen = maxKvLen;
        this.pageSize = pageSize;
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        split = spec.getSplitPolicy().getKind() == SplitPolicy.Kind.FIXED ? spec.getSplitPolicy().getSplitSize() : 1 << 30;
        int maxSplits = (int) ((maxKvLen + (long) split - 1) / split);
        capItems = maxBatch * hkv * maxSplits;
        capPages = maxBatch * ((maxKvLen + pageSize - 1) / pageSize);
        // a one-request plan fixes the table offsets, which depend on the capacities only
        BatchPlan probe = new ai.djl.batchinvariant.attention.BatchAttention(spec)
                .planDecode(new int[] {0, 1}, new int[] {0}, new int[] {1}, pageSize);
        CudaAttention.WorkList work = new CudaAttention.WorkList(probe, split, capBatch);
        int[] m = work.meta(probe, capItems, capBatch, capPages);
        metaInts = m.length;
        meta = device.allocate((long) m.length * 4);
        device.upload(meta.getPointer(), Pointer.to(m), (long) m.length * 4);
        qBuf = device.allocate((long) maxBatch * hq * d * 2);
        oBuf = device.allocate((long) maxBatch * hq * d * 2);
        lseBuf = device.allocate((long) maxBatch * hq * 4);
        long states = (long) maxBatch * hq * maxSplits;
        partO = device.allocate(states * d * 4);
        partLse = device.allocate(states * 4);
        DeviceMemory[] rope = spec.getPosEncoding() == PosEncoding.ROPE_LLAMA
                ? CudaAttention.rope(spec.getRope(), device, maxKvLen)
                : new DeviceMemory[] {meta, meta};
        Pointer args = CudaAttention.kernelArgs(probe, layout, split, capBatch, qBuf.getPointer(),
                keys.deviceMemory().getPointer(), values.deviceMemory().getPointer(), oBuf, lseBuf, partO, partLse,
                meta, work, rope);
        String sfx = CudaAttention.suffix(type, d);
        int smem = CudaAttention.smemBytes(d);
        CUfunction attention = device.function("attention", "bi_attention_" + sfx, smem);
        CUfunction merge = device.function("merge", "bi_merge_" + sfx, 0);
        stream = device.getCaptureStream();
        device.makeCurrent();
        check(JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        check(JCudaDriver.cuLaunchKernel(attention, capItems, 1, 1, 128, 1, 1, smem, stream, args, null),
                "cuLaunchKernel(attention) during capture");
        check(JCudaDriver.cuLaunchKernel(merge, capBatch * hq, 1, 1, 64, 1, 1, 0, stream, args, null),
                "cuLaunchKernel(merge) during capture");
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
    public AttentionOutput run(BatchPlan plan, BiNDArray q) {
        int b = plan.getBatchSize();
        if (plan.getSpec() != spec) {
            throw new IllegalArgumentException("plan was made for another spec than the graph's");
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
        CudaAttention.WorkList work = new CudaAttention.WorkList(plan, split, capBatch);
        int[] m = work.meta(plan, capItems, capBatch, capPages);
        if (m.length != metaInts) {
            throw new IllegalStateException("work list layout changed: " + m.length + " != " + metaInts);
        }
        device.upload(meta.getPointer(), Pointer.to(m), (long) m.length * 4);
        long qBytes = (long) b * hq * d * 2;
        qBuf.copyFrom(q.deviceMemory(), 0, 0, qBytes);
        if (Boolean.getBoolean(CudaAttention.POISON_PROPERTY)) {
            oBuf.fill32(0xffffffff, qBytes / 4);
            lseBuf.fill32(0xffffffff, (long) b * hq);
        }
        device.makeCurrent();
        check(JCudaDriver.cuGraphLaunch(exec, stream), "cuGraphLaunch");
        check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        DeviceMemory o = device.allocate(qBytes);
        DeviceMemory lse = device.allocate((long) b * hq * 4);
        o.copyFrom(oBuf, 0, 0, qBytes);
        lse.copyFrom(lseBuf, 0, 0, (long) b * hq * 4);
        BiNDManager mgr = (BiNDManager) q.getManager();
        return new AttentionOutput(mgr.wrapDevice(new Shape(b, hq, d), type, o),
                mgr.wrapDevice(new Shape(b, hq), DataType.FLOAT32, lse));
    }

    /** Frees the graph and its buffers. */
    @Override
    public void close() {
        device.makeCurrent();
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
