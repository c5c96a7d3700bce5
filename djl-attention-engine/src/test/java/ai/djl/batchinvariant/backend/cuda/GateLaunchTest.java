/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * The SwiGLU gate's grid ({@link CudaElementwise#gateThreads}), without a GPU: a thread a chunk
 * until the chunks fill the device's resident threads twice over, then a thread per {@value
 * CudaElementwise#GATE_CHUNKS} chunks, the count the kernel loads together. The GPU tests show
 * that any grid gives the same bits ({@code GpuContiguousElementwiseTest}).
 */
class GateLaunchTest {

    @Test
    void smallGatesKeepAThreadAChunkLargeOnesShare() {
        int sms = 132;
        long resident = 2048L * sms;
        assertEquals(1, CudaElementwise.gateThreads(1, sms));
        assertEquals(16 * 4096 / 8, CudaElementwise.gateThreads(16 * 4096 / 8, sms), "a 16-row bfloat16 gate");
        long below = CudaElementwise.GATE_CHUNKS * resident - 1;
        assertEquals(below, CudaElementwise.gateThreads(below, sms));
        long big = 4096L * 4096 / 8;
        long threads = CudaElementwise.gateThreads(big, sms);
        assertEquals((big + CudaElementwise.GATE_CHUNKS - 1) / CudaElementwise.GATE_CHUNKS, threads);
        assertTrue(threads >= resident, "the device stays full");
        assertEquals(3, CudaElementwise.gateThreads(5, 0), "odd counts round up");
    }

    @Test
    void theLauncherAndTheKernelAgreeOnTheChunksAThread() throws IOException {
        String src = Files.readString(Paths.get("../kernels/src/elementwise.cu"));
        assertTrue(src.contains("constexpr int GATE_CHUNKS = " + CudaElementwise.GATE_CHUNKS + ";"),
                "elementwise.cu's GATE_CHUNKS is " + CudaElementwise.GATE_CHUNKS);
    }
}
