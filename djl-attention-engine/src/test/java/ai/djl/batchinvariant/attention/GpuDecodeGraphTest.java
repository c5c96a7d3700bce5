/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A decode step captured once as a CUDA graph (maximum batch 8) and replayed for random smaller
 * batches, orders and lengths gives bitwise the eager results, which are bitwise the causal
 * prefill rows: fixed split works under graph replay.
 */
@Tag("gpu")
class GpuDecodeGraphTest extends GpuSupport {

    @Test
    void replayEqualsEagerAndPrefill() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(32, 8).setHeadDim(128).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(256)).build();
        int[] lens = {3000, 17, 1200, 640, 2500, 90, 1, 2048};
        try (Workload w = new Workload(manager, spec, DataType.BFLOAT16, lens, 16, KvLayout.NHD, 5, 9, Device.gpu(0))) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result prefill = w.run(attn, Workload.fullPrefill(lens, 0, 1, 2, 3, 4, 5, 6, 7), null);
            long checked = 0;
            try (DecodeGraph graph = attn.captureDecode(w.cache, 8, 3000)) {
                Random rnd = new Random(3);
                for (int trial = 0; trial < 12; trial++) {
                    List<Integer> order = new ArrayList<>();
                    for (int r = 0; r < lens.length; r++) {
                        order.add(r);
                    }
                    Collections.shuffle(order, rnd);
                    int b = 1 + rnd.nextInt(lens.length);
                    List<Workload.Segment> segs = new ArrayList<>();
                    for (int r : order.subList(0, b)) {
                        int t = rnd.nextInt(lens[r]);
                        segs.add(new Workload.Segment(r, t, t + 1, t + 1));
                    }
                    Workload.Result eager = w.run(attn, segs, null);
                    BatchPlan plan = w.plan(attn, segs);
                    try (NDArray q = w.queries(segs);
                            AttentionOutput out = graph.run(plan, q)) {
                        float[] o = out.getOutput().toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false).toFloatArray();
                        float[] lse = out.getLse().toDevice(Device.cpu(), false).toFloatArray();
                        int hq = spec.getNumQoHeads();
                        int d = spec.getHeadDim();
                        for (int i = 0; i < segs.size(); i++) {
                            Workload.Segment s = segs.get(i);
                            float[] go = java.util.Arrays.copyOfRange(o, i * hq * d, (i + 1) * hq * d);
                            float[] gl = java.util.Arrays.copyOfRange(lse, i * hq, (i + 1) * hq);
                            assertEquals(0, Bits.diff(go, eager.o[s.request][s.from]), "graph vs eager, request " + s.request);
                            assertEquals(0, Bits.diff(gl, eager.lse[s.request][s.from]));
                            assertEquals(0, Bits.diff(go, prefill.o[s.request][s.from]), "graph vs prefill, request " + s.request);
                            checked++;
                        }
                    }
                }
            }
            assertTrue(checked > 20);
        }
    }

    @Test
    void autoSplitCannotBeCaptured() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(8, 2).setHeadDim(64).optCausal(true)
                .optSplitPolicy(SplitPolicy.auto()).build();
        try (Workload w = new Workload(manager, spec, DataType.BFLOAT16, new int[] {100}, 16, KvLayout.NHD, 1, 1,
                Device.gpu(0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new BatchAttention(spec).captureDecode(w.cache, 4, 100));
            assertTrue(e.getMessage().contains("AUTO"), e.getMessage());
        }
    }
}
