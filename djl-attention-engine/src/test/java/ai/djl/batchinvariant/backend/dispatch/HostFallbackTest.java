/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.DeviceBuffer;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The host fallback on a stand-in device whose memory lives in a map: an op the device refuses
 * runs on the CPU backend with the same values, an in-place op writes its target back, trips
 * are counted per op, and with {@code gpu_host_fallback=false} the refusal by name stands.
 */
class HostFallbackTest {

    private static final String PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.GPU_HOST_FALLBACK;

    /** Device memory of the stand-in: a host tensor per buffer. */
    private static final class Buffer implements DeviceBuffer {
        Tensor contents;

        Buffer(Tensor contents) {
            this.contents = contents;
        }

        @Override
        public DeviceBuffer retain() {
            return this;
        }

        @Override
        public void release() {}

        @Override
        public long getBytes() {
            return contents.byteSize();
        }

        @Override
        public int getDeviceId() {
            return 0;
        }
    }

    /** A device with no kernels except an element-wise exp that doubles (to tell it apart). */
    private static final class FakeDevice implements Backend {
        final Map<Tensor, Boolean> seen = new IdentityHashMap<>();

        @Override
        public String getName() {
            return "fake";
        }

        @Override
        public boolean serves(Device device) {
            return true;
        }

        @Override
        public Tensor zeros(Device device, Shape shape, DataType dataType) {
            return upload(CpuBackend.INSTANCE.zeros(Device.cpu(), shape, dataType), device);
        }

        @Override
        public Tensor upload(Tensor host, Device device) {
            return Tensor.device(host.getShape(), host.getDataType(), new Buffer(host));
        }

        @Override
        public Tensor download(Tensor tensor) {
            Tensor c = ((Buffer) tensor.deviceBuffer()).contents;
            return CpuBackend.INSTANCE.copy(c);
        }

        @Override
        public Tensor copy(Tensor tensor) {
            return upload(download(tensor), tensor.getDevice());
        }

        @Override
        public void write(Tensor dst, Tensor src) {
            ((Buffer) dst.deviceBuffer()).contents = CpuBackend.INSTANCE.copy(src);
        }

        @Override
        public AttentionOps attention() {
            return CpuBackend.INSTANCE.attention();
        }

        @Override
        public ElementwiseOps elementwise() {
            return new ElementwiseOps() {
                @Override
                public Tensor unary(UnaryOp op, Tensor a) {
                    if (op != UnaryOp.EXP) {
                        return ElementwiseOps.super.unary(op, a);
                    }
                    float[] v = HostData.toFloats(download(a).hostData(), a.getDataType(), a.size32());
                    for (int i = 0; i < v.length; i++) {
                        v[i] *= 2;
                    }
                    return upload(Tensor.host(a.getShape(), DataType.FLOAT32, v), a.getDevice());
                }
            };
        }

        @Override
        public ReductionOps reductions() {
            return new ReductionOps() {};
        }

        @Override
        public LinalgOps linalg() {
            return new LinalgOps() {};
        }

        @Override
        public ShapeOps shapes() {
            return new ShapeOps() {};
        }

        @Override
        public IndexingOps indexing() {
            return new IndexingOps() {};
        }
    }

    private final FakeDevice device = new FakeDevice();
    private final Backend backend = new HostFallback(device, CpuBackend.INSTANCE);

    @AfterEach
    void clearProperty() {
        System.clearProperty(PROPERTY);
    }

    private Tensor onDevice(float... v) {
        return device.upload(Tensor.host(new Shape(v.length), DataType.FLOAT32, v), Device.gpu(0));
    }

    private float[] values(Tensor t) {
        assertTrue(t.isOnDevice(), "results come back to the device");
        Tensor h = device.download(t);
        return HostData.toFloats(h.hostData(), h.getDataType(), h.size32());
    }

    @Test
    void kernelsRunOnTheDeviceAndTheRestOnTheHost() {
        Tensor a = onDevice(1f, -2f, 4f);
        long before = HostFallback.totalTrips();
        assertArrayEquals(new float[] {2f, -4f, 8f}, values(backend.elementwise().unary(UnaryOp.EXP, a)),
                "an op with a kernel runs on the device");
        assertEquals(before, HostFallback.totalTrips(), "no trip for an op with a kernel");
        assertArrayEquals(new float[] {-1f, 2f, -4f}, values(backend.elementwise().unary(UnaryOp.NEG, a)));
        assertArrayEquals(new float[] {3f}, values(backend.reductions().reduce(ReduceOp.SUM, a, null, false)));
        Tensor[] top = backend.reductions().topK(a, 2, 0, true);
        assertArrayEquals(new float[] {4f, 1f}, values(top[0]), "array results come back too");
        assertEquals(before + 3, HostFallback.totalTrips());
        assertTrue(HostFallback.trips().get("ReductionOps.topK") >= 1, "trips are counted per op");
        assertTrue(HostFallback.trips().containsKey("ElementwiseOps.unary"));
    }

    @Test
    void anInPlaceOpWritesItsTargetBack() {
        Tensor a = onDevice(1f, 2f, 3f, 4f);
        backend.indexing().fillSlice(a, new long[] {1}, new long[] {1}, new Shape(2), 9.0);
        assertArrayEquals(new float[] {1f, 9f, 9f, 4f}, values(a));
    }

    @Test
    void withTheFallbackOffTheRefusalStands() {
        System.setProperty(PROPERTY, "false");
        Tensor a = onDevice(1f, 2f);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> backend.elementwise().unary(UnaryOp.NEG, a));
        assertTrue(e.getMessage().contains("NDArray.neg"), e.getMessage());
        System.setProperty(PROPERTY, "maybe");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> backend.elementwise().unary(UnaryOp.NEG, a));
        assertTrue(bad.getMessage().contains("gpu_host_fallback"), bad.getMessage());
    }

    @Test
    void badArgumentsStillFailAsThemselves() {
        Tensor a = onDevice(1f, 2f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.reductions().topK(a, 5, 0, true));
        assertTrue(e.getMessage().contains("k 5"), e.getMessage());
    }
}
