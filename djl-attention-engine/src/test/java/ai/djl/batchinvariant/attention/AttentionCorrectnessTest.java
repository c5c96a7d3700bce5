/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.SharedManagerTestBase;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * CPU attention against a float64 reference over the FlashInfer-style matrix: head dims 64, 128,
 * 256; GQA groups 1, 4, 8; page sizes 1, 8, 16; NHD and HND; RoPE (plain and Llama 3 scaled),
 * ALiBi, soft cap, sliding window, non-causal, custom sm_scale; float32, float16, bfloat16; KV
 * lengths 1, 17, 300 and 5000. Error is the relative L2 norm over all computed outputs.
 */
class AttentionCorrectnessTest extends SharedManagerTestBase {

    static final class Case {
        final String name;
        final int headDim;
        final int group;
        final int pageSize;
        final KvLayout layout;
        final DataType type;
        final int[] lens;
        final UnaryOperator<AttentionSpec.Builder> extra;
        final boolean causal;
        /** Query tokens per request, the last ones (0: all; 1: a decode step). */
        final int tail;

        Case(String name, int headDim, int group, int pageSize, KvLayout layout, DataType type, int[] lens,
                boolean causal, boolean tailOnly, UnaryOperator<AttentionSpec.Builder> extra) {
            this(name, headDim, group, pageSize, layout, type, lens, causal, tailOnly ? 24 : 0, extra);
        }

        Case(String name, int headDim, int group, int pageSize, KvLayout layout, DataType type, int[] lens,
                boolean causal, int tail, UnaryOperator<AttentionSpec.Builder> extra) {
            this.name = name;
            this.headDim = headDim;
            this.group = group;
            this.pageSize = pageSize;
            this.layout = layout;
            this.type = type;
            this.lens = lens;
            this.causal = causal;
            this.tail = tail;
            this.extra = extra;
        }

        @Override
        public String toString() {
            return name + " d" + headDim + " g" + group + " p" + pageSize + " " + layout + " " + type;
        }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        int[] dims = {64, 128, 256};
        int[] groups = {1, 4, 8};
        int[] pages = {1, 8, 16};
        int i = 0;
        for (int d : dims) {
            for (int g : groups) {
                c.add(new Case("plain", d, g, pages[i % 3], i % 2 == 0 ? KvLayout.NHD : KvLayout.HND, DataType.FLOAT32,
                        new int[] {1, 17, 300}, true, false, b -> b));
                i++;
            }
        }
        int[] lens = {1, 17, 300};
        c.add(new Case("rope", 128, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 1)));
        c.add(new Case("rope-llama3", 64, 1, 8, KvLayout.HND, DataType.FLOAT32, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 1).optLlama3Scaling(8, 1, 4, 64)));
        c.add(new Case("rope-linear", 64, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(10000, 4)));
        c.add(new Case("alibi", 128, 1, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ALIBI)));
        c.add(new Case("softcap", 128, 4, 8, KvLayout.HND, DataType.FLOAT32, lens, true, false,
                b -> b.optLogitsSoftCap(30f)));
        c.add(new Case("window", 64, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optWindowLeft(50)));
        c.add(new Case("noncausal", 128, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, false, false, b -> b));
        c.add(new Case("smscale", 64, 8, 1, KvLayout.HND, DataType.FLOAT32, lens, true, false, b -> b.optSmScale(0.3f)));
        c.add(new Case("fp16", 128, 4, 16, KvLayout.NHD, DataType.FLOAT16, lens, true, false, b -> b));
        c.add(new Case("bf16", 128, 4, 16, KvLayout.HND, DataType.BFLOAT16, lens, true, false, b -> b));
        c.add(new Case("split-disabled", 64, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optSplitPolicy(SplitPolicy.disabled())));
        c.add(new Case("split-64", 64, 4, 16, KvLayout.NHD, DataType.FLOAT32, lens, true, false,
                b -> b.optSplitPolicy(SplitPolicy.fixed(64))));
        c.add(new Case("kv5000", 128, 4, 16, KvLayout.NHD, DataType.FLOAT32, new int[] {5000, 17}, true, true,
                b -> b.optSplitPolicy(SplitPolicy.fixed(512))));
        c.add(new Case("kv5000-bf16-rope", 128, 8, 8, KvLayout.HND, DataType.BFLOAT16, new int[] {5000}, true, true,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(1024))));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesFloat64Reference(Case c) {
        double[] err = errors(manager, c, null);
        double tol = c.type == DataType.FLOAT32 ? 2e-5 : c.type == DataType.FLOAT16 ? 1e-3 : 8e-3;
        assertTrue(err[0] < tol, c + ": relative L2 error " + err[0] + " >= " + tol);
        assertTrue(err[1] < 1e-3, c + ": lse error " + err[1]);
    }

    /**
     * Runs a case and compares every computed row with the float64 reference.
     *
     * @return {relative L2 error of o, max absolute lse error}
     */
    static double[] errors(NDManager manager, Case c, ai.djl.Device device) {
        AttentionSpec spec = c.extra.apply(AttentionSpec.builder()
                .setHeads(2 * c.group, 2)
                .setHeadDim(c.headDim)
                .optCausal(c.causal)).build();
        try (Workload w = new Workload(manager, spec, c.type, c.lens, c.pageSize, c.layout, 7, 11, device)) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> segs = new ArrayList<>();
            for (int r = 0; r < c.lens.length; r++) {
                int from = c.tail > 0 ? Math.max(0, c.lens[r] - c.tail) : 0;
                segs.add(new Workload.Segment(r, from, c.lens[r], c.lens[r]));
            }
            Workload.Result res = w.run(attn, segs, null);
            double num = 0;
            double den = 0;
            double lseErr = 0;
            int hq = spec.getNumQoHeads();
            int d = spec.getHeadDim();
            for (Workload.Segment s : segs) {
                for (int p = s.from; p < s.to; p++) {
                    double[] ref = w.reference(s.request, p, s.kvLen);
                    for (int x = 0; x < hq * d; x++) {
                        double e = res.o[s.request][p][x] - ref[x];
                        num += e * e;
                        den += ref[x] * ref[x];
                    }
                    for (int g = 0; g < hq; g++) {
                        double e = Math.abs(res.lse[s.request][p][g] - ref[hq * d + g]);
                        lseErr = Math.max(lseErr, Double.isNaN(e) ? Double.POSITIVE_INFINITY : e);
                    }
                }
            }
            double rel = Math.sqrt(num / den);
            return new double[] {Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel, lseErr};
        }
    }
}
