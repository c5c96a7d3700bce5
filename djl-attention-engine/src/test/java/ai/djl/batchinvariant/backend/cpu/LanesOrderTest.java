/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

/**
 * The sorting permutation of a lane by packed (key, index) longs ({@link Lanes#order}) against a
 * stable sort of boxed indices by {@link Lanes#compare}, equal for every type it takes, both
 * directions, lanes with ties, NaN, infinities and both zeros, at an offset into the storage.
 * Inverse case: an unstable order of ties (the index ascending under a descending key) differs.
 */
class LanesOrderTest {

    private final Random rnd = new Random(37);

    @Test
    void packedKeysGiveTheStableSortsPermutation() {
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16, DataType.INT32, DataType.INT8,
            DataType.UINT8, DataType.BOOLEAN, DataType.FLOAT64, DataType.INT64};
        for (DataType t : types) {
            for (int n : new int[] {1, 2, 17, 1000}) {
                Object d = lane(t, n + 5);
                for (boolean ascending : new boolean[] {true, false}) {
                    assertArrayEquals(stable(d, t, 5, n, ascending), Lanes.order(d, t, 5, n, ascending),
                            t + " n=" + n + (ascending ? " ascending" : " descending"));
                }
            }
        }
    }

    @Test
    void reversedTiesAreCaught() {
        Object d = lane(DataType.FLOAT32, 1000);
        int[] want = stable(d, DataType.FLOAT32, 0, 1000, false);
        // descending by sorting ascending and reversing: ties come out in reverse index order
        int[] asc = Lanes.order(d, DataType.FLOAT32, 0, 1000, true);
        int[] reversed = new int[1000];
        for (int i = 0; i < 1000; i++) {
            reversed[i] = asc[999 - i];
        }
        assertFalse(Arrays.equals(want, reversed));
    }

    private Object lane(DataType t, int n) {
        Object d = HostData.allocate(t, n);
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1.5, -1.5};
        for (int i = 0; i < n; i++) {
            double v;
            if (HostData.isFloating(t)) {
                v = rnd.nextInt(4) == 0 ? specials[rnd.nextInt(specials.length)] : rnd.nextGaussian();
            } else {
                v = rnd.nextInt(9) - 4; // ties
            }
            HostData.setDouble(d, t, i, t == DataType.BOOLEAN ? Math.abs(v) % 2 : v);
        }
        return d;
    }

    private static int[] stable(Object d, DataType t, int base, int n, boolean ascending) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> ascending ? Lanes.compare(d, t, base + p, base + q)
                : Lanes.compare(d, t, base + q, base + p));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
