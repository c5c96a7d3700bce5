/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/** The invariance suite on the CPU backend, float32. */
class CpuAttentionInvarianceTest extends AttentionInvarianceTest {

    @Override
    Device device() {
        return null;
    }

    @Override
    DataType type() {
        return DataType.FLOAT32;
    }

    @Override
    int[] shape() {
        return new int[] {8, 2, 64};
    }
}
