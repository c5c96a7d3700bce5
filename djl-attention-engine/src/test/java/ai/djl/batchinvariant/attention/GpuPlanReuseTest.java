/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaAttention;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * The plan is decided once and uploaded once: sixteen "layers" running one plan upload its work
 * list a single time, a new plan uploads again, and every layer's output is bitwise the first's
 * (the reused upload is the same work list).
 */
@Tag("gpu")
class GpuPlanReuseTest extends GpuSupport {

    @Test
    void aPlanRunBySixteenLayersIsUploadedOnce() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(8, 2).setHeadDim(128).optCausal(true)
                .optSplitPolicy(SplitPolicy.fixed(256)).build();
        int[] lens = {700, 33, 1500};
        try (Workload w = new Workload(manager, spec, DataType.BFLOAT16, lens, 16, KvLayout.NHD, 5, 9, Device.gpu(0))) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> segs = new ArrayList<>();
            for (int r = 0; r < lens.length; r++) {
                segs.add(new Workload.Segment(r, lens[r] - 1, lens[r], lens[r]));
            }
            BatchPlan plan = w.plan(attn, segs);
            try (NDArray q = w.queries(segs)) {
                long before = CudaAttention.workListUploads();
                float[] first = null;
                for (int layer = 0; layer < 16; layer++) {
                    try (AttentionOutput out = attn.run(plan, q, w.cache)) {
                        float[] o = out.getOutput().toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false)
                                .toFloatArray();
                        if (first == null) {
                            first = o;
                        } else {
                            assertEquals(0, Bits.diff(first, o), "layer " + layer + " differs from layer 0");
                        }
                    }
                }
                assertEquals(1, CudaAttention.workListUploads() - before, "uploads for one plan over 16 runs");
                BatchPlan other = w.plan(attn, segs);
                attn.run(other, q, w.cache).close();
                assertEquals(2, CudaAttention.workListUploads() - before, "a new plan is uploaded");
            }
        }
    }
}
