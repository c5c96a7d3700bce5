/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

/**
 * Sorting, median, percentile, unique and nonzero through the NDArray API against values worked
 * out here: sorted lanes from {@link Arrays#sort}, the lower middle for an even median (as
 * PyTorch), linear interpolation between ranks for percentiles ({@code torch.quantile}), NaN
 * sorting last and making median and percentile NaN, every integer type and float64.
 */
class CpuSortingValuesTest extends EngineTestBase {

    @Test
    void sortAndArgSortAlongEitherAxis() {
        float[] x = {3, -1, 2, 7, 0, -5, 4, 5, 1, -2, 6, 2};
        NDArray a = manager.create(x, new Shape(3, 4));
        assertArrayEquals(new float[] {-1, 2, 3, 7, -5, 0, 4, 5, -2, 1, 2, 6}, a.sort(1).toFloatArray());
        assertArrayEquals(new float[] {-1, 2, 3, 7, -5, 0, 4, 5, -2, 1, 2, 6}, a.sort(-1).toFloatArray());
        assertArrayEquals(new float[] {0, -5, 2, 2, 1, -2, 4, 5, 3, -1, 6, 7}, a.sort(0).toFloatArray());
        assertArrayEquals(new long[] {1, 2, 0, 3, 1, 0, 2, 3, 1, 0, 3, 2}, a.argSort(1).toLongArray());
        assertArrayEquals(new long[] {3, 0, 2, 1, 3, 2, 0, 1, 2, 3, 0, 1}, a.argSort(1, false).toLongArray());
        assertArrayEquals(new long[] {1, 1, 0, 2, 2, 2, 1, 1, 0, 0, 2, 0}, a.argSort(0).toLongArray());
        for (DataType t : new DataType[] {DataType.INT8, DataType.INT32, DataType.INT64, DataType.UINT8,
                DataType.FLOAT64, DataType.FLOAT16}) {
            NDArray b = manager.create(new float[] {5, 2, 9, 0, 7, 1}).toType(t, false);
            NDArray s = b.sort();
            assertEquals(t, s.getDataType());
            assertArrayEquals(new double[] {0, 1, 2, 5, 7, 9}, s.toType(DataType.FLOAT64, false).toDoubleArray(),
                    t.toString());
            assertArrayEquals(new long[] {3, 5, 1, 0, 4, 2}, b.argSort().toLongArray(), t.toString());
        }
    }

    @Test
    void nanSortsLastAndEmptyLanesStayEmpty() {
        NDArray a = manager.create(new float[] {2, Float.NaN, -1, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY});
        float[] s = a.sort().toFloatArray();
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, -1, 2, Float.POSITIVE_INFINITY}, Arrays.copyOf(s, 4));
        assertTrue(Float.isNaN(s[4]));
        assertEquals(new Shape(2, 0), manager.zeros(new Shape(2, 0)).sort(1).getShape());
        assertEquals(new Shape(0, 3), manager.zeros(new Shape(0, 3)).argSort(1).getShape());
    }

    @Test
    void medianTakesTheLowerMiddle() {
        NDArray a = manager.create(new float[] {4, 1, 3, 2, 9, 7, 8, 6}, new Shape(2, 4));
        // PyTorch's median of an even count is the lower of the two middle values
        assertArrayEquals(new float[] {2, 7}, a.median(new int[] {1}).toFloatArray());
        assertArrayEquals(new float[] {4, 1, 3, 2}, a.median(new int[] {0}).toFloatArray());
        assertEquals(4f, a.flatten().median(new int[] {0}).getFloat());
        NDArray odd = manager.create(new int[] {5, -3, 10, 0, 7});
        assertEquals(5, odd.median(new int[] {0}).getInt());
        NDArray nan = manager.create(new double[] {1, Double.NaN, 2, 3, 4, 5}, new Shape(2, 3));
        double[] m = nan.median(new int[] {1}).toDoubleArray();
        assertTrue(Double.isNaN(m[0]));
        assertEquals(4, m[1]);
        assertThrows(IllegalArgumentException.class, () -> manager.zeros(new Shape(2, 0)).median(new int[] {1}));
    }

    /** torch.quantile's linear rule. */
    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double rank = q * (s.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return s[lo] + (rank - lo) * (s[hi] - s[lo]);
    }

    @Test
    void percentileInterpolatesBetweenRanks() {
        double[] v = {3.5, -2, 10, 7.25, 0, 1, 4};
        for (double q : new double[] {0, 10, 25, 33.3, 50, 62.5, 90, 100}) {
            NDArray d = manager.create(v);
            assertEquals(quantile(v, q / 100), d.percentile(q).getDouble(), 1e-12, "q=" + q);
            assertEquals(quantile(v, q / 100), d.toType(DataType.FLOAT32, false).percentile(q).getFloat(), 1e-5,
                    "q=" + q);
        }
        NDArray m = manager.create(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, new Shape(2, 4));
        assertArrayEquals(new float[] {1.75f, 17.5f}, m.percentile(25, new int[] {1}).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {7.75f, 15.5f, 23.25f, 31f}, m.percentile(75, new int[] {0}).toFloatArray(),
                1e-5f);
        assertTrue(Float.isNaN(manager.create(new float[] {1, Float.NaN, 3}).percentile(50).getFloat()));
        assertThrows(IllegalArgumentException.class, () -> m.percentile(101));
        assertThrows(IllegalArgumentException.class, () -> m.percentile(-1));
        assertThrows(IllegalArgumentException.class, () -> manager.create(new int[] {1, 2}).percentile(50));
        assertThrows(IllegalArgumentException.class, () -> manager.zeros(new Shape(0)).percentile(50));
    }

    @Test
    void uniqueSortsCountsAndInverts() {
        NDArray a = manager.create(new int[] {3, 1, 3, 2, 1, 3});
        NDList u = a.unique(null, true, true, true);
        assertArrayEquals(new int[] {1, 2, 3}, u.get(0).toIntArray());
        assertArrayEquals(new long[] {2, 0, 2, 1, 0, 2}, u.get(1).toLongArray());
        assertArrayEquals(new long[] {2, 1, 3}, u.get(2).toLongArray());
        // rows along axis 0: the duplicate row collapses, rows sort lexicographically
        NDArray r = manager.create(new float[] {2, 1, 0, 5, 2, 1, 0, 4}, new Shape(4, 2));
        NDList ur = r.unique(0, true, true, true);
        assertArrayEquals(new float[] {0, 4, 0, 5, 2, 1}, ur.get(0).toFloatArray());
        assertEquals(new Shape(3, 2), ur.get(0).getShape());
        assertArrayEquals(new long[] {2, 1, 2, 0}, ur.get(1).toLongArray());
        assertArrayEquals(new long[] {1, 1, 2}, ur.get(2).toLongArray());
        // columns along axis 1
        NDArray c = manager.create(new float[] {1, 0, 1, 2, 3, 2}, new Shape(2, 3));
        NDList uc = c.unique(1, true, true, true);
        assertArrayEquals(new float[] {0, 1, 3, 2}, uc.get(0).toFloatArray());
        assertEquals(new Shape(2, 2), uc.get(0).getShape());
        assertArrayEquals(new long[] {1, 0, 1}, uc.get(1).toLongArray());
        assertArrayEquals(new long[] {1, 2}, uc.get(2).toLongArray());
        // NaN is never equal to anything, itself included
        NDList n = manager.create(new float[] {Float.NaN, 1, Float.NaN, 1}).unique(null, true, false, true);
        assertEquals(3, n.get(0).size());
        assertArrayEquals(new long[] {2, 1, 1}, n.get(2).toLongArray());
        NDList plain = a.unique(null, true, false, false);
        assertEquals(0, plain.get(1).size());
        assertEquals(0, plain.get(2).size());
    }

    @Test
    void uniqueAlongTheMiddleAxisOfRankThree() {
        // (2, 3, 2): slices a[:, j, :] for j = 0, 1, 2; slices 0 and 2 are equal
        NDArray a = manager.create(new float[] {1, 2, 5, 6, 1, 2, 3, 4, 0, 0, 3, 4}, new Shape(2, 3, 2));
        NDList u = a.unique(1, true, true, true);
        assertEquals(new Shape(2, 2, 2), u.get(0).getShape());
        // sorted slices: (0, 0 | 5, 6) ... compare lexicographically by (a[0, j, 0], a[0, j, 1], a[1, j, 0], ...)
        assertArrayEquals(new float[] {1, 2, 5, 6, 3, 4, 0, 0}, u.get(0).toFloatArray());
        assertArrayEquals(new long[] {0, 1, 0}, u.get(1).toLongArray());
        assertArrayEquals(new long[] {2, 1}, u.get(2).toLongArray());
        // a NaN in the second element of a row still makes the row distinct
        NDArray r = manager.create(new float[] {1, Float.NaN, 1, Float.NaN, 0, 1}, new Shape(3, 2));
        NDList ur = r.unique(0, true, false, true);
        assertEquals(3, ur.get(0).getShape().get(0));
        assertArrayEquals(new long[] {1, 1, 1}, ur.get(2).toLongArray());
    }

    @Test
    void nonzeroListsCoordinates() {
        NDArray a = manager.create(new float[] {0, 2, 0, -1, 0, 0.5f}, new Shape(2, 3));
        NDArray nz = a.nonzero();
        assertEquals(new Shape(3, 2), nz.getShape());
        assertArrayEquals(new long[] {0, 1, 1, 0, 1, 2}, nz.toLongArray());
        NDArray b = manager.create(new int[] {0, 0, 7, 0, 0, 0, 0, 3}, new Shape(2, 2, 2));
        assertArrayEquals(new long[] {0, 1, 0, 1, 1, 1}, b.nonzero().toLongArray());
        assertEquals(new Shape(1, 1), manager.create(5f).nonzero().getShape());
        assertEquals(new Shape(0, 1), manager.create(0f).nonzero().getShape());
        assertEquals(new Shape(1, 1), manager.create(new float[] {0, Float.NaN}).nonzero().getShape());
    }
}
