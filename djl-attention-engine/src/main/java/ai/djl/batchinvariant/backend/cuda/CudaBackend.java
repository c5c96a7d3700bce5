/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.ConvPoolOps;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.GraphCapture;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;

import jcuda.Pointer;

/**
 * The CUDA backend: kernels compiled into the jar, launched through the driver API. It serves
 * {@code Device.gpu(i)} and refuses, by name, every op it has no kernel for.
 */
public final class CudaBackend implements Backend {

    /** The shared instance. */
    public static final CudaBackend INSTANCE = new CudaBackend();

    /** Element-wise kernels (elementwise.cu). */
    private static final ElementwiseOps ELEMENTWISE = CudaElementwise.INSTANCE;

    /** Gather and slice kernels (gather.cu, copy.cu). */
    private static final IndexingOps INDEXING = CudaIndexing.INSTANCE;

    private CudaBackend() {}

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "cuda";
    }

    /** {@inheritDoc} */
    @Override
    public boolean serves(Device device) {
        return Device.Type.GPU.equals(device.getDeviceType());
    }

    /**
     * Checks that a GPU is usable by this process.
     *
     * @param device the device
     * @throws IllegalArgumentException naming the device and the reason if it is not
     */
    public void checkDevice(Device device) {
        CudaRuntime.device(device.getDeviceId());
    }

    /**
     * Returns the number of usable GPUs.
     *
     * @return devices, 0 without a usable driver or kernels
     */
    public int deviceCount() {
        return CudaRuntime.deviceCount();
    }

    /**
     * Returns a GPU allocator's figures.
     *
     * @param deviceId the GPU
     * @return {bytes in use, peak in use, bytes cached, cache cap}
     */
    public long[] memoryStats(int deviceId) {
        return CudaRuntime.device(deviceId).memoryStats();
    }

    /**
     * Tells in one line why no GPU is usable.
     *
     * @return the reason, or null when one is
     */
    public String unavailableReason() {
        return CudaRuntime.unavailableReason();
    }

    static CudaDevice device(Tensor t) {
        return ((DeviceMemory) t.deviceBuffer()).getDevice();
    }

    static DeviceMemory memory(Tensor t) {
        return (DeviceMemory) t.deviceBuffer();
    }

    /** {@inheritDoc} */
    @Override
    public Tensor zeros(Device device, Shape shape, DataType dataType) {
        CudaDevice dev = CudaRuntime.device(device.getDeviceId());
        long bytes = shape.size() * dataType.getNumOfBytes();
        DeviceMemory mem = dev.allocate(bytes);
        mem.fill32(0, (bytes + 3) / 4);
        return Tensor.device(shape, dataType, mem);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor upload(Tensor host, Device device) {
        CudaDevice dev = CudaRuntime.device(device.getDeviceId());
        long bytes = host.byteSize();
        DeviceMemory mem = dev.allocate(bytes);
        ByteBuffer bb = HostData.toByteBuffer(host.hostData(), host.getDataType(), host.size32());
        dev.upload(mem.getPointer(), Pointer.to(bb), bytes);
        return Tensor.device(host.getShape(), host.getDataType(), mem);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor download(Tensor tensor) {
        DeviceMemory mem = memory(tensor);
        long bytes = tensor.byteSize();
        ByteBuffer bb = ByteBuffer.allocateDirect((int) Math.max(1, bytes)).order(java.nio.ByteOrder.nativeOrder());
        mem.getDevice().download(Pointer.to(bb), mem, bytes);
        Object data = HostData.fromByteBuffer(bb, tensor.getDataType(), tensor.size32());
        return Tensor.host(tensor.getShape(), tensor.getDataType(), data);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor copy(Tensor tensor) {
        DeviceMemory src = memory(tensor);
        DeviceMemory mem = src.getDevice().allocate(tensor.byteSize());
        mem.copyFrom(src, 0, 0, tensor.byteSize());
        return Tensor.device(tensor.getShape(), tensor.getDataType(), mem);
    }

    /** {@inheritDoc} */
    @Override
    public void write(Tensor dst, Tensor src) {
        if (src.getDataType() != dst.getDataType() || src.getShape().size() != dst.getShape().size()) {
            throw Unsupported.op("NDArray.set (" + src.getDataType() + " " + src.getShape() + " into "
                    + dst.getDataType() + " " + dst.getShape() + ")", dst.getDevice());
        }
        DeviceMemory mem = memory(dst);
        if (src.isOnDevice()) {
            if (!src.getDevice().equals(dst.getDevice())) {
                throw new IllegalArgumentException("cannot write " + src.getDevice() + " memory into " + dst.getDevice());
            }
            mem.copyFrom(memory(src), 0, 0, dst.byteSize());
        } else {
            ByteBuffer bb = HostData.toByteBuffer(src.hostData(), src.getDataType(), src.size32());
            mem.getDevice().upload(mem.getPointer(), Pointer.to(bb), dst.byteSize());
        }
        dst.touch();
    }

    /** {@inheritDoc} */
    @Override
    public GraphCapture beginCapture(Device device) {
        return CudaGraphCapture.begin(CudaRuntime.device(device.getDeviceId()));
    }

    /** {@inheritDoc} */
    @Override
    public boolean isCapturing(Device device) {
        return CudaRuntime.device(device.getDeviceId()).isCapturing();
    }

    /** {@inheritDoc} */
    @Override
    public ConvPoolOps convPool() {
        return CudaConvPool.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public AttentionOps attention() {
        return CudaAttention.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ElementwiseOps elementwise() {
        return ELEMENTWISE;
    }

    /** {@inheritDoc} */
    @Override
    public ReductionOps reductions() {
        return CudaReductions.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public LinalgOps linalg() {
        return CudaLinalg.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public ShapeOps shapes() {
        return CudaShapeOps.INSTANCE;
    }

    /** {@inheritDoc} */
    @Override
    public IndexingOps indexing() {
        return INDEXING;
    }
}
