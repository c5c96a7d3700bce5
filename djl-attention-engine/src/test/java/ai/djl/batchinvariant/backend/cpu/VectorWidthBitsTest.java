/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The vector width changes no bit: a JVM whose CPU kernels run exp, max and softmax's fused loop
 * on 256-bit vectors ({@code -Dai.djl.batchinvariant.cpu_vector_bits=256}) prints the same digest
 * of softmax, log-softmax and exp outputs as this one, which runs them on the processor's widest
 * vectors (512 bits where it offers them; on a processor without, both JVMs run 256 and the test
 * still checks that the property is honoured). Rows of every tail length around the 16- and
 * 64-element steps, with infinities, NaN and values whose exps overflow or underflow.
 */
class VectorWidthBitsTest {

    /** Row lengths around the steps of 4 × 8 and 4 × 16 lanes and the 32 partial sums. */
    private static final int[] LENGTHS = {1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 300, 4096};

    /**
     * Softmax, log-softmax (in place and not) and exp of generated rows, digested.
     *
     * @return the digest
     */
    static String probeDigest() {
        Random rnd = new Random(2026);
        StringBuilder sb = new StringBuilder();
        for (int n : LENGTHS) {
            int rows = 19;
            float[] x = new float[rows * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 8);
            }
            // row 1: a -infinity (a masked position); row 2: a NaN; row 3: exps that underflow
            // (a spread past 87); row 4: all -infinity
            x[n + n / 2] = Float.NEGATIVE_INFINITY;
            x[2 * n + n / 3] = Float.NaN;
            x[3 * n] = 200f;
            Arrays.fill(x, 4 * n, 5 * n, Float.NEGATIVE_INFINITY);
            for (boolean log : new boolean[] {false, true}) {
                float[] out = new float[x.length];
                RowKernels.softmax(true, x, out, rows, n, log);
                sb.append(digest(out)).append(' ');
                float[] inPlace = x.clone();
                RowKernels.softmax(true, inPlace, rows, n, log);
                sb.append(digest(inPlace)).append(' ');
            }
            float[] e = new float[x.length];
            AttentionKernels.exp(true, x, 0, x.length, 0.5f, e, 0);
            sb.append(digest(e)).append(' ');
        }
        return sb.toString().trim();
    }

    static String digest(float[] x) {
        long h = 1;
        for (float v : x) {
            h = h * 1_000_003L + (Float.isNaN(v) ? 0x7fc00000 : Float.floatToRawIntBits(v));
        }
        return Long.toHexString(h);
    }

    @Test
    void theVectorWidthChangesNoBit() throws Exception {
        assumeTrue(Simd.ENABLED, "this JVM has no Vector API module");
        String out = run256();
        assertEquals("lanes=8", line(out, "lanes="), out);
        assertEquals(probeDigest(), line(out, "digest=").substring(7));
    }

    @Test
    void theDigestSeesOneBit() {
        float[] x = {1f, 2f, 3f};
        float[] y = x.clone();
        y[1] = Math.nextUp(y[1]);
        assertNotEquals(digest(x), digest(y));
    }

    private static String line(String out, String prefix) {
        return Arrays.stream(out.split("\n")).map(String::trim).filter(s -> s.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " printed: " + out));
    }

    private static String run256() throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-D" + VectorKernels.BITS_PROPERTY + "=256");
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(VectorWidthProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
