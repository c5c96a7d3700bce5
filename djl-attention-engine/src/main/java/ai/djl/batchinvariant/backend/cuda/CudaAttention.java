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
import ai.djl.batchinvariant.attention.RopeTable;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.backend.AttentionBackend;
import ai.djl.batchinvariant.engine.BiNDArray;
import ai.djl.batchinvariant.engine.BiNDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Batch attention on a CUDA device: the host turns a plan into work items (request, KV head, tile
 * of 64 packed query rows, KV chunk) and launches {@code bi_attention_*} over them, then {@code
 * bi_merge_*} for rows whose keys span several chunks. Only the work list depends on the batch;
 * what each row computes does not (see kernels/src/attention.cu).
 */
public final class CudaAttention implements AttentionBackend {

    /** The shared instance. */
    public static final CudaAttention INSTANCE = new CudaAttention();

    /** Packed query rows per thread block. */
    public static final int Q_TILE = 64;

    /** System property that fills outputs with NaN before each launch (tests). */
    public static final String POISON_PROPERTY = "ai.djl.batchinvariant.cuda.poison";

    private static final int THREADS = 128;
    private static final int MERGE_THREADS = 64;
    private static final int DISABLED_SPLIT = 1 << 30;

    private static final Map<RopeTable, Map<Integer, DeviceMemory[]>> ROPE = new WeakHashMap<>();

    private CudaAttention() {}

    /**
     * The chunk size the CUDA backend uses for a plan: the fixed size, one chunk, or (AUTO) a size
     * that gives about two work items per multiprocessor for this batch.
     *
     * @param plan the plan
     * @param device the device
     * @return tokens per chunk
     */
    public static int splitSize(BatchPlan plan, CudaDevice device) {
        SplitPolicy policy = plan.getSpec().getSplitPolicy();
        switch (policy.getKind()) {
            case FIXED:
                return policy.getSplitSize();
            case DISABLED:
                return DISABLED_SPLIT;
            default:
                int[] lens = new int[plan.getBatchSize()];
                for (int r = 0; r < lens.length; r++) {
                    lens[r] = plan.kvLen(r);
                }
                return Math.min(DISABLED_SPLIT, policy.splitSizeFor(lens, plan.getSpec().getNumKvHeads(),
                        2 * device.getSmCount()));
        }
    }

    static String suffix(DataType type, int headDim) {
        return (type == DataType.BFLOAT16 ? "bf16" : "f16") + "_d" + headDim;
    }

    static int smemBytes(int headDim) {
        return 5 * 64 * (headDim + 8) * 2;
    }

    /** {@inheritDoc} */
    @Override
    public AttentionOutput run(BatchPlan plan, BiNDArray q, BiNDArray k, BiNDArray v, KvLayout layout,
            int numPagesOrRows) {
        try (Launch launch = prepare(plan, q, k, v, layout)) {
            launch.launch(null);
            return launch.takeOutput();
        }
    }

    /**
     * Uploads a plan's work list and allocates its outputs, ready to launch (possibly several
     * times, e.g. for timing).
     *
     * @param plan the plan
     * @param q queries on the device
     * @param k keys (pool or ragged rows) on the device
     * @param v values on the device
     * @param layout the pool layout
     * @return the launch
     */
    public Launch prepare(BatchPlan plan, BiNDArray q, BiNDArray k, BiNDArray v, KvLayout layout) {
        return new Launch(plan, q, k, v, layout);
    }

    /**
     * Device tables of the rotary embedding for positions [0, n).
     *
     * @param table the table
     * @param device the device
     * @param n positions
     * @return {cos, sin}
     */
    static DeviceMemory[] rope(RopeTable table, CudaDevice device, int n) {
        synchronized (ROPE) {
            Map<Integer, DeviceMemory[]> perDevice = ROPE.computeIfAbsent(table, t -> new java.util.HashMap<>());
            DeviceMemory[] have = perDevice.get(device.getIndex());
            float[][] host = table.upTo(n);
            long bytes = (long) host[0].length * 4;
            if (have != null && have[0].getBytes() >= bytes) {
                return have;
            }
            DeviceMemory c = device.allocate(bytes);
            DeviceMemory s = device.allocate(bytes);
            device.upload(c.getPointer(), Pointer.to(host[0]), bytes);
            device.upload(s.getPointer(), Pointer.to(host[1]), bytes);
            DeviceMemory[] mem = {c, s};
            perDevice.put(device.getIndex(), mem);
            return mem;
        }
    }

    /** A prepared batch: work list and metadata on the device, outputs allocated. */
    public static final class Launch implements AutoCloseable {

        private final BatchPlan plan;
        private final BiNDArray q;
        private final CudaDevice device;
        private final CUfunction attention;
        private final CUfunction merge;
        private final int numItems;
        private final int mergeBlocks;
        private final int smem;
        private final DeviceMemory meta;
        private final DeviceMemory o;
        private final DeviceMemory lse;
        private final DeviceMemory partO;
        private final DeviceMemory partLse;
        private final long outWords;
        private final long lseWords;
        private final Pointer args;
        private boolean taken;

        Launch(BatchPlan plan, BiNDArray q, BiNDArray k, BiNDArray v, KvLayout layout) {
            this.plan = plan;
            this.q = q;
            AttentionSpec spec = plan.getSpec();
            int hq = spec.getNumQoHeads();
            int hkv = spec.getNumKvHeads();
            int d = spec.getHeadDim();
            int b = plan.getBatchSize();
            device = q.deviceMemory().getDevice();
            int split = splitSize(plan, device);
            String sfx = suffix(q.getDataType(), d);
            smem = smemBytes(d);
            attention = device.function("attention", "bi_attention_" + sfx, smem);
            merge = device.function("merge", "bi_merge_" + sfx, 0);

            WorkList work = new WorkList(plan, split, b);
            numItems = work.numItems;
            boolean anyMulti = work.anyMulti;
            int[] m = work.meta(plan, b, b, plan.isPaged() ? plan.getKvIndices().length : 0);
            int maxKv = work.maxKv;
            int[] partIndptr = work.partIndptr;
            meta = device.allocate((long) m.length * 4);
            device.upload(meta.getPointer(), Pointer.to(m), (long) m.length * 4);

            int total = plan.getTotalQo();
            outWords = (long) total * hq * d / 2;
            lseWords = (long) total * hq;
            o = device.allocate(Math.max(4, outWords * 4));
            lse = device.allocate(Math.max(4, lseWords * 4));
            long states = partIndptr[b];
            partO = anyMulti ? device.allocate(states * d * 4) : null;
            partLse = anyMulti ? device.allocate(states * 4) : null;
            mergeBlocks = anyMulti ? total * hq : 0;
            if (Boolean.getBoolean(POISON_PROPERTY)) {
                o.fill32(0xffffffff, outWords);
                lse.fill32(0xffffffff, lseWords);
                if (anyMulti) {
                    partO.fill32(0xffffffff, states * d);
                    partLse.fill32(0xffffffff, states);
                }
            }

            DeviceMemory[] rope = spec.getPosEncoding() == PosEncoding.ROPE_LLAMA
                    ? rope(spec.getRope(), device, maxKv)
                    : new DeviceMemory[] {meta, meta};
            args = kernelArgs(plan, layout, split, b, q.deviceMemory().getPointer(), k.deviceMemory().getPointer(),
                    v.deviceMemory().getPointer(), o, lse, partO, partLse, meta, work, rope);
        }

        /**
         * Returns the number of thread blocks of the attention kernel.
         *
         * @return work items
         */
        public int getNumItems() {
            return numItems;
        }

        /**
         * Launches the kernels (asynchronously) on a stream.
         *
         * @param stream the stream, or null for the default stream
         */
        public void launch(CUstream stream) {
            device.makeCurrent();
            if (numItems > 0) {
                check(JCudaDriver.cuLaunchKernel(attention, numItems, 1, 1, THREADS, 1, 1, smem, stream, args, null),
                        "cuLaunchKernel(attention, " + numItems + " blocks)");
            }
            if (mergeBlocks > 0) {
                check(JCudaDriver.cuLaunchKernel(merge, mergeBlocks, 1, 1, MERGE_THREADS, 1, 1, 0, stream, args, null),
                        "cuLaunchKernel(merge, " + mergeBlocks + " blocks)");
            }
        }

        /**
         * Hands the outputs over to arrays of q's manager (once).
         *
         * @return output and lse
         */
        public AttentionOutput takeOutput() {
            taken = true;
            AttentionSpec spec = plan.getSpec();
            int total = plan.getTotalQo();
            BiNDManager m = (BiNDManager) q.getManager();
            return new AttentionOutput(
                    m.wrapDevice(new Shape(total, spec.getNumQoHeads(), spec.getHeadDim()), q.getDataType(), o),
                    m.wrapDevice(new Shape(total, spec.getNumQoHeads()), DataType.FLOAT32, lse));
        }

        /** Frees the work list and workspace (and the outputs unless they were taken). */
        @Override
        public void close() {
            meta.release();
            if (partO != null) {
                partO.release();
                partLse.release();
            }
            if (!taken) {
                o.release();
                lse.release();
            }
        }
    }

    /**
     * The work list of a plan (items and per-request tables), laid out as the kernels read it from
     * one int buffer: [num_items, num_rows, -, -, items (4 ints each), qo_indptr, kv_indptr,
     * kv_indices, kv_lens, part_indptr, alibi slopes]. Capacities may exceed the plan (graphs):
     * the tables are then padded so that the padding is never read.
     */
    static final class WorkList {
        static final int ITEMS_AT = 4;
        final List<int[]> items = new ArrayList<>();
        final int[] partIndptr;
        final int numItems;
        final boolean anyMulti;
        final int maxKv;
        int qoAt;
        int kvAt;
        int idxAt;
        int lensAt;
        int partAt;
        int alibiAt;

        WorkList(BatchPlan plan, int split, int capacity) {
            AttentionSpec spec = plan.getSpec();
            int hq = spec.getNumQoHeads();
            int hkv = spec.getNumKvHeads();
            int b = plan.getBatchSize();
            int tokens = Q_TILE / (hq / hkv);
            partIndptr = new int[capacity + 1];
            boolean multi = false;
            int mk = 1;
            for (int r = 0; r < b; r++) {
                int qoLen = plan.qoLen(r);
                int kvLen = plan.kvLen(r);
                mk = Math.max(mk, kvLen);
                int nsplits = (int) ((kvLen + (long) split - 1) / split);
                partIndptr[r + 1] = partIndptr[r] + (nsplits > 1 ? qoLen * hq * nsplits : 0);
                multi |= nsplits > 1;
                for (int t0 = 0; t0 < qoLen; t0 += tokens) {
                    int uLo = Integer.MAX_VALUE;
                    int uHi = 0;
                    for (int t = t0; t < Math.min(qoLen, t0 + tokens); t++) {
                        int[] range = visible(spec, qoLen, kvLen, t);
                        if (range[0] < range[1]) {
                            uLo = Math.min(uLo, range[0]);
                            uHi = Math.max(uHi, range[1]);
                        }
                    }
                    int s0 = uLo < uHi ? uLo / split : 0;
                    int s1 = uLo < uHi ? (uHi - 1) / split : 0;
                    for (int s = s0; s <= s1; s++) {
                        for (int h = 0; h < hkv; h++) {
                            items.add(new int[] {r, h, t0, s});
                        }
                    }
                }
            }
            for (int r = b; r < capacity; r++) {
                partIndptr[r + 1] = partIndptr[r];
            }
            numItems = items.size();
            anyMulti = multi;
            maxKv = mk;
        }

        /** Builds the int buffer for item capacity, request capacity and page capacity. */
        int[] meta(BatchPlan plan, int itemCapacity, int capacity, int pageCapacity) {
            int b = plan.getBatchSize();
            int hq = plan.getSpec().getNumQoHeads();
            int[] indices = plan.isPaged() ? plan.getKvIndices() : new int[0];
            int cap = Math.max(itemCapacity, numItems);
            qoAt = ITEMS_AT + 4 * cap;
            kvAt = qoAt + capacity + 1;
            idxAt = kvAt + capacity + 1;
            lensAt = idxAt + Math.max(pageCapacity, indices.length);
            partAt = lensAt + capacity;
            alibiAt = partAt + capacity + 1;
            int[] m = new int[alibiAt + hq];
            m[0] = numItems;
            m[1] = plan.getTotalQo();
            for (int i = 0; i < numItems; i++) {
                System.arraycopy(items.get(i), 0, m, ITEMS_AT + 4 * i, 4);
            }
            int total = plan.getTotalQo();
            for (int r = 0; r <= capacity; r++) {
                m[qoAt + r] = r < b ? plan.qoStart(r) : total;
                m[kvAt + r] = r < b ? plan.kvStart(r) : 0;
                m[partAt + r] = partIndptr[r];
            }
            System.arraycopy(indices, 0, m, idxAt, indices.length);
            for (int r = 0; r < capacity; r++) {
                m[lensAt + r] = r < b ? plan.kvLen(r) : 1;
            }
            for (int h = 0; h < hq; h++) {
                m[alibiAt + h] = Float.floatToRawIntBits(plan.getSpec().alibiSlope(h));
            }
            return m;
        }
    }

    /**
     * The kernels' arguments, in the order of BI_ATTN_PARAMS (kernels/include/bi/attention_params.cuh).
     */
    static Pointer kernelArgs(BatchPlan plan, KvLayout layout, int split, int batchArg, CUdeviceptr q,
            CUdeviceptr k, CUdeviceptr v, DeviceMemory o, DeviceMemory lse, DeviceMemory partO,
            DeviceMemory partLse, DeviceMemory meta, WorkList work, DeviceMemory[] rope) {
        AttentionSpec spec = plan.getSpec();
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        int ps = plan.getPageSize();
        int strideSlot;
        int stridePage;
        int strideHead;
        if (!plan.isPaged()) {
            stridePage = 0;
            strideSlot = hkv * d;
            strideHead = d;
        } else if (layout == KvLayout.NHD) {
            stridePage = ps * hkv * d;
            strideSlot = hkv * d;
            strideHead = d;
        } else {
            stridePage = hkv * ps * d;
            strideSlot = d;
            strideHead = ps * d;
        }
        int posMode = spec.getPosEncoding() == PosEncoding.ROPE_LLAMA ? 1
                : spec.getPosEncoding() == PosEncoding.ALIBI ? 2 : 0;
        CUdeviceptr none = meta.getPointer();
        return Pointer.to(
                Pointer.to(q),
                Pointer.to(k),
                Pointer.to(v),
                Pointer.to(o.getPointer()),
                Pointer.to(lse.getPointer()),
                Pointer.to(partO != null ? partO.getPointer() : none),
                Pointer.to(partLse != null ? partLse.getPointer() : none),
                Pointer.to(meta.at(WorkList.ITEMS_AT * 4L)),
                Pointer.to(meta.at(0)),
                Pointer.to(meta.at(work.qoAt * 4L)),
                Pointer.to(meta.at(work.kvAt * 4L)),
                Pointer.to(meta.at(work.idxAt * 4L)),
                Pointer.to(meta.at(work.lensAt * 4L)),
                Pointer.to(meta.at(work.partAt * 4L)),
                Pointer.to(rope[0].getPointer()),
                Pointer.to(rope[1].getPointer()),
                Pointer.to(meta.at(work.alibiAt * 4L)),
                Pointer.to(meta.at(4)),
                Pointer.to(new int[] {plan.isPaged() ? 1 : 0}),
                Pointer.to(new int[] {ps}),
                Pointer.to(new int[] {stridePage}),
                Pointer.to(new int[] {strideSlot}),
                Pointer.to(new int[] {strideHead}),
                Pointer.to(new int[] {hq}),
                Pointer.to(new int[] {hkv}),
                Pointer.to(new int[] {split}),
                Pointer.to(new int[] {spec.isCausal() ? 1 : 0}),
                Pointer.to(new int[] {spec.getWindowLeft()}),
                Pointer.to(new int[] {posMode}),
                Pointer.to(new float[] {spec.getSmScale()}),
                Pointer.to(new float[] {spec.getLogitsSoftCap()}),
                Pointer.to(new int[] {batchArg}));
    }

    /** [lo, hi): the KV positions row {@code token} may see (as the kernels compute it). */
    static int[] visible(AttentionSpec spec, int qoLen, int kvLen, int token) {
        int pos = kvLen - qoLen + token;
        int hi = spec.isCausal() ? Math.min(pos + 1, kvLen) : kvLen;
        int lo = spec.getWindowLeft() >= 0 ? Math.max(0, pos - spec.getWindowLeft()) : 0;
        return new int[] {lo, Math.max(hi, lo)};
    }
}
