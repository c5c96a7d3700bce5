/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;

/**
 * Stable sorting permutations by packed keys ({@link SortKeys}) against stable sorts of boxed
 * indices by the comparators they replace: {@link Float#compare}'s order (top-k: -0.0 below 0.0,
 * NaN above all), numeric order with both zeros equal (sort, and the sampler's descending order of
 * logits, written as its comparator was), both directions, with ties, NaN, infinities and zeros;
 * the first k positions by the heap ({@link SortKeys#first}) against the full order's first k.
 * Inverse case: keys that tell -0.0 from 0.0 give another order where the zeros must tie.
 */
class SortKeysTest {

    private final Random rnd = new Random(41);

    @Test
    void packedKeysGiveTheComparatorsStableOrder() {
        for (int n : new int[] {1, 3, 50, 5000}) {
            float[] x = values(n);
            for (boolean ascending : new boolean[] {true, false}) {
                Comparator<Integer> byFloat = (a, b) -> ascending ? Float.compare(x[a], x[b]) : Float.compare(x[b], x[a]);
                assertArrayEquals(stable(n, byFloat), SortKeys.order(keys(x, false), ascending), "Float.compare n=" + n);
                Comparator<Integer> numeric = (a, b) -> ascending ? numeric(x[a], x[b]) : numeric(x[b], x[a]);
                assertArrayEquals(stable(n, numeric), SortKeys.order(keys(x, true), ascending), "numeric n=" + n);
            }
            // the sampler's comparator as it was written
            Comparator<Integer> sampler = (a, b) -> x[a] != x[b] ? Float.compare(x[b], x[a]) : a - b;
            assertArrayEquals(stable(n, sampler), SortKeys.order(keys(x, true), false), "sampler n=" + n);
        }
    }

    @Test
    void theFirstKPositionsAreTheOrdersFirstK() {
        Random rnd = new Random(37);
        for (int n : new int[] {0, 1, 7, 100, 4096}) {
            int[] keys = new int[n];
            for (int i = 0; i < n; i++) {
                // few distinct keys: many ties, which only the positions break
                keys[i] = i % 3 == 0 ? rnd.nextInt(5) - 2 : rnd.nextInt();
            }
            for (boolean ascending : new boolean[] {true, false}) {
                int[] full = SortKeys.order(keys, ascending);
                for (int k : new int[] {0, 1, 2, 5, 10, n / 8, n / 8 + 1, n / 2, n}) {
                    if (k <= n) {
                        assertArrayEquals(Arrays.copyOf(full, k), SortKeys.first(keys, ascending, k),
                                "n " + n + " k " + k + " ascending " + ascending);
                    }
                }
            }
        }
    }

    @Test
    void keysThatTellTheZerosApartAreCaught() {
        float[] x = values(5000);
        Comparator<Integer> numeric = (a, b) -> numeric(x[a], x[b]);
        assertFalse(Arrays.equals(stable(5000, numeric), SortKeys.order(keys(x, false), true)));
    }

    private float[] values(int n) {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1.5f, -1.5f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextInt(3) == 0 ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextGaussian();
        }
        return x;
    }

    private static int[] keys(float[] x, boolean zerosEqual) {
        int[] k = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            k[i] = SortKeys.of(x[i], zerosEqual);
        }
        return k;
    }

    /** Numeric order, -0.0 equal to 0.0, every NaN above every number and equal to another. */
    private static int numeric(float a, float b) {
        if (a < b) {
            return -1;
        }
        if (a > b) {
            return 1;
        }
        boolean na = a != a;
        boolean nb = b != b;
        return na == nb ? 0 : na ? 1 : -1;
    }

    private static int[] stable(int n, Comparator<Integer> c) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, c);
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
