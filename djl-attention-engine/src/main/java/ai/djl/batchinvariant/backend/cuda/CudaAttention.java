/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.DecodeBuffers;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Attn;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.lang.ref.Cleaner;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Batch attention on a CUDA device: the host turns a plan into work items (request, KV head, tile
 * of 64 packed query rows, KV chunk) and launches {@code bi_attention_*} over them, then {@code
 * bi_merge_*} for rows whose keys span several chunks. Only the work list depends on the batch;
 * what each row computes does not (see kernels/src/attention.cu).
 */
public final class CudaAttention implements AttentionOps {

    /** The shared instance. */
    public static final CudaAttention INSTANCE = new CudaAttention();

    /** Set to "true" to fill outputs with NaN bits before every launch (tests). */
    public static final String POISON_PROPERTY = "ai.djl.batchinvariant.cuda.poison";

    static final int THREADS = 128;
    /** The Hopper kernel's block: a warpgroup that multiplies and one that copies K and V. */
    static final int SM90_THREADS = 256;
    static final int MERGE_THREADS = 64;

    private static final Map<RopeTable, Map<Integer, DeviceMemory[]>> ROPE = new WeakHashMap<>();
    private static final Cleaner CLEANER = Cleaner.create();
    private static final java.util.concurrent.atomic.AtomicLong UPLOADS = new java.util.concurrent.atomic.AtomicLong();

    private CudaAttention() {}

    /**
     * The attention kernel of a (device, dtype, head_dim) and its dynamic shared memory: the Hopper
     * family (attention_sm90.cu) on compute capability 9.0 unless {@code cuda_sm90} is false, the
     * sm_80 family (attention.cu) elsewhere. Every attention launch, eager or captured, takes it
     * from here, so prefill and decode on one device always run the same kernel family.
     *
     * @param function the kernel
     * @param smem its dynamic shared memory in bytes
     * @param waits whether it waits for the kernel ahead before touching its output (so may be
     *     launched as a dependent: DependentLaunch)
     * @param threads its block
     */
    record Kernel(CUfunction function, int smem, boolean waits, int threads) {

        /**
         * Prepares its launches: dependent ones where the device allows them (it waits for the
         * kernel ahead only in the Hopper family), else ordinary ones.
         *
         * @param device the kernel's device
         * @param blocks the work items
         * @param args the params struct
         * @return the launch
         */
        DependentLaunch.KernelLaunch prepare(CudaDevice device, int blocks, Params args) {
            return DependentLaunch.prepare(device, function, blocks, threads, smem, args, waits,
                    "attention, " + blocks + " blocks");
        }
    }

    /**
     * Returns the attention kernel for a plan's runs on a device.
     *
     * @param device the device
     * @param plan the plan (head dim, paging, page size)
     * @param type the element type
     * @return the kernel
     */
    static Kernel kernel(CudaDevice device, AttentionWork plan, DataType type) {
        int headDim = plan.getConfig().getHeadDim();
        if (device.hopperKernels()) {
            int smem = sm90SharedBytes(headDim);
            return new Kernel(device.function(Abi.MODULE_ATTENTION_SM90,
                    Abi.attention90Kernel(type, headDim, pageRuns(plan)), smem), smem, true, SM90_THREADS);
        }
        int smem = 5 * 64 * (headDim + 8) * 2;
        return new Kernel(device.function(Abi.MODULE_ATTENTION, Abi.attentionKernel(type, headDim), smem), smem,
                false, THREADS);
    }

    /**
     * Tells whether a plan's KV tiles are copied as runs of 16 rows of one page (the Hopper
     * kernel's {@code pages16} variant): a paged pool whose page size is a multiple of 16, so that
     * 16 consecutive positions starting at a multiple of 16 never leave their page.
     *
     * @param plan the plan
     * @return true for the page-run variant
     */
    static boolean pageRuns(AttentionWork plan) {
        return plan.isPaged() && plan.getPageSize() % 16 == 0;
    }

    /**
     * Returns the Hopper kernel's dynamic shared memory (attention_sm90.cu's H90): the query tile
     * and as many stages of K and V tiles (at most 4) as fit 100 KB (head_dim up to 128, two
     * blocks per SM) or 200 KB (256, one), plus 1 KB for the swizzle's alignment.
     *
     * @param headDim the head dimension
     * @return bytes
     */
    static int sm90SharedBytes(int headDim) {
        int tile = 64 * headDim * 2;
        int budget = headDim <= 128 ? 100 * 1024 : 200 * 1024;
        int stages = Math.min(4, (budget - tile) / (2 * tile));
        return tile + stages * 2 * tile + 1024;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] attention(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd) {
        try (Launch launch = prepare(work, q, k, v, hnd)) {
            CUstream stream = launch.device.getStream();
            launch.device.await(stream, CudaBackend.memory(q), CudaBackend.memory(k), CudaBackend.memory(v));
            launch.launch(stream);
            return launch.takeOutput();
        }
    }

    /**
     * Prepares a launch without running it (benchmarks time {@link Launch#launch} alone).
     *
     * @param work the plan's work
     * @param q queries on a GPU
     * @param k the key pool or rows, same GPU
     * @param v the value pool or rows, same GPU
     * @param hnd the pool layout
     * @return the launch, to close after use
     */
    public Launch prepare(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd) {
        return new Launch(work, q, k, v, hnd);
    }

    /** {@inheritDoc} */
    @Override
    public void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool, long[] offsets, int headDim,
            RopeTable rope, int[] positions) {
        CudaKvAppend.run(k, v, keyPool, valuePool, offsets, headDim, rope, positions);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] mergeStates(Tensor v, Tensor s) {
        throw Unsupported.op("MergeStates.merge", v.getDevice());
    }

    /** {@inheritDoc} */
    @Override
    public DecodeStep captureDecode(AttentionConfig config, Tensor keyPool, Tensor valuePool, boolean hnd,
            int splitSize, int pageSize, int maxBatch, int maxKvLen) {
        return new CudaDecodeGraph(config, keyPool, valuePool, hnd, splitSize, pageSize, maxBatch, maxKvLen);
    }

    /** {@inheritDoc} */
    @Override
    public DecodeBuffers decodeBuffers(AttentionConfig config, Tensor keyPool, int splitSize, int pageSize,
            int capacity, int maxKvTokens, int maxPages) {
        return new CudaDecodeBuffers(config, keyPool, splitSize, pageSize, capacity, maxKvTokens, maxPages);
    }

    static DeviceMemory[] rope(RopeTable table, CudaDevice device, int n) {
        synchronized (ROPE) {
            Map<Integer, DeviceMemory[]> perDevice = ROPE.computeIfAbsent(table, t -> new HashMap<>());
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

    /**
     * A plan's work list on one device, uploaded once and reused by every run of the plan (every
     * layer); freed when the plan is garbage.
     */
    static final class Uploaded {
        final WorkTable table;
        final DeviceMemory meta;

        Uploaded(WorkTable table, DeviceMemory meta) {
            this.table = table;
            this.meta = meta;
        }
    }

    /**
     * Counts work-list uploads since start (a diagnostic: a plan run by many layers counts once).
     *
     * @return uploads
     */
    public static long workListUploads() {
        return UPLOADS.get();
    }

    static Uploaded upload(AttentionWork work, CudaDevice device) {
        return work.derived(device, key -> {
            WorkTable table = new WorkTable(work, work.getNumItems(), work.getBatchSize(), work.kvIndices().length);
            int[] m = table.encode(work);
            DeviceMemory meta = device.allocate((long) m.length * 4);
            device.upload(meta.getPointer(), Pointer.to(m), (long) m.length * 4);
            CLEANER.register(work, meta::release);
            UPLOADS.incrementAndGet();
            return new Uploaded(table, meta);
        });
    }

    /** One prepared attention launch: outputs allocated, arguments bound. */
    public static final class Launch implements AutoCloseable {

        private final AttentionWork work;
        private final Tensor q;
        final CudaDevice device;
        private final DependentLaunch.KernelLaunch attention;
        private final DependentLaunch.KernelLaunch merge;
        private final int numItems;
        private final int mergeBlocks;
        private final DeviceMemory o;
        private final DeviceMemory lse;
        private final DeviceMemory partO;
        private final DeviceMemory partLse;
        private boolean taken;

        Launch(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd) {
            this.work = work;
            this.q = q;
            AttentionConfig spec = work.getConfig();
            int hq = spec.getNumQoHeads();
            int d = spec.getHeadDim();
            device = CudaBackend.device(q);
            Kernel kernel = kernel(device, work, q.getDataType());
            CUfunction mergeFunction = device.function(Abi.MODULE_MERGE, Abi.mergeKernel(q.getDataType(), d), 0);
            Uploaded up = upload(work, device);
            numItems = work.getNumItems();
            boolean anyMulti = work.hasMultiChunk();
            int total = work.getTotalQo();
            long outWords = (long) total * hq * d / 2;
            long lseWords = (long) total * hq;
            o = device.allocate(Math.max(4, outWords * 4));
            lse = device.allocate(Math.max(4, lseWords * 4));
            long states = work.partIndptr()[work.getBatchSize()];
            partO = anyMulti ? device.allocate(states * d * 4) : null;
            partLse = anyMulti ? device.allocate(states * 4) : null;
            mergeBlocks = anyMulti ? work.getMergeRows() * hq : 0;
            if (Boolean.getBoolean(POISON_PROPERTY)) {
                o.fill32(0xffffffff, outWords);
                lse.fill32(0xffffffff, lseWords);
                if (anyMulti) {
                    partO.fill32(0xffffffff, states * d);
                    partLse.fill32(0xffffffff, states);
                }
            }
            DeviceMemory[] rope = spec.rotatesQueries()
                    ? rope(spec.getRope(), device, work.getMaxKvLen())
                    : new DeviceMemory[] {up.meta, up.meta};
            Params args = kernelArgs(work, hnd, work.getBatchSize(), CudaBackend.memory(q).getPointer(), k, v, o,
                    lse, partO, partLse, up.meta, up.table, rope);
            attention = numItems > 0 ? kernel.prepare(device, numItems, args) : null;
            merge = mergeBlocks > 0 ? prepareMerge(device, mergeFunction, mergeBlocks, args) : null;
        }

        /**
         * Returns the number of attention blocks.
         *
         * @return work items
         */
        public int getNumItems() {
            return numItems;
        }

        /**
         * Launches the attention and merge kernels.
         *
         * @param stream the stream
         */
        public void launch(CUstream stream) {
            device.makeCurrent();
            if (attention != null) {
                attention.launch(stream);
            }
            if (merge != null) {
                merge.launch(stream);
            }
        }

        /**
         * Hands over the outputs.
         *
         * @return {output, lse}
         */
        public Tensor[] takeOutput() {
            taken = true;
            AttentionConfig spec = work.getConfig();
            int total = work.getTotalQo();
            return new Tensor[] {
                Tensor.device(new Shape(total, spec.getNumQoHeads(), spec.getHeadDim()), q.getDataType(), o),
                Tensor.device(new Shape(total, spec.getNumQoHeads()), DataType.FLOAT32, lse)
            };
        }

        /** {@inheritDoc} */
        @Override
        public void close() {
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
     * The device layout of a work list: items, then the per-request tables, at offsets fixed by
     * capacities (a graph captures the offsets once and replays with other plans).
     */
    static final class WorkTable {
        static final int ITEMS_AT = 4;
        final int itemCapacity;
        final int capacity;
        final int qoAt;
        final int kvAt;
        final int idxAt;
        final int lensAt;
        final int partAt;
        final int mergeAt;
        final int alibiAt;
        final int ints;

        WorkTable(AttentionWork work, int itemCapacity, int capacity, int pageCapacity) {
            this.itemCapacity = Math.max(itemCapacity, work.getNumItems());
            this.capacity = capacity;
            qoAt = ITEMS_AT + AttentionWork.ITEM_INTS * this.itemCapacity;
            kvAt = qoAt + capacity + 1;
            idxAt = kvAt + capacity + 1;
            lensAt = idxAt + Math.max(pageCapacity, work.kvIndices().length);
            partAt = lensAt + capacity;
            mergeAt = partAt + capacity + 1;
            alibiAt = mergeAt + capacity + 1;
            ints = alibiAt + work.getConfig().getNumQoHeads();
        }

        int[] encode(AttentionWork work) {
            int b = work.getBatchSize();
            int hq = work.getConfig().getNumQoHeads();
            int[] indices = work.kvIndices();
            int[] m = new int[ints];
            m[0] = work.getNumItems();
            m[1] = work.getMergeRows();
            System.arraycopy(work.items(), 0, m, ITEMS_AT, work.items().length);
            int total = work.getTotalQo();
            int[] part = work.partIndptr();
            int[] merge = work.mergeIndptr();
            for (int r = 0; r <= capacity; r++) {
                m[qoAt + r] = r < b ? work.qoStart(r) : total;
                m[kvAt + r] = r < b ? work.kvStart(r) : 0;
                m[partAt + r] = r <= b ? part[r] : part[b];
                m[mergeAt + r] = r <= b ? merge[r] : merge[b];
            }
            System.arraycopy(indices, 0, m, idxAt, indices.length);
            for (int r = 0; r < capacity; r++) {
                m[lensAt + r] = r < b ? work.kvLen(r) : 1;
            }
            for (int h = 0; h < hq; h++) {
                m[alibiAt + h] = Float.floatToRawIntBits(work.getConfig().alibiSlope(h));
            }
            return m;
        }
    }

    /**
     * Prepares the merge launch (it waits for the attention kernel ahead, so it is launched as
     * that kernel's dependent where the device allows it).
     *
     * @param device the device
     * @param merge the merge kernel
     * @param blocks its blocks
     * @param args the params struct the attention kernel takes too
     * @return the launch
     */
    static DependentLaunch.KernelLaunch prepareMerge(CudaDevice device, CUfunction merge, int blocks, Params args) {
        return DependentLaunch.prepare(device, merge, blocks, MERGE_THREADS, 0, args, true,
                "merge, " + blocks + " blocks");
    }

    /**
     * Launches an attention kernel and the merge after it once (decode buffers, capture).
     *
     * @param device the device
     * @param attention the attention kernel
     * @param items its blocks
     * @param merge the merge kernel
     * @param mergeBlocks its blocks
     * @param stream the stream (may be capturing)
     * @param args the params struct both kernels take
     */
    static void launchPair(CudaDevice device, Kernel attention, int items, CUfunction merge, int mergeBlocks,
            CUstream stream, Params args) {
        device.makeCurrent();
        attention.prepare(device, items, args).launch(stream);
        prepareMerge(device, merge, mergeBlocks, args).launch(stream);
    }

    static Params kernelArgs(AttentionWork plan, boolean hnd, int batchArg, CUdeviceptr q,
            Tensor k, Tensor v, DeviceMemory o, DeviceMemory lse, DeviceMemory partO,
            DeviceMemory partLse, DeviceMemory meta, WorkTable work, DeviceMemory[] rope) {
        AttentionConfig spec = plan.getConfig();
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
        } else if (!hnd) {
            stridePage = ps * hkv * d;
            strideSlot = hkv * d;
            strideHead = d;
        } else {
            stridePage = hkv * ps * d;
            strideSlot = d;
            strideHead = ps * d;
        }
        CUdeviceptr none = meta.getPointer();
        byte[][] maps = poolMaps(plan, k, v, strideSlot);
        Params args = Abi.ATTN.newParams()
                .ptr(Attn.Q, q)
                .ptr(Attn.K, CudaBackend.memory(k).getPointer())
                .ptr(Attn.V, CudaBackend.memory(v).getPointer())
                .ptr(Attn.O, o.getPointer())
                .ptr(Attn.LSE, lse.getPointer())
                .ptr(Attn.PART_O, partO != null ? partO.getPointer() : none)
                .ptr(Attn.PART_LSE, partLse != null ? partLse.getPointer() : none)
                .ptr(Attn.ITEMS, meta.at(WorkTable.ITEMS_AT * 4L))
                .ptr(Attn.NUM_ITEMS, meta.at(0))
                .ptr(Attn.QO_INDPTR, meta.at(work.qoAt * 4L))
                .ptr(Attn.KV_INDPTR, meta.at(work.kvAt * 4L))
                .ptr(Attn.KV_INDICES, meta.at(work.idxAt * 4L))
                .ptr(Attn.KV_LENS, meta.at(work.lensAt * 4L))
                .ptr(Attn.PART_INDPTR, meta.at(work.partAt * 4L))
                .ptr(Attn.MERGE_INDPTR, meta.at(work.mergeAt * 4L))
                .ptr(Attn.ROPE_COS, rope[0].getPointer())
                .ptr(Attn.ROPE_SIN, rope[1].getPointer())
                .ptr(Attn.ALIBI, meta.at(work.alibiAt * 4L))
                .ptr(Attn.NUM_MERGE_ROWS, meta.at(4))
                .i32(Attn.PAGED, plan.isPaged() ? 1 : 0)
                .i32(Attn.PAGE_SIZE, ps)
                .i32(Attn.STRIDE_PAGE, stridePage)
                .i32(Attn.STRIDE_SLOT, strideSlot)
                .i32(Attn.STRIDE_HEAD, strideHead)
                .i32(Attn.NUM_QO_HEADS, spec.getNumQoHeads())
                .i32(Attn.NUM_KV_HEADS, hkv)
                .i32(Attn.SPLIT_SIZE, plan.getSplitSize())
                .i32(Attn.CAUSAL, spec.isCausal() ? 1 : 0)
                .i32(Attn.WINDOW_LEFT, spec.getWindowLeft())
                .i32(Attn.POS_MODE, spec.getPosMode())
                .f32(Attn.SM_SCALE, spec.getSmScale())
                .f32(Attn.SOFT_CAP, spec.getLogitsSoftCap())
                .i32(Attn.BATCH, batchArg)
                .i32(Attn.SPLIT_INV, splitInverse(plan.getSplitSize()))
                .i32(Attn.SPLIT_ROT, Integer.numberOfTrailingZeros(plan.getSplitSize()))
                .i32(Attn.SPLIT_LIM, (int) (0xFFFFFFFFL / plan.getSplitSize()))
                .i32(Attn.KV_TMA, maps != null ? 1 : 0);
        return maps != null ? args.map(Attn.K_MAP, maps[0]).map(Attn.V_MAP, maps[1]) : args;
    }

    /**
     * The tensor maps of the K and V pools for the Hopper kernel's page-run variant, which then asks
     * the copy engine for every run of 16 positions that lies wholly inside its request (the rest
     * its threads copy): each pool as a [elements / stride_slot][stride_slot] matrix, so that a
     * run of one head is a box of 16 rows by 64 columns per 64 of the head dimension. Null where
     * the plan takes another kernel, the option is off, or no map can be encoded (no foreign
     * linker, an unaligned pool): the threads then copy every run, with the same bytes landing.
     *
     * @param plan the plan
     * @param k the key pool
     * @param v the value pool
     * @param strideSlot elements between positions in a page
     * @return the maps' bytes (K, V), or null
     */
    static byte[][] poolMaps(AttentionWork plan, Tensor k, Tensor v, int strideSlot) {
        if (!pageRuns(plan) || !EngineOptions.cudaAttentionTma() || !TensorMaps.available()) {
            return null;
        }
        long rows = k.getShape().size() / strideSlot;
        byte[] km = TensorMaps.encode2d(CudaBackend.memory(k).getPointer(), rows, strideSlot, 16, k.getDataType());
        byte[] vm = km == null ? null
                : TensorMaps.encode2d(CudaBackend.memory(v).getPointer(), rows, strideSlot, 16, v.getDataType());
        return vm == null ? null : new byte[][] {km, vm};
    }

    /**
     * The inverse modulo 2^32 of a split size's odd part: with it the kernels test a position for
     * a chunk start by a multiply, a rotate and a compare instead of a remainder
     * ({@code chunk_starts} in attention_params.cuh).
     *
     * @param splitSize a positive split size
     * @return d0^-1 mod 2^32 for splitSize = d0 2^k, d0 odd
     */
    static int splitInverse(int splitSize) {
        int d = splitSize >>> Integer.numberOfTrailingZeros(splitSize);
        int inv = d; // right to 3 bits; each Newton step doubles them
        for (int i = 0; i < 4; i++) {
            inv *= 2 - d * inv;
        }
        return inv;
    }
}
