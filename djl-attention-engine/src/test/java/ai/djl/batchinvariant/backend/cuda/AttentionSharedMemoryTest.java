/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.io.IOException;

/**
 * The Hopper attention kernel's dynamic shared memory as the launcher computes it (attention_sm90.cu's
 * H90 must agree): the query tile, K/V stages and the swizzle's alignment, and the blocks per SM
 * that leaves room for next to the kernel's static shared memory (3 KB) and the 1 KB the driver
 * reserves per block, out of an H100's 228 KB; and every variant the launcher names is in the
 * module.
 */
class AttentionSharedMemoryTest {

    private static int blocksPerSm(int dynamicBytes) {
        return 228 * 1024 / (dynamicBytes + 3 * 1024 + 1024);
    }

    @Test
    void stagesLeaveRoomForTheBlocksTheRegistersAllow() {
        assertEquals(64 * 64 * 2 + 3 * 2 * 64 * 64 * 2 + 1024, CudaAttention.sm90SharedBytes(64));
        assertEquals(64 * 128 * 2 + 2 * 2 * 64 * 128 * 2 + 1024, CudaAttention.sm90SharedBytes(128));
        assertEquals(64 * 256 * 2 + 2 * 2 * 64 * 256 * 2 + 1024, CudaAttention.sm90SharedBytes(256));
        // 158 registers at head dim 64 allow three blocks of 128 threads, 209 at 128 two
        assertEquals(3, blocksPerSm(CudaAttention.sm90SharedBytes(64)));
        assertEquals(2, blocksPerSm(CudaAttention.sm90SharedBytes(128)));
        assertEquals(1, blocksPerSm(CudaAttention.sm90SharedBytes(256)));
    }

    @Test
    void everyHopperVariantTheLauncherNamesIsBuilt() throws IOException {
        byte[] fatbin = KernelSymbols.fatbin(Abi.MODULE_ATTENTION_SM90);
        for (DataType type : new DataType[] {DataType.FLOAT16, DataType.BFLOAT16}) {
            for (int d : new int[] {64, 128, 256}) {
                KernelSymbols.assertHas(fatbin, Abi.attention90Kernel(type, d, false));
                KernelSymbols.assertHas(fatbin, Abi.attention90Kernel(type, d, true));
            }
        }
    }
}
