/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.cuda.GatherPlans.Plan;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi.Gather;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Gathers, one-hot, sequence masks and slice reads and writes on a GPU, with the CPU backend's
 * shapes, messages and conversions.
 *
 * <p>Indices are checked before the gather runs: a small kernel ({@code bi_gather_check}) finds
 * the first out-of-range index in the order the CPU backend checks them, and the host reads that
 * one word back (one device-to-host wait per gather). A bad index therefore throws the CPU's
 * {@link IllegalArgumentException} ("index 7 is out of range [0, 5)") and the gather kernel only
 * ever reads inside its source. The alternative, a flag written by the gather itself, would let
 * an out-of-range read happen first.
 */
public final class CudaIndexing implements IndexingOps {

    /** The shared instance. */
    public static final CudaIndexing INSTANCE = new CudaIndexing();

    private CudaIndexing() {}

    static Tensor run(Tensor src, Tensor index, Plan plan, String op) {
        CudaDevice device = CudaBackend.device(src);
        int parts = plan.parts();
        if (parts > StridedArgs.MAX_RANK) {
            throw new IllegalArgumentException(op + " on a GPU takes at most 8 index components, got " + parts);
        }
        DeviceMemory ms = Launch.on(device, src, op);
        DeviceMemory mi = Launch.on(device, index, op);
        device.await(device.getStream(), ms, mi);
        long count = index.getShape().size();
        if (plan.check && count > 0) {
            check(device, index, mi, plan, parts);
        }
        Tensor out = Launch.output(device, plan.outShape, src.getDataType());
        long n = plan.outShape.size();
        if (n == 0) {
            return out;
        }
        StridedArgs args = StridedArgs.of(plan.walk, plan.srcStrides, plan.idxStrides).checkRank(op);
        Params p = DataAbi.GATHER.newParams()
                .ptr(Gather.SRC, ms.getPointer())
                .ptr(Gather.INDEX, mi.getPointer())
                .ptr(Gather.OUT, CudaBackend.memory(out).getPointer())
                .i64s(Gather.SHAPE, args.shape())
                .i64s(Gather.STRIDE_SRC, args.strides(0))
                .i64s(Gather.STRIDE_IDX, args.strides(1))
                .i64s(Gather.AXIS_STRIDE, plan.axisStride)
                .i64s(Gather.AXIS_LEN, plan.axisLen)
                .i64(Gather.N, n)
                .i64(Gather.IDX_STEP, plan.idxStep)
                .i32(Gather.RANK, args.rank())
                .i32(Gather.PARTS, parts)
                .i32(Gather.TYPE_INDEX, DataAbi.dtypeCode(index.getDataType()))
                .i32(Gather.KIND, Gather.KIND_GATHER);
        Launch.run(device, DataAbi.MODULE_GATHER, DataAbi.gatherKernel(src.getDataType()), p, n);
        return out;
    }

    /** Runs the index check and throws the CPU backend's message for the first bad index. */
    private static void check(CudaDevice device, Tensor index, DeviceMemory mi, Plan plan, int parts) {
        DeviceMemory bad = Launch.flag(device, 0xffffffff);
        Params p = DataAbi.GATHER.newParams()
                .ptr(Gather.INDEX, mi.getPointer())
                .ptr(Gather.BAD, bad.getPointer())
                .i64s(Gather.AXIS_LEN, plan.axisLen)
                .i64(Gather.N, index.getShape().size())
                .i64(Gather.IDX_STEP, plan.idxStep)
                .i32(Gather.PARTS, parts)
                .i32(Gather.TYPE_INDEX, DataAbi.dtypeCode(index.getDataType()));
        Launch.run(device, DataAbi.MODULE_GATHER, DataAbi.GATHER_CHECK_KERNEL, p, index.getShape().size());
        long key = Launch.read(bad);
        if (key != -1L) {
            int k = (int) (key % parts);
            long q = indexPosition(key, parts, plan.idxStep);
            Tensor host = CudaBackend.INSTANCE.download(index);
            long v = HostData.getLong(host.hostData(), index.getDataType(), (int) q);
            throw new IllegalArgumentException(TypeRules.indexOutOfRange(plan.what, v, plan.axisLen[k]));
        }
    }

    /**
     * Where the check kernel's order key points: index element {@code q} of component
     * {@code k = q / idxStep} has key {@code (q % idxStep) * parts + k}, the order the CPU
     * backend checks in (all components of one position before the next position).
     *
     * @param key the smallest key of a bad index
     * @param parts the index components
     * @param idxStep index elements between components
     * @return the flat position in the index array
     */
    static long indexPosition(long key, int parts, long idxStep) {
        return (key % parts) * idxStep + key / parts;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor gather(Tensor a, Tensor idx, int axisIn) {
        return run(a, idx, GatherPlans.gather(a.getShape(), idx.getShape(), axisIn), "NDArray.gather");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor gatherNd(Tensor a, Tensor idx) {
        return run(a, idx, GatherPlans.gatherNd(a.getShape(), idx.getShape()), "NDArray.gatherNd");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor take(Tensor a, Tensor idx) {
        return run(a, idx, GatherPlans.take(a.getShape(), idx.getShape()), "NDArray.take");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor takeAlong(Tensor a, Tensor idx, int axis) {
        return run(a, idx, GatherPlans.takeAlong(a.getShape(), idx.getShape(), axis), "NDArray.get");
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the mask back to the host: the result's shape depends on how many entries are set,
     * which the CPU backend must count as well. The selected rows are then gathered on the GPU.
     */
    @Override
    public Tensor booleanMask(Tensor a, Tensor mask, int axisIn) {
        Shape shape = a.getShape();
        int axis = Strided.axis(axisIn, shape.dimension());
        int mr = OpChecks.maskRank(shape, mask.getShape(), axis);
        Tensor host = CudaBackend.INSTANCE.download(mask);
        int n = mask.size32();
        long[] rows = new long[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (HostData.getLong(host.hostData(), mask.getDataType(), i) != 0) {
                rows[count++] = i;
            }
        }
        Tensor idx = CudaBackend.INSTANCE.upload(Tensor.host(new Shape(count), DataType.INT64,
                java.util.Arrays.copyOf(rows, count)), a.getDevice());
        Tensor flat = a.view(new Shape(mask.getShape().size()).addAll(shape.slice(mr)));
        try {
            return takeAlong(flat, idx, 0);
        } finally {
            flat.close();
            idx.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor oneHot(Tensor a, int depth, float onValue, float offValue, DataType type) {
        return fill(a, a, a.getShape().add(depth), type, new long[] {a.getShape().size(), depth, 1},
                Gather.KIND_ONE_HOT, onValue, offValue, "NDArray.oneHot");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor sequenceMask(Tensor a, Tensor len, float value) {
        Shape shape = a.getShape();
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException("sequenceMask needs rank >= 2, got " + shape);
        }
        return fill(a, len, shape, a.getDataType(), new long[] {shape.get(0), shape.get(1), shape.slice(2).size()},
                Gather.KIND_SEQUENCE_MASK, value, 0, "NDArray.sequenceMask");
    }

    /** oneHot and sequenceMask: the kernel reads its fixed 3-axis shape, not a simplified one. */
    private static Tensor fill(Tensor src, Tensor index, Shape outShape, DataType type, long[] walk, int kind,
            float on, float off, String op) {
        CudaDevice device = CudaBackend.device(src);
        DeviceMemory ms = Launch.on(device, src, op);
        DeviceMemory mi = Launch.on(device, index, op);
        device.await(device.getStream(), ms, mi);
        Tensor out = Launch.output(device, outShape, type);
        long n = outShape.size();
        Params p = DataAbi.GATHER.newParams()
                .ptr(Gather.SRC, ms.getPointer())
                .ptr(Gather.INDEX, mi.getPointer())
                .ptr(Gather.OUT, CudaBackend.memory(out).getPointer())
                .i64s(Gather.SHAPE, walk)
                .i64(Gather.N, n)
                .i64(Gather.ON_BITS, Double.doubleToRawLongBits(on))
                .i64(Gather.OFF_BITS, Double.doubleToRawLongBits(off))
                .i32(Gather.RANK, walk.length)
                .i32(Gather.TYPE_INDEX, DataAbi.dtypeCode(index.getDataType()))
                .i32(Gather.KIND, kind);
        Launch.run(device, DataAbi.MODULE_GATHER, DataAbi.gatherKernel(type), p, n);
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor embedding(Tensor w, Tensor idx) {
        return run(w, idx, GatherPlans.embedding(w.getShape(), idx.getShape()), "NDArrayEx.embedding");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor getSlice(Tensor a, long[] min, long[] step, Shape sliceShape, Shape outShape) {
        CopyPlans.Walk w = CopyPlans.slice(a.getShape(), min, step, sliceShape, outShape);
        return CudaCopy.gather(a, w.inOffset, w.inStrides, w.shape, w.outShape, "NDArray.get");
    }

    /** {@inheritDoc} */
    @Override
    public void setSlice(Tensor a, long[] min, long[] step, Shape target, Tensor v) {
        Shape vs = v.getShape();
        if (vs.size() == target.size()) {
            vs = target;
        }
        if (!Strided.broadcast(vs, target).equals(target)) {
            throw new IllegalArgumentException("The expanded size of the value " + v.getShape()
                    + " must match the existing size of the slice " + target);
        }
        CopyPlans.Walk w = CopyPlans.slice(a.getShape(), min, step, target, target);
        // the CPU backend writes each element through a double, whatever the two types
        CudaCopy.copy(v, 0, StridedArgs.broadcast(vs, target), a, w.inOffset, w.inStrides, w.shape,
                DataAbi.MODE_DOUBLE, 0, "NDArray.set");
        a.touch();
    }

    /** {@inheritDoc} */
    @Override
    public void fillSlice(Tensor a, long[] min, long[] step, Shape sliceShape, double value) {
        CopyPlans.Walk w = CopyPlans.slice(a.getShape(), min, step, sliceShape, sliceShape);
        CudaCopy.copy(null, 0, w.inStrides, a, w.inOffset, w.inStrides, w.shape, DataAbi.MODE_DOUBLE, value,
                "NDArray.set");
        a.touch();
    }
}
