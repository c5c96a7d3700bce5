/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.SharedManagerTestBase;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * Llama RoPE inside attention against {@link RefAttention}, which rotates q and k itself from
 * frequencies written in the test: the base theta, the rotate-half pairing, linear position
 * scaling and Llama 3.1 scaling with its three frequency bands. Each case also names the mistakes
 * it must catch (wrong theta, interleaved pairs, reversed rotation, scaling dropped or inverted, a
 * band mis-scaled) and asserts the engine is far from each. The last test makes the rotary table
 * grow twice and checks that positions computed before the growth still give the reference.
 */
class RopeReferenceTest extends SharedManagerTestBase {

    private static final int[] LENS = {1, 17, 300};

    private static AttentionSpec.Builder rope(int hq, int hkv, int d) {
        return AttentionSpec.builder().setHeads(hq, hkv).setHeadDim(d).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA);
    }

    private static RefAttention ref(int hq, int hkv, int d, double[] freq, double posScale) {
        RefAttention r = new RefAttention(hq, hkv, d);
        r.invFreq = freq;
        r.posScale = posScale;
        return r;
    }

    @Test
    void defaultThetaIsTenThousandWithRotateHalfPairs() {
        // no optRope: theta must default to 10000 and positions to scale 1
        AttentionSpec spec = rope(4, 2, 64).build();
        RefAttention good = ref(4, 2, 64, RefAttention.ropeFreq(64, 10000), 1);
        RefAttention interleaved = good.copy();
        interleaved.rotateHalf = false;
        RefAttention reversed = good.copy();
        reversed.posScale = -1;
        RefAttention otherTheta = ref(4, 2, 64, RefAttention.ropeFreq(64, 500000), 1);
        RefAttention none = ref(4, 2, 64, null, 1);
        // exponent i/d instead of 2i/d: every frequency but the first is wrong
        double[] half = new double[32];
        for (int i = 0; i < 32; i++) {
            half[i] = Math.pow(10000, -(double) i / 64);
        }
        RefAttention halfExponent = ref(4, 2, 64, half, 1);
        RefAttention.assertRun(manager, spec, LENS, good, interleaved, reversed, otherTheta, none, halfExponent);
    }

    @Test
    void llama3ThetaAtHeadDim128() {
        AttentionSpec spec = rope(8, 2, 128).optRope(500000, 1).build();
        RefAttention good = ref(8, 2, 128, RefAttention.ropeFreq(128, 500000), 1);
        RefAttention defaultTheta = ref(8, 2, 128, RefAttention.ropeFreq(128, 10000), 1);
        // the frequency exponent must use head_dim 128, not a fixed 64
        RefAttention dim64 = ref(8, 2, 128, null, 1);
        double[] f = new double[64];
        for (int i = 0; i < 64; i++) {
            f[i] = Math.pow(500000, -(2.0 * i) / 64);
        }
        dim64.invFreq = f;
        RefAttention.assertRun(manager, spec, LENS, good, defaultTheta, dim64);
    }

    @Test
    void linearScalingDividesPositions() {
        AttentionSpec spec = rope(4, 2, 64).optRope(10000, 4).build();
        double[] f = RefAttention.ropeFreq(64, 10000);
        RefAttention good = ref(4, 2, 64, f, 4);
        RefAttention dropped = ref(4, 2, 64, f, 1);
        RefAttention multiplied = ref(4, 2, 64, f, 0.25);
        RefAttention.assertRun(manager, spec, LENS, good, dropped, multiplied);
    }

    @Test
    void llama3ScalingBandsAndSmoothInterpolation() {
        // original context 64 puts the 32 frequencies of d=64, theta=500000 in all three bands:
        // wavelength < 16 kept, > 64 divided by 8, in between interpolated
        double[] plain = RefAttention.ropeFreq(64, 500000);
        int kept = 0;
        int divided = 0;
        int smooth = 0;
        for (double fr : plain) {
            double wl = 2 * Math.PI / fr;
            if (wl < 16) {
                kept++;
            } else if (wl > 64) {
                divided++;
            } else {
                smooth++;
            }
        }
        assertTrue(kept >= 2 && divided >= 2 && smooth >= 2, kept + " kept, " + divided + " divided, " + smooth + " smooth");
        double[] scaled = RefAttention.llama3(plain, 8, 1, 4, 64);
        AttentionSpec spec = rope(4, 2, 64).optRope(500000, 1).optLlama3Scaling(8, 1, 4, 64).build();
        RefAttention good = ref(4, 2, 64, scaled, 1);
        // scaling dropped; every band divided; the smooth band left as is or divided outright
        RefAttention dropped = ref(4, 2, 64, plain, 1);
        double[] all = plain.clone();
        double[] smoothKept = scaled.clone();
        double[] smoothDivided = scaled.clone();
        double[] smoothFlipped = scaled.clone();
        for (int i = 0; i < plain.length; i++) {
            all[i] = plain[i] / 8;
            double wl = 2 * Math.PI / plain[i];
            if (wl >= 16 && wl <= 64) {
                smoothKept[i] = plain[i];
                smoothDivided[i] = plain[i] / 8;
                // smooth and 1 - smooth swapped
                double s = (64 / wl - 1) / (4 - 1);
                smoothFlipped[i] = s * plain[i] / 8 + (1 - s) * plain[i];
            }
        }
        RefAttention.assertRun(manager, spec, LENS, good, dropped, ref(4, 2, 64, all, 1),
                ref(4, 2, 64, smoothKept, 1), ref(4, 2, 64, smoothDivided, 1), ref(4, 2, 64, smoothFlipped, 1));
    }

    @Test
    void llama3LowAndHighFactorsAndOriginalLengthAllCount() {
        // low 2, high 8, original 256: band edges at wavelengths 128 and 32
        double[] plain = RefAttention.ropeFreq(64, 500000);
        AttentionSpec spec = rope(4, 2, 64).optRope(500000, 1).optLlama3Scaling(4, 2, 8, 256).build();
        RefAttention good = ref(4, 2, 64, RefAttention.llama3(plain, 4, 2, 8, 256), 1);
        RefAttention lowIgnored = ref(4, 2, 64, RefAttention.llama3(plain, 4, 1, 8, 256), 1);
        RefAttention highIgnored = ref(4, 2, 64, RefAttention.llama3(plain, 4, 2, 4, 256), 1);
        RefAttention otherOrig = ref(4, 2, 64, RefAttention.llama3(plain, 4, 2, 8, 8192), 1);
        RefAttention otherFactor = ref(4, 2, 64, RefAttention.llama3(plain, 8, 2, 8, 256), 1);
        RefAttention.assertRun(manager, spec, LENS, good, lowIgnored, highIgnored, otherOrig, otherFactor);
    }

    @Test
    void ropeWithGqaGroupOfThree() {
        AttentionSpec spec = rope(6, 2, 64).optRope(10000, 2).build();
        RefAttention good = ref(6, 2, 64, RefAttention.ropeFreq(64, 10000), 2);
        RefAttention.assertRun(manager, spec, LENS, good);
    }

    /**
     * The rotary table starts at 1024 positions and grows on demand (to at least twice its size).
     * Rows past 1024 and past 2048 force two growths; rows computed before must not move by a bit
     * and every row must match the reference.
     */
    /**
     * Keys rotated as they enter the cache ({@link PosEncoding#ROPE_LLAMA_ROTATED_CACHE}): the same
     * reference and wrong variants, and on a float32 cache the bits of keys rotated in the kernel.
     */
    @Test
    void keysRotatedOnAppendGiveTheInKernelRotation() {
        AttentionSpec inKernel = rope(8, 2, 64).optRope(500000, 1).build();
        AttentionSpec cached = rope(8, 2, 64).optRope(500000, 1)
                .optPosEncoding(PosEncoding.ROPE_LLAMA_ROTATED_CACHE).build();
        RefAttention good = ref(8, 2, 64, RefAttention.ropeFreq(64, 500000), 1);
        RefAttention none = ref(8, 2, 64, null, 1);
        RefAttention otherTheta = ref(8, 2, 64, RefAttention.ropeFreq(64, 10000), 1);
        Workload.Result a = RefAttention.assertRun(manager, inKernel, LENS, good, none, otherTheta);
        Workload.Result b = RefAttention.assertRun(manager, cached, LENS, good, none, otherTheta);
        for (int r = 0; r < LENS.length; r++) {
            for (int i = 0; i < LENS[r]; i++) {
                for (int h = 0; h < a.o[r][i].length; h++) {
                    assertEquals(Float.floatToRawIntBits(a.o[r][i][h]), Float.floatToRawIntBits(b.o[r][i][h]),
                            "request " + r + " row " + i + " [" + h + "]");
                }
                assertArrayEquals(a.lse[r][i], b.lse[r][i], "lse of request " + r + " row " + i);
            }
        }
    }

    @Test
    void tableGrowthKeepsEarlierPositions() {
        AttentionSpec spec = rope(2, 1, 64).optRope(10000, 1).build();
        RefAttention good = ref(2, 1, 64, RefAttention.ropeFreq(64, 10000), 1);
        int[] lens = {60, 2100};
        try (Workload w = new Workload(manager, spec, DataType.FLOAT32, lens, 16, KvLayout.NHD, 3, 5)) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> early = new ArrayList<>();
            early.add(new Workload.Segment(0, 0, 60, 60));
            early.add(new Workload.Segment(1, 1000, 1020, 1020));
            Workload.Result before = w.run(attn, early, null);
            assertOk(good, w, before, early);

            // positions up to 1040, then up to 2100: the table grows past 1024 and past 2048
            List<Workload.Segment> late = new ArrayList<>();
            late.add(new Workload.Segment(1, 1018, 1040, 1040));
            Workload.Result mid = w.run(attn, late, null);
            assertOk(good, w, mid, late);
            List<Workload.Segment> last = new ArrayList<>();
            last.add(new Workload.Segment(1, 2040, 2100, 2100));
            Workload.Result end = w.run(attn, last, null);
            assertOk(good, w, end, last);

            Workload.Result after = w.run(attn, early, null);
            assertOk(good, w, after, early);
            assertEquals(0, Bits.diff(before, after, 0, 0, 60), "positions below 60 after growth");
            assertEquals(0, Bits.diff(before, after, 1, 1000, 1020), "positions 1000-1019 after growth");
        }
    }

    private static void assertOk(RefAttention good, Workload w, Workload.Result res, List<Workload.Segment> segs) {
        double[] e = good.errors(w, res, segs);
        assertTrue(e[0] < RefAttention.TOL && e[2] < 1e-4, "relative L2 " + e[0] + ", lse error " + e[2]);
    }
}
