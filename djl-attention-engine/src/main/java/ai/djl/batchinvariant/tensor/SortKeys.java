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
            packed[i] = (long) (ascending ? keys[i] : ~keys[i]) << 32 | i;
        }
        Arrays.sort(packed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) packed[i];
        }
        return out;
    }
}
