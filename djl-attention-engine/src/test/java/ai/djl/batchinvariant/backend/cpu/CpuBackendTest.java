/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * The CPU backend through its service interface: its name, the devices it serves, zeroed
 * allocation, and copies (also as upload and download) that share no storage with the source.
 */
class CpuBackendTest {

    private final CpuBackend cpu = CpuBackend.INSTANCE;

    @Test
    void nameAndDevices() {
        assertEquals("cpu", cpu.getName());
        assertTrue(cpu.serves(Device.cpu()));
        assertFalse(cpu.serves(Device.gpu(0)));
        assertSame(CpuAttention.INSTANCE, cpu.attention());
    }

    @Test
    void zerosAndCopies() {
        Tensor z = cpu.zeros(Device.cpu(), new Shape(2, 3), DataType.INT32);
        assertEquals(new Shape(2, 3), z.getShape());
        assertSame(DataType.INT32, z.getDataType());
        assertArrayEquals(new int[6], (int[]) z.hostData());
        float[] src = {1f, -2f, 3.5f, 0f};
        Tensor t = Tensor.host(new Shape(4), DataType.FLOAT32, src);
        for (Tensor c : new Tensor[] {cpu.copy(t), cpu.upload(t, Device.cpu()), cpu.download(t)}) {
            assertEquals(new Shape(4), c.getShape());
            assertSame(DataType.FLOAT32, c.getDataType());
            assertNotSame(src, c.hostData());
            assertArrayEquals(src, (float[]) c.hostData());
        }
        Tensor c = cpu.copy(t);
        src[0] = 99f;
        assertEquals(1f, ((float[]) c.hostData())[0]);
    }
}
