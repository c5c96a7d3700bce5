/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * The attention kernels (q·k, exp, max, p·v) on both paths, plain and Vector API, against the
 * simple loops of {@link KernelReference}, raw bits equal over head counts, key counts that are
 * not multiples of any vector length, head dims 32 to 256 (and 20, which leaves a vector tail),
 * and data with NaN and infinities; then whole attention calls on both paths. The vector path
 * runs when the JVM has {@code jdk.incubator.vector} (the build's test JVMs do).
 */
class AttentionKernelsTest {

    private final Random rnd = new Random(7);

    private static boolean[] paths() {
        return Simd.ENABLED ? new boolean[] {false, true} : new boolean[] {false};
    }

    @Test
    void vectorPathIsOnInTheBuildsTestJvm() {
        // surefire passes --add-modules jdk.incubator.vector; without it only the plain path runs
        assertEquals(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), Simd.ENABLED);
    }

    @Test
    void scoresMatchTheDotLoopBitForBit() {
        int[] dims = {20, 32, 64, 128, 256};
        for (boolean vector : paths()) {
            for (int d : dims) {
                for (int heads = 1; heads <= 9; heads++) {
                    int keys = 1 + rnd.nextInt(70);
                    float[] q = KernelReference.data(rnd, 3 + heads * d, 0.01);
                    float[] k = KernelReference.data(rnd, 5 + keys * d, 0.01);
                    int stride = keys + 3;
                    float[] got = new float[heads * stride + 2];
                    float[] want = got.clone();
                    AttentionKernels.scores(vector, q, 3, heads, k, 5, keys, d, got, 2, stride);
                    for (int g = 0; g < heads; g++) {
                        for (int j = 0; j < keys; j++) {
                            want[2 + g * stride + j] = KernelReference.dot(q, 3 + g * d, k, 5 + j * d, d);
                        }
                    }
                    assertEquals(-1, KernelReference.firstDifference(want, got),
                            "vector=" + vector + " d=" + d + " heads=" + heads + " keys=" + keys);
                }
            }
        }
    }

    @Test
    void aChangedSummationOrderOrAnUnfusedProductIsCaught() {
        // inverse cases: one sequential chain instead of four partial sums, or the same four sums
        // with each product rounded before its add, give other bits
        int d = 128;
        float[] q = KernelReference.data(rnd, d, 0);
        float[] k = KernelReference.data(rnd, 64 * d, 0);
        float[] got = new float[64];
        AttentionKernels.scores(Simd.ENABLED, q, 0, 1, k, 0, 64, d, got, 0, 64);
        float[] chain = new float[64];
        float[] unfused = new float[64];
        for (int j = 0; j < 64; j++) {
            float c = 0f;
            float[] s = new float[4];
            for (int x = 0; x < d; x++) {
                c += q[x] * k[j * d + x];
                s[x % 4] = s[x % 4] + q[x] * k[j * d + x];
            }
            chain[j] = c;
            unfused[j] = (s[0] + s[1]) + (s[2] + s[3]);
        }
        assertNotEquals(-1, KernelReference.firstDifference(chain, got));
        assertNotEquals(-1, KernelReference.firstDifference(unfused, got));
    }

    @Test
    void expMatchesFastMathOverTheWholeRange() {
        int n = 4099;
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0:
                    s[i] = Float.intBitsToFloat(rnd.nextInt());
                    break;
                case 1:
                    s[i] = (float) (rnd.nextDouble() * 220 - 120);
                    break;
                case 2:
                    // around the thresholds of the scalar code
                    float[] edges = {-87f, 87f, -87.33655f, -103.97208f, 88.72283f, -126f * 0.6931472f, 0f, -0f};
                    s[i] = Math.nextUp(edges[rnd.nextInt(edges.length)]) + (rnd.nextInt(5) - 2) * 1e-5f;
                    break;
                default:
                    s[i] = -(float) rnd.nextExponential() * 10;
            }
        }
        s[5] = Float.NaN;
        s[6] = Float.NEGATIVE_INFINITY;
        s[7] = Float.POSITIVE_INFINITY;
        for (boolean vector : paths()) {
            for (float m : new float[] {0f, 1.5f, -2f, Float.NEGATIVE_INFINITY, Float.NaN}) {
                float[] got = new float[n + 1];
                float[] want = new float[n + 1];
                AttentionKernels.exp(vector, s, 0, n, m, got, 1);
                for (int i = 0; i < n; i++) {
                    want[i + 1] = FastMath.exp(s[i] - m);
                }
                assertEquals(-1, KernelReference.firstDifference(want, got), "vector=" + vector + " m=" + m);
            }
        }
    }

    @Test
    void maxIsTheOrderedChain() {
        for (boolean vector : paths()) {
            for (int n = 0; n < 600; n += n < 70 ? 1 : 37) {
                float[] s = KernelReference.data(rnd, n + 2, n % 3 == 0 ? 0.05 : n % 3 == 1 ? 0.002 : 0);
                float want = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    want = Math.max(want, s[i + 2]);
                }
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(AttentionKernels.max(vector, s, 2, n)));
            }
        }
    }

    /**
     * The max of a run in any order must still give the ordered chain's result for NaNs of either
     * sign and any payload, and its bits for signed zeros and infinities, wherever in the run
     * (vector steps or tail) they sit.
     */
    @Test
    void maxKeepsJavasOrderForNaNsZerosAndInfinities() {
        float[] odd = {Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0xffffffff),
            Float.intBitsToFloat(0xff800001), Float.intBitsToFloat(0x7f800001), Float.NaN, 0f, -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, -Float.MIN_VALUE};
        for (boolean vector : paths()) {
            for (int n : new int[] {64, 100, 257, 1000}) {
                for (float base : new float[] {-0f, Float.NEGATIVE_INFINITY, -3f}) {
                    for (float v : odd) {
                        for (int at : new int[] {0, 17, n / 2, n - 1}) {
                            float[] s = new float[n + 2];
                            java.util.Arrays.fill(s, base);
                            s[at + 2] = v;
                            float want = Float.NEGATIVE_INFINITY;
                            for (int i = 0; i < n; i++) {
                                want = Math.max(want, s[i + 2]);
                            }
                            // a NaN's payload is left open (see KernelReference#firstDifference)
                            assertEquals(Float.floatToIntBits(want),
                                    Float.floatToIntBits(AttentionKernels.max(vector, s, 2, n)),
                                    "vector=" + vector + " n=" + n + " base=" + base + " value bits="
                                            + Integer.toHexString(Float.floatToRawIntBits(v)) + " at " + at);
                        }
                    }
                }
            }
        }
    }

    @Test
    void accumulateMatchesTheKeyOrderedLoop() {
        for (boolean vector : paths()) {
            for (int d : new int[] {20, 32, 64, 128, 256}) {
                for (int heads = 1; heads <= 9; heads += 2) {
                    int keys = 1 + rnd.nextInt(64);
                    int pStride = 67;
                    float[] acc = KernelReference.data(rnd, 4 + heads * d, 0.01);
                    float[] p = KernelReference.data(rnd, heads * pStride, 0.01);
                    float[] v = KernelReference.data(rnd, 3 + keys * d, 0.01);
                    float[] scale = KernelReference.data(rnd, heads, 0.1);
                    float[] want = acc.clone();
                    AttentionKernels.accumulate(vector, acc, 4, heads, scale, p, 0, pStride, v, 3, keys, d);
                    for (int g = 0; g < heads; g++) {
                        KernelReference.accumulate(want, 4 + g * d, scale[g], p, g * pStride, v, 3, keys, d);
                    }
                    assertEquals(-1, KernelReference.firstDifference(want, acc),
                            "vector=" + vector + " d=" + d + " heads=" + heads + " keys=" + keys);
                }
            }
        }
    }

    @Test
    void wholeAttentionIsTheSameOnBothPaths() {
        // ragged batches, GQA groups 1/4/6, causal and not, sliding window, soft cap, head dims
        int[][] cases = {{8, 8, 64}, {32, 8, 128}, {12, 2, 256}, {4, 1, 32}};
        for (int[] c : cases) {
            for (int variant = 0; variant < 3; variant++) {
                int hq = c[0];
                int hkv = c[1];
                int d = c[2];
                AttentionConfig config = new AttentionConfig(hq, hkv, d, variant != 1, variant == 2 ? 37 : -1,
                        (float) (1 / Math.sqrt(d)), variant == 1 ? 30f : 0f, AttentionConfig.POS_NONE, null, null);
                int[] qoLens = {1, 70, 3};
                int[] kvLens = {150, 70, 260};
                int[] qo = new int[4];
                int[] kv = new int[4];
                for (int r = 0; r < 3; r++) {
                    qo[r + 1] = qo[r] + qoLens[r];
                    kv[r + 1] = kv[r] + kvLens[r];
                }
                AttentionWork work = new AttentionWork(config, false, 1, qo, kv, null, kvLens, 128);
                Tensor q = Tensor.host(new Shape(qo[3], hq, d), DataType.FLOAT32, KernelReference.data(rnd, qo[3] * hq * d, 0));
                Tensor k = Tensor.host(new Shape(kv[3], hkv, d), DataType.FLOAT32, KernelReference.data(rnd, kv[3] * hkv * d, 0));
                Tensor v = Tensor.host(new Shape(kv[3], hkv, d), DataType.FLOAT32, KernelReference.data(rnd, kv[3] * hkv * d, 0));
                Tensor[] plain = CpuAttention.INSTANCE.attention(work, q, k, v, false, false);
                float[] po = (float[]) plain[0].hostData();
                assertTrue(Float.isFinite(po[po.length / 2]));
                for (boolean vector : paths()) {
                    Tensor[] got = CpuAttention.INSTANCE.attention(work, q, k, v, false, vector);
                    assertEquals(-1, KernelReference.firstDifference(po, (float[]) got[0].hostData()), "out " + variant);
                    assertEquals(-1, KernelReference.firstDifference((float[]) plain[1].hostData(),
                            (float[]) got[1].hostData()), "lse " + variant);
                }
            }
        }
    }
}
