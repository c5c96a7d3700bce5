/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.DecodeBuffers;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@link DecodeBuffers} on the host, where nothing is recorded: a "replay" runs the step's ops
 * again on the loaded values. It keeps the fixed-capacity shape of the device version (padding
 * rows, scratch slots), so a decode step written against the buffers runs, and can be checked,
 * on the CPU too.
 */
final class CpuDecodeBuffers implements DecodeBuffers {

    private final int capacity;
    private final int numQoHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int split;
    private final int pageSize;
    /** Keys are stored rotated (POS_ROPE_Q): the table, else null. */
    private final RopeTable keyRope;
    private int[] ids;
    private AttentionWork work;
    private long[] offsets;

    CpuDecodeBuffers(AttentionConfig config, int split, int pageSize, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity=" + capacity + " must be positive");
        }
        this.capacity = capacity;
        this.numQoHeads = config.getNumQoHeads();
        this.numKvHeads = config.getNumKvHeads();
        this.headDim = config.getHeadDim();
        this.split = split;
        this.pageSize = pageSize;
        this.keyRope = config.getPosMode() == AttentionConfig.POS_ROPE_Q ? config.getRope() : null;
        this.ids = new int[capacity];
        this.offsets = new long[capacity * numKvHeads];
    }

    /** {@inheritDoc} */
    @Override
    public int getCapacity() {
        return capacity;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void load(int[] tokenIds, AttentionWork plan, long[] kvOffsets) {
        DecodeBuffers.checkLoad(capacity, numKvHeads, pageSize, split, tokenIds, plan, kvOffsets);
        DecodeBuffers.checkDecodePlan(plan);
        ids = tokenIds.clone();
        work = plan;
        offsets = kvOffsets.clone();
    }

    /** {@inheritDoc} */
    @Override
    public Tensor embed(Tensor table) {
        return CpuIndexing.INSTANCE.embedding(table, Tensor.host(new Shape(capacity), DataType.INT32, ids.clone()));
    }

    /** {@inheritDoc} */
    @Override
    public void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool) {
        int[] pos = keyRope == null || work == null ? new int[offsets.length]
                : DecodeBuffers.appendPositions(capacity, numKvHeads, work);
        CpuAttention.INSTANCE.appendKv(k, v, keyPool, valuePool, offsets, headDim, keyRope, pos);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor attention(Tensor q, Tensor keyPool, Tensor valuePool, boolean hnd) {
        if (work == null) {
            throw new IllegalStateException("no plan loaded");
        }
        Tensor[] out = CpuAttention.INSTANCE.attention(work, q, keyPool, valuePool, hnd);
        out[1].close();
        DataType type = q.getDataType();
        int rowElems = numQoHeads * headDim;
        Object padded = HostData.allocate(type, capacity * rowElems);
        System.arraycopy(out[0].hostData(), 0, padded, 0, work.getTotalQo() * rowElems);
        out[0].close();
        return Tensor.host(new Shape(capacity, numQoHeads, headDim), type, padded);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        work = null;
    }
}
