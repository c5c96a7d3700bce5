/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.examples;

import static ai.djl.batchinvariant.examples.UsingIt.HEAD_DIM;
import static ai.djl.batchinvariant.examples.UsingIt.KV_HEADS;
import static ai.djl.batchinvariant.examples.UsingIt.QO_HEADS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs the README's example ({@link UsingIt#main}) and recomputes what it prints with plain
 * double-precision causal attention (RoPE, grouped heads) over the same keys, values and queries.
 */
class UsingItTest {

    /** The example's activations for {@code seed}, one head vector per entry, index row * heads + head. */
    private static float[][] inputs(int seed, int rows, int heads) {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            float[] flat = UsingIt.activations(m, rows, heads, seed).toFloatArray();
            float[][] out = new float[rows * heads][];
            for (int i = 0; i < out.length; i++) {
                out[i] = Arrays.copyOfRange(flat, i * HEAD_DIM, (i + 1) * HEAD_DIM);
            }
            return out;
        }
    }

    private static double[] rope(float[] x, int pos) {
        int half = HEAD_DIM / 2;
        double[] y = new double[HEAD_DIM];
        for (int i = 0; i < half; i++) {
            double f = pos / Math.pow(10000, 2.0 * i / HEAD_DIM);
            double c = Math.cos(f);
            double s = Math.sin(f);
            y[i] = x[i] * c - x[i + half] * s;
            y[i + half] = x[i + half] * c + x[i] * s;
        }
        return y;
    }

    /** Head 0 output of a query at {@code qPos} over keys/values at positions 0..qPos. */
    private static double[] attend(float[] q, int qPos, List<float[]> keys, List<float[]> values) {
        double[] qr = rope(q, qPos);
        double[] logits = new double[qPos + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= qPos; j++) {
            double[] kr = rope(keys.get(j), j);
            double dot = 0;
            for (int d = 0; d < HEAD_DIM; d++) {
                dot += qr[d] * kr[d];
            }
            logits[j] = dot / Math.sqrt(HEAD_DIM);
            max = Math.max(max, logits[j]);
        }
        double sum = 0;
        double[] out = new double[HEAD_DIM];
        for (int j = 0; j <= qPos; j++) {
            double p = Math.exp(logits[j] - max);
            sum += p;
            for (int d = 0; d < HEAD_DIM; d++) {
                out[d] += p * values.get(j)[d];
            }
        }
        for (int d = 0; d < HEAD_DIM; d++) {
            out[d] /= sum;
        }
        return out;
    }

    @Test
    void mainPrintsAttentionThatMatchesARecomputation() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            UsingIt.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        List<String> lines = printed.lines().filter(l -> l.contains(" head 0: [")).collect(Collectors.toList());
        assertEquals(4, lines.size(), printed);

        // head 0 of the queries reads KV head 0; prompt K/V rows: request 0 rows 0-4, request 1 rows 5-7
        float[][] k = inputs(1, 8, KV_HEADS);
        float[][] v = inputs(2, 8, KV_HEADS);
        float[][] q = inputs(3, 8, QO_HEADS);
        float[][] kd = inputs(4, 2, KV_HEADS);
        float[][] vd = inputs(5, 2, KV_HEADS);
        float[][] qd = inputs(6, 2, QO_HEADS);
        int[] promptStart = {0, 5};
        int[] promptLen = {5, 3};
        double[][] expected = new double[4][];
        for (int r = 0; r < 2; r++) {
            List<float[]> keys = new ArrayList<>();
            List<float[]> values = new ArrayList<>();
            for (int p = 0; p < promptLen[r]; p++) {
                keys.add(k[(promptStart[r] + p) * KV_HEADS]);
                values.add(v[(promptStart[r] + p) * KV_HEADS]);
            }
            int last = promptStart[r] + promptLen[r] - 1;
            expected[r] = attend(q[last * QO_HEADS], promptLen[r] - 1, keys, values);
            keys.add(kd[r * KV_HEADS]);
            values.add(vd[r * KV_HEADS]);
            expected[2 + r] = attend(qd[r * QO_HEADS], promptLen[r], keys, values);
        }
        boolean anyNonZero = false;
        for (int i = 0; i < 4; i++) {
            String line = lines.get(i);
            String[] nums = line.substring(line.indexOf('[') + 1, line.indexOf(']')).split(",\\s*");
            assertEquals(4, nums.length, line);
            for (int d = 0; d < 4; d++) {
                double got = Double.parseDouble(nums[d]);
                anyNonZero |= Math.abs(got) > 1e-3;
                assertEquals(expected[i][d], got, 1e-5, line + " [" + d + "]");
            }
        }
        assertTrue(anyNonZero, "the example printed only zeros:\n" + printed);
    }
}
