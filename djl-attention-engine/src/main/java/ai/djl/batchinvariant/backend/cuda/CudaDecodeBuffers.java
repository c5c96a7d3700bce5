/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.DecodeBuffers;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * {@link DecodeBuffers} on a CUDA device: the ids, the KV slots (in 16-byte vectors, as {@code
 * bi_kv_append} takes them) and the work list ({@link CudaAttention.WorkTable}, at offsets fixed
 * by the capacities) in device buffers allocated once; the attention and merge launches cover the
 * capacity, like {@link CudaDecodeGraph}'s. The merge states, the lse and the RoPE tables are
 * allocated here too, outside any recording, so a graph that reads them never owns them.
 */
final class CudaDecodeBuffers implements DecodeBuffers {

    private final CudaDevice device;
    private final DataType type;
    private final int capacity;
    private final int numQoHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int split;
    private final int pageSize;
    private final int capItems;
    private final int capStates;
    private final int capPages;
    private final AttentionWork probe;
    private final CudaAttention.WorkTable table;
    private final int metaInts;
    private final DeviceMemory ids;
    private final DeviceMemory offsets;
    private final DeviceMemory meta;
    private final DeviceMemory lse;
    private final DeviceMemory partO;
    private final DeviceMemory partLse;
    private final DeviceMemory[] rope;
    /** Keys are stored rotated (POS_ROPE_Q): each KV slot's token position, else null. */
    private final DeviceMemory positions;
    private final Tensor idsTensor;
    /** The last load's host arrays, kept until the next load (the copies read them). */
    private Object[] loaded;
    private boolean closed;

    CudaDecodeBuffers(AttentionConfig config, Tensor keyPool, int split, int pageSize, int capacity,
            int maxKvTokens, int maxPages) {
        if (capacity < 1 || maxKvTokens < 1 || maxKvTokens >= AttentionWork.NO_SPLIT || maxPages < 1) {
            throw new IllegalArgumentException("capacity=" + capacity + ", max_kv_tokens=" + maxKvTokens
                    + " and max_pages=" + maxPages + " must be positive (max_kv_tokens below "
                    + AttentionWork.NO_SPLIT + ")");
        }
        this.device = CudaBackend.device(keyPool);
        this.type = keyPool.getDataType();
        this.capacity = capacity;
        this.numQoHeads = config.getNumQoHeads();
        this.numKvHeads = config.getNumKvHeads();
        this.headDim = config.getHeadDim();
        this.split = split;
        this.pageSize = pageSize;
        // a request of L tokens has ceil(L / split) <= L / split + 1 chunks, and the requests of a
        // step share the pool's tokens, so the chunks of a step are at most capacity + tokens / split
        long chunks = capacity + ((long) maxKvTokens + split - 1) / split;
        long items = chunks * numKvHeads;
        long states = chunks * numQoHeads;
        if (items > Integer.MAX_VALUE / AttentionWork.ITEM_INTS || states * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a decode step of capacity " + capacity + " over " + maxKvTokens
                    + " KV tokens with split " + split + " is too large to buffer");
        }
        capItems = (int) items;
        capStates = (int) states;
        capPages = maxPages;
        // a one-request plan fixes the table offsets, which depend on the capacities only
        probe = new AttentionWork(config, true, pageSize, new int[] {0, 1}, new int[] {0, 1}, new int[] {0},
                new int[] {1}, split);
        table = new CudaAttention.WorkTable(probe, capItems, capacity, capPages);
        int[] m = table.encode(probe);
        metaInts = m.length;
        boolean rotateKeys = config.getPosMode() == AttentionConfig.POS_ROPE_Q;
        DeviceMemory[] made = new DeviceMemory[7];
        try {
            made[0] = device.allocate((long) capacity * 4);
            made[1] = device.allocate((long) capacity * numKvHeads * 8);
            made[2] = device.allocate((long) metaInts * 4);
            made[3] = device.allocate((long) capacity * numQoHeads * 4);
            made[4] = device.allocate((long) capStates * headDim * 4);
            made[5] = device.allocate((long) capStates * 4);
            device.upload(made[2].getPointer(), Pointer.to(m), (long) metaInts * 4);
            // the idle values: id 0 and every slot at offset 0, until the first load
            made[0].fill32(0, capacity);
            made[1].fill32(0, (long) capacity * numKvHeads * 2);
            if (rotateKeys) {
                made[6] = device.allocate((long) capacity * numKvHeads * 4);
                made[6].fill32(0, (long) capacity * numKvHeads);
            }
            rope = config.rotatesQueries()
                    ? CudaAttention.rope(config.getRope(), device, maxKvTokens)
                    : new DeviceMemory[] {made[2], made[2]};
        } catch (RuntimeException | Error e) {
            for (DeviceMemory d : made) {
                if (d != null) {
                    d.release();
                }
            }
            throw e;
        }
        ids = made[0];
        offsets = made[1];
        meta = made[2];
        lse = made[3];
        partO = made[4];
        partLse = made[5];
        positions = made[6];
        idsTensor = Tensor.device(new Shape(capacity), DataType.INT32, ids.retain());
    }

    /** {@inheritDoc} */
    @Override
    public int getCapacity() {
        return capacity;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void load(int[] tokenIds, AttentionWork work, long[] kvOffsets) {
        checkOpen();
        if (device.isCapturing()) {
            throw new IllegalStateException("decode inputs are loaded before a replay, not while recording");
        }
        DecodeBuffers.checkLoad(capacity, numKvHeads, pageSize, split, tokenIds, work, kvOffsets);
        int b = work.getBatchSize();
        if (work.getNumItems() > capItems || work.partIndptr()[b] > capStates
                || work.kvIndices().length > capPages) {
            throw new IllegalArgumentException("the plan's " + work.getNumItems() + " work items, "
                    + work.partIndptr()[b] + " merge states and " + work.kvIndices().length
                    + " pages exceed the buffers' " + capItems + ", " + capStates + " and " + capPages);
        }
        DecodeBuffers.checkDecodePlan(work);
        int[] m = table.encode(work);
        if (m.length != metaInts) {
            throw new IllegalStateException("work list layout changed: " + m.length + " != " + metaInts);
        }
        int bytes = type.getNumOfBytes();
        long[] vec = new long[kvOffsets.length];
        for (int i = 0; i < vec.length; i++) {
            vec[i] = kvOffsets[i] * bytes / 16;
        }
        int[] idCopy = tokenIds.clone();
        device.makeCurrent();
        CUstream stream = device.getStream();
        check(JCudaDriver.cuMemcpyHtoDAsync(ids.getPointer(), Pointer.to(idCopy), (long) capacity * 4, stream),
                "cuMemcpyHtoDAsync(decode ids)");
        check(JCudaDriver.cuMemcpyHtoDAsync(offsets.getPointer(), Pointer.to(vec), (long) vec.length * 8, stream),
                "cuMemcpyHtoDAsync(decode KV slots)");
        check(JCudaDriver.cuMemcpyHtoDAsync(meta.getPointer(), Pointer.to(m), (long) m.length * 4, stream),
                "cuMemcpyHtoDAsync(decode work list)");
        int[] pos = null;
        if (positions != null) {
            pos = DecodeBuffers.appendPositions(capacity, numKvHeads, work);
            check(JCudaDriver.cuMemcpyHtoDAsync(positions.getPointer(), Pointer.to(pos), (long) pos.length * 4, stream),
                    "cuMemcpyHtoDAsync(decode KV positions)");
        }
        loaded = new Object[] {idCopy, vec, m, pos};
    }

    /** {@inheritDoc} */
    @Override
    public Tensor embed(Tensor tableRows) {
        checkOpen();
        GatherPlans.Plan p = GatherPlans.embedding(tableRows.getShape(), new Shape(capacity));
        // the ids were checked against the vocabulary on the host before load; the check's
        // read-back could not be part of a recorded graph
        p.check = false;
        return CudaIndexing.run(tableRows, idsTensor, p, "decode embedding");
    }

    /** {@inheritDoc} */
    @Override
    public void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool) {
        checkOpen();
        checkRows("k", k, numKvHeads);
        checkRows("v", v, numKvHeads);
        CUstream stream = device.getStream();
        device.await(stream, CudaBackend.memory(k), CudaBackend.memory(v), CudaBackend.memory(keyPool),
                CudaBackend.memory(valuePool));
        int vectors = headDim * type.getNumOfBytes() / 16;
        int count = capacity * numKvHeads;
        device.makeCurrent();
        CudaKvAppend.launch(device, stream, k, v, keyPool, valuePool, offsets.getPointer(), vectors, count,
                positions == null ? null : rope, positions == null ? null : positions.getPointer());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor attention(Tensor q, Tensor keyPool, Tensor valuePool, boolean hnd) {
        checkOpen();
        checkRows("q", q, numQoHeads);
        CUstream stream = device.getStream();
        DeviceMemory qm = CudaBackend.memory(q);
        device.await(stream, qm, CudaBackend.memory(keyPool), CudaBackend.memory(valuePool));
        DeviceMemory o = Launch.memory(device, (long) capacity * numQoHeads * headDim * type.getNumOfBytes());
        try {
            Params args = CudaAttention.kernelArgs(probe, hnd, capacity, qm.getPointer(),
                    keyPool, valuePool, o, lse,
                    partO, partLse, meta, table, rope);
            CudaAttention.Kernel attention = CudaAttention.kernel(device, probe, type);
            CUfunction merge = device.function(Abi.MODULE_MERGE, Abi.mergeKernel(type, headDim), 0);
            CudaAttention.launchPair(device, attention, capItems, merge, capacity * numQoHeads, stream, args);
        } catch (RuntimeException | Error e) {
            o.release();
            throw e;
        }
        return Tensor.device(new Shape(capacity, numQoHeads, headDim), type, o);
    }

    private void checkRows(String what, Tensor t, int heads) {
        Shape want = new Shape(capacity, heads, headDim);
        if (!t.isOnDevice() || CudaBackend.device(t) != device || !t.getShape().equals(want)
                || t.getDataType() != type) {
            throw new IllegalArgumentException(what + " is " + t.getDataType() + " " + t.getShape() + " on "
                    + t.getDevice() + "; the decode inputs take " + type + " " + want + " on gpu(" + device.getIndex()
                    + ")");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the decode inputs are closed");
        }
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        // a replay in flight may still read the buffers
        check(JCudaDriver.cuStreamSynchronize(device.getStream()), "cuStreamSynchronize(decode inputs)");
        idsTensor.close();
        for (DeviceMemory d : new DeviceMemory[] {ids, offsets, meta, lse, partO, partLse, positions}) {
            if (d != null) {
                d.release();
            }
        }
        loaded = null;
    }
}
