/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * State merging against the float64 definition written here (for states (o_i, s_i): lse = ln
 * sum e^s_i, o = sum o_i e^(s_i - lse)), with states of lse = -infinity anywhere in the list, all
 * of them empty, strides and offsets; and {@link Parallel#forEach} visiting every index exactly
 * once on the calling pool.
 */
class StateMergeReferenceTest {

    private final Random rnd = new Random(53);

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** float64 merge of the states k in [0, n) at o[(first + k*stride)*d], lse[first + k*stride]. */
    private static double[] reference(float[] o, float[] lse, int first, int stride, int n, int d) {
        double m = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            m = Math.max(m, lse[first + k * stride]);
        }
        double[] out = new double[d + 1];
        if (m == Double.NEGATIVE_INFINITY) {
            out[d] = Double.NEGATIVE_INFINITY;
            return out;
        }
        double z = 0;
        for (int k = 0; k < n; k++) {
            z += Math.exp(lse[first + k * stride] - m);
        }
        for (int k = 0; k < n; k++) {
            int st = first + k * stride;
            double w = Math.exp(lse[st] - m) / z;
            for (int x = 0; x < d; x++) {
                out[x] += w * o[st * d + x];
            }
        }
        out[d] = m + Math.log(z);
        return out;
    }

    @Test
    void foldMatchesFloat64WithEmptyStatesAnywhere() {
        int d = 6;
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(6);
            int stride = 1 + rnd.nextInt(3);
            int first = rnd.nextInt(3);
            int states = first + (n - 1) * stride + 1;
            float[] o = new float[states * d];
            float[] lse = new float[states];
            for (int i = 0; i < o.length; i++) {
                o[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < states; i++) {
                lse[i] = rnd.nextInt(4) == 0 ? NEG_INF : (float) (rnd.nextGaussian() * 3);
            }
            float[] out = new float[d + 5];
            Arrays.fill(out, 99f);
            float s = StateMerge.fold(o, lse, first, stride, n, d, out, 2);
            double[] want = reference(o, lse, first, stride, n, d);
            if (want[d] == Double.NEGATIVE_INFINITY) {
                assertEquals(NEG_INF, s, "no state saw a key");
            } else {
                assertEquals(want[d], s, 1e-5 * (1 + Math.abs(want[d])), "lse trial " + trial);
            }
            for (int x = 0; x < d; x++) {
                assertEquals(want[x], out[2 + x], 1e-5 * (1 + Math.abs(want[x])), "o[" + x + "] trial " + trial);
            }
            assertEquals(99f, out[0]);
            assertEquals(99f, out[1]);
            assertEquals(99f, out[d + 2]);
        }
    }

    @Test
    void foldOfOnlyEmptyStatesIsZeroWithMinusInfinity() {
        float[] o = {1, 2, 3, 4, 5, 6};
        float[] lse = {NEG_INF, NEG_INF, NEG_INF};
        float[] out = {7, 7, 7, 7};
        assertEquals(NEG_INF, StateMerge.fold(o, lse, 0, 1, 3, 2, out, 1));
        assertArrayEquals(new float[] {7, 0, 0, 7}, out);
        // n = 0: nothing to fold, the same empty state
        out = new float[] {7, 7};
        assertEquals(NEG_INF, StateMerge.fold(o, lse, 0, 1, 0, 2, out, 0));
        assertArrayEquals(new float[] {0, 0}, out);
    }

    @Test
    void aSingleStateIsCopiedBitForBit() {
        float[] o = {0.1f, -0.3f, 0.7f, 1e-30f};
        float[] lse = {NEG_INF, 2.5f};
        float[] out = new float[2];
        assertEquals(2.5f, StateMerge.fold(o, lse, 0, 1, 2, 2, out, 0));
        assertArrayEquals(new float[] {0.7f, 1e-30f}, out);
    }

    @Test
    void mergeIntoMatchesFloat64AndSkipsEmptySides() {
        int d = 5;
        for (int trial = 0; trial < 200; trial++) {
            float[] a = new float[d + 1];
            float[] b = new float[d + 2];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextGaussian();
            }
            // lse differences of either sign, up to far beyond float exp's useful range
            float sa = (float) (rnd.nextGaussian() * (trial < 100 ? 2 : 40));
            float sb = (float) (rnd.nextGaussian() * (trial < 100 ? 2 : 40));
            float[] got = a.clone();
            float s = StateMerge.mergeInto(got, 1, sa, b, 2, sb, d);
            double m = Math.max(sa, sb);
            double wa = Math.exp(sa - m);
            double wb = Math.exp(sb - m);
            assertEquals(m + Math.log(wa + wb), s, 1e-5 * (1 + Math.abs(m)), "lse trial " + trial);
            for (int x = 0; x < d; x++) {
                double want = (a[1 + x] * wa + b[2 + x] * wb) / (wa + wb);
                assertEquals(want, got[1 + x], 1e-5 * (1 + Math.abs(want)), "o[" + x + "] trial " + trial);
            }
            assertEquals(a[0], got[0]);
        }
        float[] a = {1, 2};
        float[] b = {3, 4};
        assertEquals(0.5f, StateMerge.mergeInto(a, 0, 0.5f, b, 0, NEG_INF, 2));
        assertArrayEquals(new float[] {1, 2}, a);
        assertEquals(0.25f, StateMerge.mergeInto(a, 0, NEG_INF, b, 0, 0.25f, 2));
        assertArrayEquals(new float[] {3, 4}, a);
        // equal lse: the mean, and ln 2 more
        a = new float[] {1, 2};
        float s = StateMerge.mergeInto(a, 0, 1f, b, 0, 1f, 2);
        assertEquals(1 + Math.log(2), s, 1e-6);
        assertArrayEquals(new float[] {2, 3}, a, 1e-6f);
    }

    @Test
    void parallelForEachVisitsEveryIndexOnce() throws Exception {
        Parallel.forEach(0, 1_000_000, i -> {
            throw new AssertionError("no index for n = 0");
        });
        Parallel.forEach(-3, 1_000_000, i -> {
            throw new AssertionError("no index for n < 0");
        });
        for (int n : new int[] {1, 2, 7, 100, 5000}) {
            for (long cost : new long[] {1, 1_000, 1_000_000, 50_000_000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.forEach(n, cost, hits::incrementAndGet);
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "n=" + n + " cost=" + cost + " index " + i);
                }
            }
        }
        // inside a pool the work stays in that pool
        ForkJoinPool pool = new ForkJoinPool(3);
        try {
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            pool.submit(() -> Parallel.forEach(64, 1_000_000, i -> {
                hits.incrementAndGet(i);
                assertTrue(Thread.currentThread().getName().contains("ForkJoinPool-"),
                        Thread.currentThread().getName());
            })).get();
            for (int i = 0; i < 64; i++) {
                assertEquals(1, hits.get(i));
            }
        } finally {
            pool.shutdown();
        }
    }
}
