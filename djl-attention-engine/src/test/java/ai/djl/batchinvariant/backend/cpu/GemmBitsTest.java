/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The float32 matrix product's bit contract: every entry point and both kernels (Vector API and
 * plain Java) give, on raw bits, what the plain triple loop written here gives — each output
 * summed in increasing k from +0, a rounded product then a rounded sum per step. Shapes cover
 * every remainder of the panel width, the six- and four-row kernels, the k block and the four-k unrolling;
 * data include negatives, overflowing and subnormal magnitudes, signed zeros, infinities and NaN.
 * Row i of an M-row product equals the same row computed alone, and each product of a batch (run
 * side by side on the threads) the same product alone. Inverse cases show that a
 * pairwise sum or a fused multiply-add, each close in value, fail this bit comparison. A child
 * JVM started without the Vector API module loads the engine, uses the plain kernel and prints
 * the same bits.
 */
class GemmBitsTest {

    private static final int[] MS = {1, 2, 3, 7, 16, 64, 255, 256, 1000};
    private static final int[] NS = {1, 17, 64, 65, 130};
    private static final int[] KS = {1, 5, 64, 515};

    /** The contract: sequential k from +0, each step one fused multiply-add. */
    static float[] reference(float[] a, float[] b, int m, int n, int k) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a[i * k + p], b[p * n + j], s);
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** Data of one of four kinds: plain, huge and tiny magnitudes, special values, exact zeros. */
    static float[] data(Random rnd, int len, int kind) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            float g = (float) rnd.nextGaussian();
            switch (kind) {
                case 1:
                    // exponents from subnormal to near overflow: products overflow and underflow
                    x[i] = g * (float) Math.scalb(1.0, rnd.nextInt(250) - 140);
                    break;
                case 2:
                    int r = rnd.nextInt(40);
                    x[i] = r == 0 ? Float.NaN : r == 1 ? Float.POSITIVE_INFINITY : r == 2
                            ? Float.NEGATIVE_INFINITY : r == 3 ? -0f : g;
                    break;
                case 3:
                    // many exact zeros and -0: the sign of a zero sum depends on the first step
                    x[i] = rnd.nextInt(3) == 0 ? g : rnd.nextBoolean() ? 0f : -0f;
                    break;
                default:
                    x[i] = g;
            }
        }
        return x;
    }

    private static float[] transpose(float[] b, int k, int n) {
        float[] w = new float[n * k];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                w[j * k + p] = b[p * n + j];
            }
        }
        return w;
    }

    /** Raw bits equal; NaNs are compared as NaN, as Java leaves a NaN result's payload open. */
    static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            boolean same = Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i])
                    || Float.isNaN(want[i]) && Float.isNaN(got[i]);
            if (!same) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(got[i])) + "), want " + want[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(want[i])) + ")");
            }
        }
    }

    /** Every entry point and kernel for one shape and data kind, against the reference. */
    private static void checkShape(Random rnd, int m, int n, int k, int kind) {
        float[] a = data(rnd, m * k, kind);
        float[] b = data(rnd, k * n, kind);
        float[] want = reference(a, b, m, n, k);
        String at = m + "x" + n + "x" + k + " kind " + kind;
        // offsets into larger arrays, garbage in C beforehand
        float[] a2 = new float[m * k + 3];
        System.arraycopy(a, 0, a2, 3, m * k);
        float[] b2 = new float[k * n + 5];
        System.arraycopy(b, 0, b2, 5, k * n);
        float[] c = new float[m * n + 7];
        Arrays.fill(c, 12345f);
        CpuMath.gemm(a2, 3, b2, 5, c, 7, m, n, k);
        assertSameBits(want, Arrays.copyOfRange(c, 7, 7 + m * n), "CpuMath.gemm " + at);
        for (int i = 0; i < 7; i++) {
            assertEquals(12345f, c[i], "gemm wrote before its output");
        }
        PackedGemm.Panels rows = PackedGemm.packRows(b2, 5, k, n);
        PackedGemm.Panels cols = PackedGemm.packColumns(transpose(b, k, n), 0, n, k);
        for (boolean vector : kernels()) {
            String kern = vector ? " vector" : " plain";
            float[] out = new float[m * n];
            Arrays.fill(out, Float.NaN);
            PackedGemm.multiply(a2, 3, rows, out, 0, m, null, vector);
            assertSameBits(want, out, "packed rows" + kern + " " + at);
            Arrays.fill(out, Float.NaN);
            PackedGemm.multiply(a, 0, cols, out, 0, m, null, vector);
            assertSameBits(want, out, "packed columns" + kern + " " + at);
            if (m <= 16) {
                Arrays.fill(out, Float.NaN);
                StreamingGemm.gemm(a, 0, b, 0, out, 0, m, n, k, vector);
                assertSameBits(want, out, "streaming" + kern + " " + at);
            }
        }
    }

    /** The kernels this JVM can run: the plain one always, the Vector API one with its module. */
    private static boolean[] kernels() {
        return PackedGemm.vectorised() ? new boolean[] {true, false} : new boolean[] {false};
    }

    @Test
    void everyKernelMatchesTheSequentialLoopOverShapes() {
        Random rnd = new Random(7);
        for (int m : MS) {
            for (int n : NS) {
                for (int k : KS) {
                    checkShape(rnd, m, n, k, (m + n + k) % 4);
                }
            }
        }
    }

    @Test
    void everyDataKindOnLargerShapes() {
        Random rnd = new Random(8);
        for (int kind = 0; kind < 4; kind++) {
            checkShape(rnd, 37, 200, 1100, kind);
            checkShape(rnd, 4, 300, 1030, kind);
            checkShape(rnd, 1, 129, 2, kind);
        }
    }

    @Test
    void emptyReductionGivesPositiveZeroAndBias() {
        float[] c = {5f, 5f, 5f, 5f};
        CpuMath.gemm(new float[0], 0, new float[0], 0, c, 0, 2, 2, 0);
        for (float v : c) {
            assertEquals(0, Float.floatToRawIntBits(v));
        }
        for (boolean vector : kernels()) {
            float[] out = {5f, 5f};
            PackedGemm.multiply(new float[0], 0, PackedGemm.packColumns(new float[0], 0, 2, 0), out, 0, 1,
                    new float[] {1.5f, -2f}, vector);
            assertEquals(1.5f, out[0]);
            assertEquals(-2f, out[1]);
        }
    }

    @Test
    void biasIsOneRoundingAfterTheSum() {
        Random rnd = new Random(9);
        int m = 9;
        int n = 70;
        int k = 33;
        float[] a = data(rnd, m * k, 0);
        float[] b = data(rnd, k * n, 0);
        float[] bias = data(rnd, n, 0);
        float[] want = reference(a, b, m, n, k);
        for (int i = 0; i < m * n; i++) {
            want[i] = want[i] + bias[i % n];
        }
        for (boolean vector : kernels()) {
            float[] out = new float[m * n];
            PackedGemm.multiply(a, 0, PackedGemm.packColumns(transpose(b, k, n), 0, n, k), out, 0, m, bias, vector);
            assertSameBits(want, out, "bias " + (vector ? "vector" : "plain"));
        }
    }

    @Test
    void aRowHasTheBitsOfItsSoloProduct() {
        Random rnd = new Random(10);
        int n = 300;
        int k = 700;
        float[] b = data(rnd, k * n, 0);
        PackedGemm.Panels packed = PackedGemm.packColumns(transpose(b, k, n), 0, n, k);
        for (int m : new int[] {2, 7, 16, 256}) {
            float[] a = data(rnd, m * k, m == 7 ? 2 : 0);
            float[] all = new float[m * n];
            CpuMath.gemm(a, 0, b, 0, all, 0, m, n, k);
            float[] allPacked = new float[m * n];
            PackedGemm.multiply(a, 0, packed, allPacked, 0, m, null);
            for (int i : new int[] {0, m / 2, m - 1}) {
                float[] solo = new float[n];
                CpuMath.gemm(a, i * k, b, 0, solo, 0, 1, n, k);
                assertSameBits(solo, Arrays.copyOfRange(all, i * n, i * n + n), "gemm row " + i + " of " + m);
                float[] soloPacked = new float[n];
                PackedGemm.multiply(a, i * k, packed, soloPacked, 0, 1, null);
                assertSameBits(soloPacked, Arrays.copyOfRange(allPacked, i * n, i * n + n),
                        "linear row " + i + " of " + m);
                assertSameBits(solo, soloPacked, "row " + i + ": gemm and linear");
            }
        }
    }

    @Test
    void matMulBatchedAndBroadcastAndLinearThroughTheBackend() {
        Random rnd = new Random(13);
        int batch = 3;
        int k = 20;
        int n = 70;
        for (int m : new int[] {2, 9}) {
            float[] a = data(rnd, batch * m * k, 0);
            float[] shared = data(rnd, k * n, 0);
            float[] perBatch = data(rnd, batch * k * n, 0);
            Tensor ta = Tensor.host(new Shape(batch, m, k), DataType.FLOAT32, a);
            float[] broadcast = (float[]) CpuLinalg.INSTANCE.matMul(ta,
                    Tensor.host(new Shape(k, n), DataType.FLOAT32, shared)).hostData();
            float[] batched = (float[]) CpuLinalg.INSTANCE.batchMatMul(ta,
                    Tensor.host(new Shape(batch, k, n), DataType.FLOAT32, perBatch)).hostData();
            float[] lin = (float[]) CpuLinalg.INSTANCE.linear(ta,
                    Tensor.host(new Shape(n, k), DataType.FLOAT32, transpose(shared, k, n)), null).hostData();
            for (int i = 0; i < batch; i++) {
                float[] ai = Arrays.copyOfRange(a, i * m * k, (i + 1) * m * k);
                float[] want = reference(ai, shared, m, n, k);
                assertSameBits(want, Arrays.copyOfRange(broadcast, i * m * n, (i + 1) * m * n), "broadcast B, batch " + i);
                assertSameBits(want, Arrays.copyOfRange(lin, i * m * n, (i + 1) * m * n), "linear, batch " + i);
                float[] bi = Arrays.copyOfRange(perBatch, i * k * n, (i + 1) * k * n);
                assertSameBits(reference(ai, bi, m, n, k), Arrays.copyOfRange(batched, i * m * n, (i + 1) * m * n),
                        "batchMatMul, batch " + i);
            }
        }
    }

    /** {@code x} with every value cut to bfloat16 (low 16 bits cleared): NaN, ±inf, ±0 stay. */
    static float[] bf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xFFFF0000);
        }
        return y;
    }

    @Test
    void bf16PanelsGiveTheBitsOfFloat32PanelsAndTheLoop() {
        Random rnd = new Random(14);
        int[][] shapes = {{1, 1, 1}, {1, 65, 515}, {3, 130, 64}, {4, 64, 1030}, {7, 200, 33}, {9, 17, 600},
            {64, 129, 520}, {70, 300, 100}};
        for (int[] s : shapes) {
            for (int kind = 0; kind < 4; kind++) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                float[] a = data(rnd, m * k, kind);
                float[] b = bf16(data(rnd, k * n, kind));
                float[] want = reference(a, b, m, n, k);
                float[] bias = data(rnd, n, 0);
                float[] wantBias = want.clone();
                for (int i = 0; i < m * n; i++) {
                    wantBias[i] = want[i] + bias[i % n];
                }
                PackedGemm.Panels halves = PackedGemm.packColumns(transpose(b, k, n), 0, n, k);
                PackedGemm.Panels full = PackedGemm.packColumns(transpose(b, k, n), 0, n, k, false);
                assertTrue(halves.isBf16(), "bfloat16 values are packed in pairs");
                assertFalse(full.isBf16());
                String at = m + "x" + n + "x" + k + " kind " + kind;
                for (boolean vector : kernels()) {
                    String kern = vector ? " vector" : " plain";
                    float[] out = new float[m * n];
                    PackedGemm.multiply(a, 0, halves, out, 0, m, null, vector);
                    assertSameBits(want, out, "bf16 panels" + kern + " " + at);
                    Arrays.fill(out, Float.NaN);
                    PackedGemm.multiply(a, 0, full, out, 0, m, null, vector);
                    assertSameBits(want, out, "float32 panels" + kern + " " + at);
                    PackedGemm.multiply(a, 0, halves, out, 0, m, bias, vector);
                    assertSameBits(wantBias, out, "bf16 panels with bias" + kern + " " + at);
                }
            }
        }
    }

    @Test
    void aSingleFloat32ValueKeepsTheFloat32Panels() {
        Random rnd = new Random(15);
        int n = 70;
        int k = 9000;
        float[] w = bf16(data(rnd, n * k, 0));
        assertTrue(PackedGemm.packColumns(w, 0, n, k).isBf16());
        // one low bit set anywhere, first or last, rules the bfloat16 form out
        for (int at : new int[] {0, 5000, n * k - 1}) {
            float[] w2 = w.clone();
            w2[at] = Float.intBitsToFloat(Float.floatToRawIntBits(w2[at]) | 1);
            assertFalse(PackedGemm.packColumns(w2, 0, n, k).isBf16(), "float32 value at " + at);
        }
    }

    @Test
    void linearOnBf16WeightsThroughTheBackendHasTheLoopsBits() {
        Random rnd = new Random(16);
        int n = 150;
        int k = 600;
        float[] b = bf16(data(rnd, k * n, 0));
        Tensor w = Tensor.host(new Shape(n, k), DataType.FLOAT32, transpose(b, k, n));
        for (int m : new int[] {1, 5, 40}) {
            float[] a = data(rnd, m * k, 0);
            float[] got = (float[]) CpuLinalg.INSTANCE.linear(Tensor.host(new Shape(m, k), DataType.FLOAT32, a), w,
                    null).hostData();
            assertSameBits(reference(a, b, m, n, k), got, "linear on bfloat16 weights, " + m + " rows");
        }
    }

    /** Whether the comparison above would notice {@code other}: some element's bits differ. */
    private static boolean differs(float[] want, float[] other) {
        try {
            assertSameBits(want, other, "inverse");
            return false;
        } catch (AssertionError e) {
            return true;
        }
    }

    @Test
    void inverseAPairwiseSumOrAnUnfusedMultiplyAddFailsTheBitCheck() {
        Random rnd = new Random(11);
        int m = 4;
        int n = 64;
        int k = 515;
        float[] a = data(rnd, m * k, 0);
        float[] b = data(rnd, k * n, 0);
        float[] got = new float[m * n];
        CpuMath.gemm(a, 0, b, 0, got, 0, m, n, k);
        float[] pairwise = new float[m * n];
        float[] unfused = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float[] prods = new float[k];
                float f = 0f;
                for (int p = 0; p < k; p++) {
                    prods[p] = Math.fma(a[i * k + p], b[p * n + j], 0f);
                    f = f + a[i * k + p] * b[p * n + j];
                }
                pairwise[i * n + j] = pairwiseSum(prods, 0, k);
                unfused[i * n + j] = f;
            }
        }
        assertTrue(differs(got, pairwise), "a pairwise sum went unnoticed");
        assertTrue(differs(got, unfused), "a product rounded before its add went unnoticed");
        // both are close in value: only the order and rounding differ
        for (int i = 0; i < m * n; i++) {
            assertEquals(got[i], pairwise[i], 1e-3f * (1 + Math.abs(got[i])));
            assertEquals(got[i], unfused[i], 1e-3f * (1 + Math.abs(got[i])));
        }
        assertFalse(differs(got, reference(a, b, m, n, k)));
    }

    private static float pairwiseSum(float[] x, int from, int to) {
        if (to - from == 1) {
            return x[from];
        }
        int mid = (from + to) >>> 1;
        return pairwiseSum(x, from, mid) + pairwiseSum(x, mid, to);
    }

    /** Products printed by {@link PlainJvmProbe}: the same seeds and shapes in this JVM. */
    static String probeDigest() {
        Random rnd = new Random(12);
        StringBuilder sb = new StringBuilder();
        int[][] shapes = {{1, 70, 515}, {9, 130, 64}, {33, 65, 600}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            float[] a = data(rnd, m * k, 2);
            float[] b = data(rnd, k * n, 2);
            float[] c = new float[m * n];
            CpuMath.gemm(a, 0, b, 0, c, 0, m, n, k);
            float[] l = new float[m * n];
            PackedGemm.multiply(a, 0, PackedGemm.packColumns(transpose(b, k, n), 0, n, k), l, 0, m, null);
            // the same B cut to bfloat16: packed in pairs, widened by each kernel
            float[] h = new float[m * n];
            PackedGemm.multiply(a, 0, PackedGemm.packColumns(transpose(bf16(b), k, n), 0, n, k), h, 0, m, null);
            sb.append(digest(c)).append(' ').append(digest(l)).append(' ').append(digest(h)).append(' ');
        }
        return sb.toString().trim();
    }

    private static String digest(float[] x) {
        long h = 1;
        for (float v : x) {
            // NaN payloads aside, as in assertSameBits
            h = h * 1_000_003L + (Float.isNaN(v) ? 0x7fc00000 : Float.floatToRawIntBits(v));
        }
        return Long.toHexString(h);
    }

    @Test
    void aBatchOfProductsOnTheThreadsEqualsEachProductAlone() {
        Random rnd = new Random(10);
        // {a shape, b shape}: both batched, the right one broadcast, broadcast on both sides,
        // products below and above the packing's row count
        Shape[][] pairs = {
            {new Shape(5, 40, 33), new Shape(5, 33, 70)},
            {new Shape(6, 130, 64), new Shape(64, 90)},
            {new Shape(4, 1, 70, 33), new Shape(3, 33, 50)},
            {new Shape(64, 128, 64), new Shape(64, 64, 128)},
        };
        for (Shape[] p : pairs) {
            float[] a = data(rnd, (int) p[0].size(), 0);
            float[] b = data(rnd, (int) p[1].size(), 0);
            float[] got = (float[]) CpuLinalg.INSTANCE.matMul(Tensor.host(p[0], DataType.FLOAT32, a),
                    Tensor.host(p[1], DataType.FLOAT32, b)).hostData();
            int ra = p[0].dimension();
            int rb = p[1].dimension();
            int m = (int) p[0].get(ra - 2);
            int k = (int) p[0].get(ra - 1);
            int n = (int) p[1].get(rb - 1);
            Shape batch = Strided.broadcast(p[0].slice(0, ra - 2), p[1].slice(0, rb - 2));
            int[] oa = Strided.offsets(batch,
                    Strided.broadcastStrides(p[0].slice(0, ra - 2), batch), 0);
            int[] ob = Strided.offsets(batch,
                    Strided.broadcastStrides(p[1].slice(0, rb - 2), batch), 0);
            for (int i = 0; i < oa.length; i++) {
                float[] ai = Arrays.copyOfRange(a, oa[i] * m * k, (oa[i] + 1) * m * k);
                float[] bi = Arrays.copyOfRange(b, ob[i] * k * n, (ob[i] + 1) * k * n);
                float[] alone = (float[]) CpuLinalg.INSTANCE.matMul(Tensor.host(new Shape(m, k), DataType.FLOAT32, ai),
                        Tensor.host(new Shape(k, n), DataType.FLOAT32, bi)).hostData();
                float[] mine = Arrays.copyOfRange(got, i * m * n, (i + 1) * m * n);
                assertEquals(-1, KernelReference.firstDifference(alone, mine), p[0] + " x " + p[1] + " item " + i);
            }
        }
    }

    @Test
    void withoutTheVectorModuleTheEngineRunsThePlainKernelWithTheSameBits() throws Exception {
        assumeTrue(PackedGemm.vectorised(), "this JVM has no Vector API module: the plain kernel is the one tested");
        String out = runPlainJvm();
        assertTrue(out.contains("vectorised=false"), out);
        String line = Arrays.stream(out.split("\n")).filter(s -> s.startsWith("digest=")).findFirst()
                .orElseThrow(() -> new AssertionError("no digest printed: " + out));
        assertEquals(probeDigest(), line.substring(7).trim());
    }

    private static String runPlainJvm() throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(PlainJvmProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
