/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

/**
 * Both attention kernel families on one compute capability 9.0 device: the Hopper family (the
 * default there) and the sm_80 family ({@code cuda_sm90=false}). Each matches the float64
 * reference on the whole correctness matrix, each gives the same bits run after run, and the test
 * reports how many output elements differ between the two (docs/contract.md says which builds
 * share bits).
 */
@Tag("gpu")
class GpuAttentionFamiliesTest extends GpuSupport {

    private static final String PROPERTY = SM90_PROPERTY;

    @BeforeAll
    static void hopperOnly() {
        requireHopper();
    }

    @AfterEach
    void restoreDefault() {
        System.clearProperty(PROPERTY);
    }

    @ParameterizedTest(name = "sm_80 family on sm_90: {0}")
    @MethodSource("ai.djl.batchinvariant.attention.GpuAttentionTest#cases")
    void sm80FamilyMatchesFloat64Reference(AttentionCorrectnessTest.Case c) {
        System.setProperty(PROPERTY, "false");
        double[] err = AttentionCorrectnessTest.errors(manager, c, Device.gpu(0));
        System.out.printf("gpu sm80 reference %-40s relative L2 %.3e, max |lse error| %.3e%n", c, err[0], err[1]);
        double tol = c.type == DataType.FLOAT16 ? 4e-3 : 2e-2;
        assertTrue(err[0] < tol, c + ": relative L2 error " + err[0] + " >= " + tol);
        assertTrue(err[1] < 0.1, c + ": lse error " + err[1]);
    }

    /** A mixed batch (long prefill, chunked prefill, decode rows) of one workload, in one family. */
    private static Workload.Result mixed(Workload w, BatchAttention attn, int[] lens, boolean hopper) {
        System.setProperty(PROPERTY, Boolean.toString(hopper));
        List<Workload.Segment> segs = new ArrayList<>();
        segs.add(new Workload.Segment(0, 0, lens[0], lens[0]));
        segs.add(new Workload.Segment(1, lens[1] - 100, lens[1], lens[1]));
        segs.add(new Workload.Segment(2, lens[2] - 1, lens[2], lens[2]));
        segs.add(new Workload.Segment(3, lens[3] - 1, lens[3], lens[3]));
        return w.run(attn, segs, null);
    }

    @Test
    void eachFamilyGivesTheSameBitsRunToRun() {
        int[] lens = {777, 3000, 4500, 65};
        AttentionSpec spec = AttentionSpec.builder()
                .setHeads(32, 8)
                .setHeadDim(128)
                .optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA)
                .optSplitPolicy(SplitPolicy.fixed(1024))
                .build();
        try (Workload w = new Workload(manager, spec, DataType.BFLOAT16, lens, 16, KvLayout.NHD, 5, 9, Device.gpu(0))) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result h1 = mixed(w, attn, lens, true);
            Workload.Result h2 = mixed(w, attn, lens, true);
            Workload.Result a1 = mixed(w, attn, lens, false);
            Workload.Result a2 = mixed(w, attn, lens, false);
            long across = 0;
            long elements = 0;
            int[][] rows = {{0, 0, lens[0]}, {1, lens[1] - 100, lens[1]}, {2, lens[2] - 1, lens[2]},
                {3, lens[3] - 1, lens[3]}};
            for (int[] r : rows) {
                assertEquals(0, Bits.diff(h1, h2, r[0], r[1], r[2]), "Hopper family, request " + r[0]);
                assertEquals(0, Bits.diff(a1, a2, r[0], r[1], r[2]), "sm_80 family, request " + r[0]);
                across += Bits.diff(h1, a1, r[0], r[1], r[2]);
                elements += (long) (r[2] - r[1]) * 32 * (128 + 1);
            }
            System.out.printf("attention families on sm_90: %d of %d output and lse elements differ between the"
                    + " Hopper and the sm_80 kernels%n", across, elements);
        }
    }
}
