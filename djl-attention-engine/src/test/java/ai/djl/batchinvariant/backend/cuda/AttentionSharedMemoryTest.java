/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

/**
 * The Hopper attention kernel's dynamic shared memory as the launcher computes it (attention_sm90.cu's
 * H90 must agree): the query tile, K/V stages and the swizzle's alignment, and the blocks per SM
 * that leaves room for next to the kernel's static shared memory (3 KB) and the 1 KB the driver
 * reserves per block, out of an H100's 228 KB; which plans take the page-run variant; and every
 * variant the launcher names is in the module.
 */
class AttentionSharedMemoryTest {

    private static int blocksPerSm(int dynamicBytes) {
        return 228 * 1024 / (dynamicBytes + 3 * 1024 + 1024);
    }

    @Test
    void stagesLeaveRoomForTheBlocksTheRegistersAllow() {
        assertEquals(64 * 64 * 2 + 4 * 2 * 64 * 64 * 2 + 1024, CudaAttention.sm90SharedBytes(64));
        assertEquals(64 * 128 * 2 + 2 * 2 * 64 * 128 * 2 + 1024, CudaAttention.sm90SharedBytes(128));
        assertEquals(64 * 256 * 2 + 2 * 2 * 64 * 256 * 2 + 1024, CudaAttention.sm90SharedBytes(256));
        // two blocks of two warpgroups (32 registers a copying thread, 224 a multiplying one) fill
        // the register file up to head dim 128
        assertEquals(2, blocksPerSm(CudaAttention.sm90SharedBytes(64)));
        assertEquals(2, blocksPerSm(CudaAttention.sm90SharedBytes(128)));
        assertEquals(1, blocksPerSm(CudaAttention.sm90SharedBytes(256)));
    }

    @Test
    void pageRunsOnlyWherePagesHoldWholeRunsOfSixteen() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(8, 2).setHeadDim(128).build();
        BatchAttention attention = new BatchAttention(spec);
        for (int page : new int[] {1, 8, 12, 16, 24, 32, 48, 64, 128}) {
            int pages = (100 + page - 1) / page;
            int[] idx = new int[pages];
            Arrays.setAll(idx, i -> i);
            AttentionWork work = attention.planPrefill(new int[] {0, 3}, new int[] {0, pages}, idx,
                    new int[] {100 - (pages - 1) * page}, page).work();
            assertEquals(page % 16 == 0, CudaAttention.pageRuns(work), "page " + page);
        }
        AttentionWork ragged = attention.planRagged(new int[] {0, 3}, new int[] {0, 100}, new int[] {100}).work();
        assertFalse(CudaAttention.pageRuns(ragged), "ragged rows");
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
