/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.SharedManagerTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * GQA head mapping with groups of 2 and 3 (paged and ragged), value-checked against {@link
 * RefAttention}; and 16-bit outputs: float16 and bfloat16 q and cache give an output of that type
 * whose raw 16-bit values, decoded here, are the float64 reference rounded to the type.
 */
class GqaAndDtypeReferenceTest extends SharedManagerTestBase {

    private static final int[] LENS = {1, 17, 300};

    /** Query heads g*group .. g*group+group-1 share KV head g; the interleaved map must be far. */
    @ParameterizedTest(name = "{0} query heads over {1} KV heads")
    @CsvSource({"4, 2", "6, 2", "8, 4", "3, 1", "6, 3", "9, 3"})
    void pagedGqaHeadMapping(int hq, int hkv) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(hq, hkv).setHeadDim(64).optCausal(true).build();
        RefAttention good = new RefAttention(hq, hkv, 64);
        if (hkv > 1) {
            RefAttention interleaved = good.copy();
            interleaved.interleavedGqa = true;
            RefAttention.assertRun(manager, spec, LENS, good, interleaved);
        } else {
            RefAttention.assertRun(manager, spec, LENS, good);
        }
    }

    /** The same mapping through ragged contiguous KV, with a kv_lens shorter than its segment. */
    @ParameterizedTest(name = "group {0}")
    @CsvSource({"2", "3"})
    void raggedGqaHeadMapping(int group) {
        int hkv = 2;
        int hq = hkv * group;
        int d = 64;
        AttentionSpec spec = AttentionSpec.builder().setHeads(hq, hkv).setHeadDim(d).optCausal(false).build();
        BatchAttention attn = new BatchAttention(spec);
        // request 0: 5 query rows over 90 keys; request 1: 3 rows over the first 40 of its 70 rows
        int[] qoIndptr = {0, 5, 8};
        int[] kvIndptr = {0, 90, 160};
        int[] kvLens = {90, 40};
        Random rnd = new Random(3);
        float[] q = gaussian(rnd, 8 * hq * d);
        float[] k = gaussian(rnd, 160 * hkv * d);
        float[] v = gaussian(rnd, 160 * hkv * d);
        try (NDManager m = manager.newSubManager()) {
            BatchPlan plan = attn.planRagged(qoIndptr, kvIndptr, kvLens);
            AttentionOutput out = attn.runRagged(plan, m.create(q, new Shape(8, hq, d)),
                    m.create(k, new Shape(160, hkv, d)), m.create(v, new Shape(160, hkv, d)));
            float[] o = out.getOutput().toFloatArray();
            float[] lse = out.getLse().toFloatArray();
            RefAttention good = new RefAttention(hq, hkv, d);
            good.causal = false;
            RefAttention interleaved = good.copy();
            interleaved.interleavedGqa = true;
            double worst = 0;
            double wrongBest = Double.POSITIVE_INFINITY;
            for (int r = 0; r < 2; r++) {
                float[] qr = slice(q, qoIndptr[r] * hq * d, qoIndptr[r + 1] * hq * d);
                float[] kr = slice(k, kvIndptr[r] * hkv * d, kvIndptr[r + 1] * hkv * d);
                float[] vr = slice(v, kvIndptr[r] * hkv * d, kvIndptr[r + 1] * hkv * d);
                for (int i = 0; i < qoIndptr[r + 1] - qoIndptr[r]; i++) {
                    int row = qoIndptr[r] + i;
                    double[] ref = good.row(qr, kr, vr, i, kvLens[r]);
                    double[] bad = interleaved.row(qr, kr, vr, i, kvLens[r]);
                    double wrong = 0;
                    for (int x = 0; x < hq * d; x++) {
                        worst = Math.max(worst, Math.abs(o[row * hq * d + x] - ref[x]));
                        wrong = Math.max(wrong, Math.abs(o[row * hq * d + x] - bad[x]));
                    }
                    for (int g = 0; g < hq; g++) {
                        worst = Math.max(worst, Math.abs(lse[row * hq + g] - ref[hq * d + g]));
                    }
                    wrongBest = Math.min(wrongBest, wrong);
                }
            }
            assertTrue(worst < 1e-5, "max error " + worst);
            assertTrue(wrongBest > 1e-2, "an interleaved head map is within " + wrongBest);
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static float[] slice(float[] a, int from, int to) {
        float[] s = new float[to - from];
        System.arraycopy(a, from, s, 0, to - from);
        return s;
    }

    /** Decodes IEEE binary16 bits (written out here, not read from the engine). */
    static double fromHalfBits(int bits) {
        int sign = (bits >> 15) & 1;
        int exp = (bits >> 10) & 0x1f;
        int man = bits & 0x3ff;
        double v;
        if (exp == 0) {
            v = man * Math.scalb(1.0, -24);
        } else if (exp == 31) {
            v = man == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = (1 + man / 1024.0) * Math.scalb(1.0, exp - 15);
        }
        return sign == 1 ? -v : v;
    }

    /** Decodes bfloat16 bits: the top half of a float32. */
    static double fromBf16Bits(int bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** One unit in the last place of {@code type} at the magnitude of x (normal or subnormal). */
    static double ulp(DataType type, double x) {
        int mant = type == DataType.FLOAT16 ? 10 : 7;
        int minExp = type == DataType.FLOAT16 ? -14 : -126;
        int e = x == 0 ? minExp : Math.max(Math.getExponent(x), minExp);
        return Math.scalb(1.0, e - mant);
    }

    /** x rounded to the nearest value of {@code type}, ties to even. */
    static double round(DataType type, double x) {
        double u = ulp(type, x);
        return Math.rint(x / u) * u;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DataType.class, names = {"FLOAT16", "BFLOAT16"})
    void sixteenBitOutputIsTheRoundedReference(DataType type) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(6, 2).setHeadDim(64).optCausal(true).build();
        BatchAttention attn = new BatchAttention(spec);
        try (Workload w = new Workload(manager, spec, type, LENS, 16, KvLayout.HND, 5, 9)) {
            assertEquals(type, w.cache.getDataType());
            List<Workload.Segment> segs = Workload.fullPrefill(LENS, 0, 1, 2);
            BatchPlan plan = w.plan(attn, segs);
            int rows = plan.getTotalQo();
            try (NDArray q = w.queries(segs);
                    AttentionOutput out = attn.run(plan, q, w.cache)) {
                assertEquals(type, q.getDataType());
                assertEquals(type, out.getOutput().getDataType(), "output dtype follows q");
                assertEquals(new Shape(rows, 6, 64), out.getOutput().getShape());
                assertEquals(DataType.FLOAT32, out.getLse().getDataType(), "lse stays float32");
                ByteBuffer bb = out.getOutput().toByteBuffer();
                assertEquals(rows * 6 * 64 * 2, bb.remaining(), "two bytes per element");
                ShortBuffer sb = bb.asShortBuffer();
                float[] lse = out.getLse().toFloatArray();
                RefAttention ref = new RefAttention(6, 2, 64);
                int exact = 0;
                int total = 0;
                int row = 0;
                for (Workload.Segment s : segs) {
                    for (int p = s.from; p < s.to; p++, row++) {
                        double[] want = ref.row(w.q[s.request], w.k[s.request], w.v[s.request], p, s.kvLen);
                        for (int x = 0; x < 6 * 64; x++) {
                            int bits = sb.get(row * 6 * 64 + x) & 0xffff;
                            double got = type == DataType.FLOAT16 ? fromHalfBits(bits) : fromBf16Bits(bits);
                            double r = round(type, want[x]);
                            // float32 accumulation (absolute error ~1e-7 at outputs of order 1)
                            // may land on the neighbour of the rounded value
                            assertTrue(Math.abs(got - want[x]) <= ulp(type, want[x]) + 1e-6,
                                    type + " row " + row + " elem " + x + ": " + got + " vs " + want[x]);
                            exact += got == r ? 1 : 0;
                            total++;
                        }
                        for (int g = 0; g < 6; g++) {
                            assertEquals(want[6 * 64 + g], lse[row * 6 + g], 1e-4, "lse row " + row);
                        }
                    }
                }
                assertTrue(exact >= 0.99 * total, exact + " of " + total + " equal the rounded reference");
            }
        }
    }

    /** The decoders above against known bit patterns, so the output check cannot share a bug. */
    @Test
    void decodersKnowTheFormats() {
        assertEquals(1.0, fromHalfBits(0x3c00));
        assertEquals(-2.0, fromHalfBits(0xc000));
        assertEquals(65504.0, fromHalfBits(0x7bff));
        assertEquals(Math.scalb(1.0, -24), fromHalfBits(0x0001));
        assertEquals(1.0, fromBf16Bits(0x3f80));
        assertEquals(-0.5, fromBf16Bits(0xbf00));
        assertEquals(1.0 + 1.0 / 1024, round(DataType.FLOAT16, 1.0 + 1.4 / 1024));
        assertEquals(1.0, round(DataType.FLOAT16, 1.0 + 0.5 / 1024), "tie to even");
        assertEquals(1.0 + 2.0 / 128, round(DataType.BFLOAT16, 1.0 + 1.5 / 128), "tie to even");
    }
}
