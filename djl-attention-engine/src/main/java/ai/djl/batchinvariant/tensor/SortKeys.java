/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import java.util.Arrays;

/**
 * Stable sorting permutations by int keys. A stable sort's permutation is the only one that
 * orders the keys and equal keys by index, so any way of finding it gives the same answer; here a
 * primitive sort of (key, index) pairs packed in longs, several times faster than a stable sort
 * of boxed indices through a comparator.
 */
public final class SortKeys {

    private SortKeys() {}

    /**
     * An int whose signed order is the numeric order of floats: the bits with the negative
     * values' magnitude bits flipped; every NaN the largest int (above +infinity's key).
     *
     * @param f the value
     * @param zerosEqual whether -0.0 takes 0.0's key (else it sorts just below it, as {@link
     *     Float#compare} has it)
     * @return the key
     */
    public static int of(float f, boolean zerosEqual) {
        if (f != f) {
            return Integer.MAX_VALUE;
        }
        int bits = Float.floatToRawIntBits(zerosEqual && f == 0f ? 0f : f);
        return bits ^ (bits >> 31 & 0x7fffffff);
    }

    /**
     * The stable sorting permutation of keys: positions in order of their keys, ascending or
     * descending, equal keys in increasing position either way.
     *
     * @param keys the keys (fewer than 2^31)
     * @param ascending the direction
     * @return the positions in sorted order
     */
    public static int[] order(int[] keys, boolean ascending) {
        int n = keys.length;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = pack(keys[i], i, ascending);
        }
        Arrays.sort(packed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) packed[i];
        }
        return out;
    }

    /**
     * The first k positions of {@link #order}, without sorting the rest: the k smallest packed
     * pairs kept in a heap as the keys stream by, then sorted. The pairs are distinct (each holds
     * its position), so the k smallest are one set whatever finds them, and sorted they are
     * order's first k. topK(10) of rows of 4096 took 128 ms at 1024 rows through a full sort.
     *
     * @param keys the keys (fewer than 2^31)
     * @param ascending the direction
     * @param k how many positions, 0 to keys.length
     * @return the first k positions in sorted order
     */
    public static int[] first(int[] keys, boolean ascending, int k) {
        int n = keys.length;
        if (k == 0) {
            return new int[0];
        }
        if (k > n / 8) {
            return Arrays.copyOf(order(keys, ascending), k);
        }
        // a max-heap of the k smallest pairs so far
        long[] heap = new long[k];
        for (int i = 0; i < n; i++) {
            long p = pack(keys[i], i, ascending);
            if (i < k) {
                int c = i;
                while (c > 0 && heap[(c - 1) / 2] < p) {
                    heap[c] = heap[(c - 1) / 2];
                    c = (c - 1) / 2;
                }
                heap[c] = p;
            } else if (p < heap[0]) {
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    if (l >= k) {
                        break;
                    }
                    int big = l + 1 < k && heap[l + 1] > heap[l] ? l + 1 : l;
                    if (heap[big] <= p) {
                        break;
                    }
                    heap[c] = heap[big];
                    c = big;
                }
                heap[c] = p;
            }
        }
        Arrays.sort(heap);
        int[] out = new int[k];
        for (int j = 0; j < k; j++) {
            out[j] = (int) heap[j];
        }
        return out;
    }

    /** A key and its position in one long whose signed order is the sort's (a descending key inverted). */
    private static long pack(int key, int position, boolean ascending) {
        return (long) (ascending ? key : ~key) << 32 | position;
    }
}
