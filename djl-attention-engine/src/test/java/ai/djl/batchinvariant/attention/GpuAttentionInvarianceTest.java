/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;


import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The invariance suite on the CUDA backend (bfloat16, GQA 32/8, head_dim 128), outputs poisoned
 * with NaN before every launch. Longer requests than on the CPU, so that AUTO's batch-sized chunks
 * (sized for the GPU's multiprocessors) actually change with the batch in the inverse cases.
 */
@Tag("gpu")
class GpuAttentionInvarianceTest extends AttentionInvarianceTest {

    GpuAttentionInvarianceTest() {
        LENS = new int[] {3000, 17, 1, 7777, 1290, 640};
        CHUNK_LENS = new int[] {1300, 2100, 700};
    }

    @BeforeAll
    static void requireGpu() {
        GpuSupport.requireGpu();
    }

    @Override
    Device device() {
        return Device.gpu(0);
    }

    @Override
    DataType type() {
        return DataType.BFLOAT16;
    }

    @Override
    int[] shape() {
        return new int[] {32, 8, 128};
    }
}
