/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Convolution (1 to 3 spatial axes; stride, padding, dilation, groups, with and without bias) and
 * global pooling on a GPU give the CPU backend's bits for float32, float64, float16 and bfloat16
 * (the CPU backend is held to DJL's PyTorch engine by the differential suite), and bad geometry
 * is refused with the CPU's message before any launch.
 */
@Tag("gpu")
class GpuConvTest {

    private static NDManager cpu;

    @BeforeAll
    static void setUp() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
        cpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        if (cpu != null) {
            cpu.close();
        }
    }

    private static NDArray random(Shape s, long seed, DataType t) {
        Random r = new Random(seed);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return cpu.create(v, s).toType(t, false);
    }

    private static long[] bits(NDArray a) {
        double[] d = a.toDevice(Device.cpu(), false).toType(DataType.FLOAT64, false).toDoubleArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    private static NDArray gpu(NDArray a) {
        return a.toDevice(Device.gpu(0), true);
    }

    @Test
    void convolutionHasTheCpusBits() {
        Object[][] cases = {
            // input, weight, stride, padding, dilation, groups, bias
            {new Shape(2, 4, 19), new Shape(6, 4, 3), new Shape(2), new Shape(1), new Shape(1), 1, true},
            {new Shape(2, 4, 9, 11), new Shape(8, 2, 3, 3), new Shape(1, 2), new Shape(1, 1), new Shape(2, 1), 2, true},
            {new Shape(1, 3, 16, 16), new Shape(5, 3, 5, 5), new Shape(2, 2), new Shape(2, 2), new Shape(1, 1), 1, false},
            {new Shape(1, 2, 5, 6, 7), new Shape(4, 2, 2, 3, 3), new Shape(1, 1, 2), new Shape(1, 0, 1),
                new Shape(1, 1, 1), 1, true},
        };
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16}) {
            int seed = 0;
            for (Object[] c : cases) {
                NDArray x = random((Shape) c[0], ++seed, t);
                NDArray w = random((Shape) c[1], ++seed, t);
                NDArray b = (Boolean) c[6] ? random(new Shape(((Shape) c[1]).get(0)), ++seed, t) : null;
                NDArray want = x.getNDArrayInternal().convolution(x, w, b, (Shape) c[2], (Shape) c[3], (Shape) c[4],
                        (Integer) c[5]).singletonOrThrow();
                NDArray gx = gpu(x);
                NDArray got = gx.getNDArrayInternal().convolution(gx, gpu(w), b == null ? null : gpu(b), (Shape) c[2],
                        (Shape) c[3], (Shape) c[4], (Integer) c[5]).singletonOrThrow();
                assertEquals(Device.gpu(0), got.getDevice());
                assertEquals(want.getShape(), got.getShape());
                assertArrayEquals(bits(want), bits(got), t + " convolution " + c[0] + " * " + c[1]);
            }
        }
    }

    @Test
    void globalPoolsHaveTheCpusBits() {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.INT32}) {
            NDArray x = random(new Shape(3, 5, 7, 9), 9, t);
            NDArray gx = gpu(x);
            assertArrayEquals(bits(x.getNDArrayInternal().globalAvgPool()),
                    bits(gx.getNDArrayInternal().globalAvgPool()), t + " globalAvgPool");
            assertArrayEquals(bits(x.getNDArrayInternal().globalMaxPool()),
                    bits(gx.getNDArrayInternal().globalMaxPool()), t + " globalMaxPool");
        }
    }

    @Test
    void badGeometryIsRefusedLikeTheCpu() {
        NDArray x = gpu(random(new Shape(1, 4, 8, 8), 1, DataType.FLOAT32));
        NDArray w = gpu(random(new Shape(6, 3, 3, 3), 2, DataType.FLOAT32));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal()
                .convolution(x, w, null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1));
        assertEquals(true, e.getMessage().contains("groups=1"), e.getMessage());
    }
}
