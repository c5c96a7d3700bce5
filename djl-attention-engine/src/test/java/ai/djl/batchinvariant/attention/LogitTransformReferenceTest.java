/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.testing.SharedManagerTestBase;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What attention does to the logits, against {@link RefAttention}'s own formulas: the default
 * scale 1/sqrt(head_dim), an explicit scale, ALiBi slopes per query head (powers of two, other
 * head counts, under GQA), the tanh soft cap, the sliding window and non-causal attention. Every
 * case lists the mistakes it must catch and asserts the engine's output is far from each.
 */
class LogitTransformReferenceTest extends SharedManagerTestBase {

    private static final int[] LENS = {1, 17, 300};

    private static AttentionSpec.Builder spec(int hq, int hkv, int d) {
        return AttentionSpec.builder().setHeads(hq, hkv).setHeadDim(d).optCausal(true);
    }

    @ParameterizedTest(name = "head_dim {0}")
    @ValueSource(ints = {64, 128, 256})
    void defaultScaleIsOneOverSqrtHeadDim(int d) {
        AttentionSpec spec = spec(2, 1, d).build();
        assertEquals((float) (1 / Math.sqrt(d)), spec.getSmScale(), 0f);
        RefAttention good = new RefAttention(2, 1, d);
        good.scale = 1 / Math.sqrt(d);
        RefAttention sqrt = good.copy();
        sqrt.scale = Math.sqrt(d);
        RefAttention one = good.copy();
        one.scale = 1;
        RefAttention overD = good.copy();
        overD.scale = 1.0 / d;
        RefAttention.assertRun(manager, spec, LENS, good, sqrt, one, overD);
    }

    @Test
    void explicitScaleReplacesTheDefault() {
        AttentionSpec spec = spec(4, 2, 64).optSmScale(0.3f).build();
        RefAttention good = new RefAttention(4, 2, 64);
        good.scale = 0.3f;
        RefAttention dflt = new RefAttention(4, 2, 64);
        RefAttention.assertRun(manager, spec, LENS, good, dflt);
    }

    /** The slopes the public accessor reports are the paper's, to float rounding. */
    @Test
    void alibiSlopeAccessorMatchesThePaper() {
        for (int n = 1; n <= 40; n++) {
            AttentionSpec spec = spec(n, 1, 64).optPosEncoding(PosEncoding.ALIBI).build();
            double[] want = RefAttention.alibiSlopes(n);
            for (int h = 0; h < n; h++) {
                assertEquals((float) want[h], spec.alibiSlope(h), 0f, "head " + h + " of " + n);
            }
        }
        assertEquals(0f, spec(8, 1, 64).build().alibiSlope(3), 0f, "no ALiBi, no slope");
        // spot values from the paper: 8 heads start at 1/2, halving
        assertEquals(0.5f, spec(8, 8, 64).optPosEncoding(PosEncoding.ALIBI).build().alibiSlope(0), 0f);
        assertEquals(1f / 256, spec(8, 8, 64).optPosEncoding(PosEncoding.ALIBI).build().alibiSlope(7), 0f);
    }

    private static RefAttention alibiRef(int hq, int hkv, double[] slopes) {
        RefAttention r = new RefAttention(hq, hkv, 64);
        r.alibi = slopes;
        return r;
    }

    @Test
    void alibiPowerOfTwoHeads() {
        AttentionSpec spec = spec(8, 8, 64).optPosEncoding(PosEncoding.ALIBI).build();
        double[] s = RefAttention.alibiSlopes(8);
        double[] shifted = new double[8];
        double[] negated = new double[8];
        for (int h = 0; h < 8; h++) {
            shifted[h] = Math.pow(2, -8.0 * (h + 2) / 8);
            negated[h] = -s[h];
        }
        RefAttention.assertRun(manager, spec, LENS, alibiRef(8, 8, s), alibiRef(8, 8, null),
                alibiRef(8, 8, shifted), alibiRef(8, 8, negated), alibiRef(8, 8, RefAttention.alibiSlopes(16)));
    }

    @Test
    void alibiHeadCountNotAPowerOfTwo() {
        AttentionSpec spec = spec(6, 6, 64).optPosEncoding(PosEncoding.ALIBI).build();
        double[] naive = new double[6];
        for (int h = 0; h < 6; h++) {
            naive[h] = Math.pow(2, -8.0 * (h + 1) / 6);
        }
        RefAttention.assertRun(manager, spec, LENS, alibiRef(6, 6, RefAttention.alibiSlopes(6)),
                alibiRef(6, 6, naive), alibiRef(6, 6, null));
    }

    /** Under GQA the slope follows the query head, not the KV head it reads. */
    @ParameterizedTest(name = "group {0}")
    @ValueSource(ints = {2, 3})
    void alibiSlopeFollowsTheQueryHeadUnderGqa(int group) {
        int hkv = 4;
        int hq = hkv * group;
        AttentionSpec spec = spec(hq, hkv, 64).optPosEncoding(PosEncoding.ALIBI).build();
        double[] s = RefAttention.alibiSlopes(hq);
        double[] byKvHead = new double[hq];
        double[] kvCount = new double[hq];
        double[] kvSlopes = RefAttention.alibiSlopes(hkv);
        for (int g = 0; g < hq; g++) {
            byKvHead[g] = s[g / group];
            kvCount[g] = kvSlopes[g / group];
        }
        RefAttention.assertRun(manager, spec, LENS, alibiRef(hq, hkv, s), alibiRef(hq, hkv, byKvHead),
                alibiRef(hq, hkv, kvCount), alibiRef(hq, hkv, null));
    }

    @ParameterizedTest(name = "cap {0}")
    @ValueSource(floats = {1.5f, 5f})
    void softCapIsCapTimesTanhOfLogitOverCap(float cap) {
        // sm_scale 1 makes logits of tens, far beyond the cap, so the cap decides the weights
        AttentionSpec spec = spec(4, 2, 64).optSmScale(1f).optLogitsSoftCap(cap).build();
        RefAttention good = new RefAttention(4, 2, 64);
        good.scale = 1;
        good.cap = cap;
        RefAttention ignored = good.copy();
        ignored.cap = 0;
        RefAttention doubled = good.copy();
        doubled.cap = 2 * cap;
        RefAttention halved = good.copy();
        halved.cap = cap / 2;
        RefAttention.assertRun(manager, spec, LENS, good, ignored, doubled, halved);
    }

    @Test
    void softCapAppliesToTheScaledLogit() {
        // default scale 1/8: cap(x * s) differs from cap(x) * s and from cap(x) at 1/8 scale
        AttentionSpec spec = spec(4, 2, 64).optLogitsSoftCap(1f).build();
        RefAttention good = new RefAttention(4, 2, 64);
        good.cap = 1;
        RefAttention unscaled = good.copy();
        unscaled.scale = 1;
        RefAttention noCap = new RefAttention(4, 2, 64);
        RefAttention.assertRun(manager, spec, LENS, good, unscaled, noCap);
    }

    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {0, 3, 50, 70})
    void slidingWindowSeesPositionsPMinusWToP(int w) {
        // split 64 puts window edges inside and across chunks
        AttentionSpec spec = spec(4, 2, 64).optWindowLeft(w).optSplitPolicy(SplitPolicy.fixed(64)).build();
        RefAttention good = new RefAttention(4, 2, 64);
        good.window = w;
        RefAttention wider = good.copy();
        wider.window = w + 1;
        RefAttention off = good.copy();
        off.window = -1;
        if (w > 0) {
            RefAttention narrower = good.copy();
            narrower.window = w - 1;
            RefAttention.assertRun(manager, spec, LENS, good, wider, narrower, off);
        } else {
            RefAttention.assertRun(manager, spec, LENS, good, wider, off);
        }
    }

    @Test
    void nonCausalSeesEveryKey() {
        AttentionSpec spec = spec(4, 2, 64).optCausal(false).build();
        RefAttention good = new RefAttention(4, 2, 64);
        good.causal = false;
        RefAttention causal = new RefAttention(4, 2, 64);
        RefAttention.assertRun(manager, spec, LENS, good, causal);
    }

    @Test
    void alibiWithSoftCapAndWindowTogether() {
        // the order is scale, then ALiBi bias, then cap, and the window cuts what is left
        AttentionSpec spec = spec(4, 4, 64).optPosEncoding(PosEncoding.ALIBI).optLogitsSoftCap(3f)
                .optWindowLeft(40).build();
        RefAttention good = alibiRef(4, 4, RefAttention.alibiSlopes(4));
        good.cap = 3;
        good.window = 40;
        RefAttention noAlibi = good.copy();
        noAlibi.alibi = null;
        RefAttention.assertRun(manager, spec, LENS, good, noAlibi);
    }
}
