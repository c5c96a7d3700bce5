/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.ArrayMathOps;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.ConvPoolOps;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.SortOps;
import ai.djl.batchinvariant.backend.SpecialOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The plain-Java backend: every op, on host arrays, in the fixed orders the contract needs. */
public final class CpuBackend implements Backend {

    /** The shared instance. */
    public static final CpuBackend INSTANCE = new CpuBackend();

    private CpuBackend() {}

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "cpu";
    }

    /** {@inheritDoc} */
    @Override
    public boolean serves(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor zeros(Device device, Shape shape, DataType dataType) {
        return Tensor.host(shape, dataType, HostData.allocate(dataType, Math.toIntExact(shape.size())));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor upload(Tensor host, Device device) {
        return copy(host);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor download(Tensor tensor) {
        return copy(tensor);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor copy(Tensor tensor) {
        Object src = tensor.borrowHostData();
        Object dst = HostArrays.uninitialized(tensor.getDataType(), tensor.size32());
        System.arraycopy(src, 0, dst, 0, tensor.size32());
        return HostArrays.wrap(tensor.getShape(), tensor.getDataType(), dst);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor adopt(Tensor host, Device device) {
        return host;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor toHost(Tensor tensor) {
        return tensor;
    }

    /** {@inheritDoc} */
    @Override
    public void write(Tensor dst, Tensor src) {
        int n = dst.size32();
        if (src.size32() != n) {
            throw new IllegalArgumentException("source holds " + src.size32() + " elements, target " + n);
        }
        Object d = src.borrowHostData();
        if (src.getDataType() != dst.getDataType()) {
            d = HostData.fromFloats(HostData.toFloats(d, src.getDataType(), n), dst.getDataType());
        }
        System.arraycopy(d, 0, dst.borrowHostData(), 0, n);
        dst.touch();
    }

    /** {@inheritDoc} */
    @Override
    public AttentionOps attention() {
        return CpuAttention.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ElementwiseOps elementwise() {
        return CpuElementwise.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ReductionOps reductions() {
        return CpuReductions.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public LinalgOps linalg() {
        return CpuLinalg.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ShapeOps shapes() {
        return CpuShapeOps.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public IndexingOps indexing() {
        return CpuIndexing.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ConvPoolOps convPool() {
        return CpuConvPool.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public SpecialOps special() {
        return CpuSpecialFunctions.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public SortOps sorting() {
        return CpuSorting.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ArrayMathOps arrayMath() {
        return CpuArrayMath.INSTANCE;
    }
}
