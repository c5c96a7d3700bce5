/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

/**
 * The same requests on gpu(0) and gpu(1), run concurrently from two threads, give bitwise equal
 * attention outputs and lse: one context, module set and allocator per device, no device assumed
 * to be 0. Skipped with fewer than two devices.
 */
@Tag("gpu")
class GpuMultiDeviceTest {

    private static Workload.Result run(Device device) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(32, 8).setHeadDim(128).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(512)).build();
        int[] lens = {2000, 17, 700, 1};
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager();
                Workload w = new Workload(m, spec, DataType.BFLOAT16, lens, 16, KvLayout.NHD, 3, 4, device)) {
            return w.run(new BatchAttention(spec), Workload.fullPrefill(lens, 0, 1, 2, 3), null);
        }
    }

    @Test
    void everyDeviceGivesTheSameBits() throws Exception {
        int n = CudaRuntime.deviceCount();
        assumeTrue(n >= 2, "needs two CUDA devices, found " + n);
        CompletableFuture<Workload.Result> first = CompletableFuture.supplyAsync(() -> run(Device.gpu(0)));
        CompletableFuture<Workload.Result> second = CompletableFuture.supplyAsync(() -> run(Device.gpu(n - 1)));
        Workload.Result a = first.get();
        Workload.Result b = second.get();
        int[] lens = {2000, 17, 700, 1};
        for (int r = 0; r < lens.length; r++) {
            assertEquals(0, Bits.diff(a, b, r, 0, lens[r]), "request " + r + " on gpu(0) vs gpu(" + (n - 1) + ")");
        }
    }
}
