/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.backend.cuda.CudaBackend;
import ai.djl.batchinvariant.tensor.DeviceBuffer;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The op-family SPI: who computes, who refuses, and that the engine layer names no backend. */
class BackendFamiliesTest {

    /** Device memory that is never touched: enough for a backend to see a GPU tensor and refuse it. */
    private static final class FakeBuffer implements DeviceBuffer {
        @Override
        public DeviceBuffer retain() {
            return this;
        }

        @Override
        public void release() {}

        @Override
        public long getBytes() {
            return 64;
        }

        @Override
        public int getDeviceId() {
            return 0;
        }
    }

    private static Tensor gpu(DataType type) {
        return Tensor.device(new Shape(2, 2), type, new FakeBuffer());
    }

    private static void refuses(String op, Executable call) {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, call, op);
        assertTrue(e.getMessage().contains(op) && e.getMessage().contains("gpu(0)"), e.getMessage());
    }

    @Test
    void cudaFamiliesRefuseWhatTheyHaveNoKernelForByName() {
        Backend cuda = CudaBackend.INSTANCE;
        Tensor t = gpu(DataType.FLOAT32);
        refuses("NDArray.cumSum", () -> cuda.reductions().cumSum(t, 0));
        refuses("NDArray.topK", () -> cuda.reductions().topK(t, 1, -1, true));
        Tensor ints = gpu(DataType.INT32);
        refuses("NDArray.matMul", () -> cuda.linalg().matMul(ints, ints));
    }

    @Test
    void cudaRefusesTheSpecialSortAndArrayMathFamiliesByName() {
        Backend cuda = CudaBackend.INSTANCE;
        Tensor t = gpu(DataType.FLOAT32);
        refuses("NDArray.asinh", () -> cuda.special().unary(SpecialFn.ASINH, t));
        refuses("NDArray.atan2", () -> cuda.special().binary(SpecialFn.ATAN2, t, t));
        refuses("NDArray.sort", () -> cuda.sorting().sort(t, -1, true, false));
        refuses("NDArray.argSort", () -> cuda.sorting().sort(t, -1, true, true));
        refuses("NDArray.median", () -> cuda.sorting().median(t, new int[] {-1}));
        refuses("NDArray.unique", () -> cuda.sorting().unique(t, null, false, false));
        refuses("NDArray.cumProd", () -> cuda.arrayMath().cumProd(t, 0, null));
        refuses("NDArray.norm", () -> cuda.arrayMath().norm(t, 2, new int[0], false));
        refuses("NDArray.inverse", () -> cuda.arrayMath().inverse(t));
    }

    @Test
    void cudaLinearChecksItsOperandsBeforeLaunching() {
        Tensor x = gpu(DataType.INT32);
        // a type the GEMM family does not run is a refusal naming the op, as for any op without a kernel
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> CudaBackend.INSTANCE.linalg().linear(x, x, null));
        assertTrue(e.getMessage().contains("NDArrayEx.linear") && e.getMessage().contains("int32"), e.getMessage());
        Tensor f = gpu(DataType.FLOAT32);
        Tensor bias = Tensor.device(new Shape(3), DataType.FLOAT32, new FakeBuffer());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CudaBackend.INSTANCE.linalg().linear(f, f, bias));
        assertTrue(bad.getMessage().contains("bias"), bad.getMessage());
    }

    @Test
    void cpuStorageMovesKeepOrConvert() {
        Backend cpu = CpuBackend.INSTANCE;
        Tensor h = Tensor.host(new Shape(3), DataType.FLOAT32, new float[] {1.5f, -2f, 3f});
        assertSame(h, cpu.toHost(h));
        assertSame(h, cpu.adopt(h, Device.cpu()));
        Tensor ints = Tensor.host(new Shape(3), DataType.INT32, new int[] {0, 0, 0});
        int v = ints.version();
        cpu.write(ints, h);
        assertArrayEquals(new int[] {1, -2, 3}, (int[]) ints.hostData());
        assertEquals(v + 1, ints.version());
        assertThrows(IllegalArgumentException.class,
                () -> cpu.write(ints, Tensor.host(new Shape(2), DataType.INT32, new int[2])));
    }

    @Test
    void arrayStorageIsOneTensorThatInPlaceWritesTouch() {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            Tensor t = ((TensorArray) a).tensor();
            assertSame(t, ((TensorArray) a).tensor());
            int v = t.version();
            a.addi(1f);
            assertEquals(v + 1, t.version());
            assertArrayEquals(new float[] {2, 3, 4, 5}, a.toFloatArray());
            NDArray view = a.reshape(4);
            assertSame(t.hostData(), ((TensorArray) view).tensor().hostData());
            view.close();
            assertTrue(!t.isClosed(), "closing a view must not close its source");
            a.close();
            assertTrue(t.isClosed());
        }
    }

    @Test
    void engineLayerNamesNoBackendImplementation() throws IOException {
        Path engine = Paths.get("src/main/java/ai/djl/batchinvariant/engine");
        List<Path> sources;
        try (Stream<Path> s = Files.walk(engine)) {
            sources = s.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
        }
        assertTrue(sources.size() > 5, "engine sources not found under " + engine.toAbsolutePath());
        Map<Path, List<String>> bad = new java.util.TreeMap<>();
        for (Path p : sources) {
            List<String> hits = Files.readAllLines(p).stream()
                    .filter(l -> l.contains("batchinvariant.backend.cpu") || l.contains("batchinvariant.backend.cuda")
                            || l.startsWith("import jcuda"))
                    .collect(Collectors.toList());
            if (!hits.isEmpty()) {
                bad.put(p, hits);
            }
        }
        assertTrue(bad.isEmpty(), "engine/ names a backend implementation: " + bad);
    }
}
