/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import org.junit.jupiter.api.Test;

/**
 * The indexing family through the NDArray API against positions worked out by hand: gather
 * along each axis ({@code out[i][j] = a[idx[i][j]][j]} for axis 0), gatherNd, take with
 * negative indices, boolean masks over one and two leading axes, one-hot, sequence masks,
 * embedding lookups, and strided slice reads, writes (broadcast values) and fills.
 */
class CpuIndexingValuesTest extends EngineTestBase {

    private NDArray grid() {
        // a[i][j] = 10 i + j over (3, 4)
        return manager.create(new float[] {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}, new Shape(3, 4));
    }

    @Test
    void gatherAlongEachAxis() {
        NDArray a = grid();
        NDArray i0 = manager.create(new long[] {2, 0, 1, 2, 1, 1, 0, 0}, new Shape(2, 4));
        assertArrayEquals(new float[] {20, 1, 12, 23, 10, 11, 2, 3}, a.gather(i0, 0).toFloatArray());
        NDArray i1 = manager.create(new long[] {3, 0, 1, 1, 2, 3}, new Shape(3, 2));
        assertArrayEquals(new float[] {3, 0, 11, 11, 22, 23}, a.gather(i1, 1).toFloatArray());
        assertArrayEquals(new float[] {3, 0, 11, 11, 22, 23}, a.gather(i1, -1).toFloatArray());
        assertEquals(new Shape(3, 2), a.gather(i1, 1).getShape());
        assertThrows(RuntimeException.class, () -> a.gather(manager.create(new long[] {4}, new Shape(1, 1)), 1));
    }

    @Test
    void gatherNdPicksCoordinates() {
        NDArray a = grid();
        // two coordinates (row, col): (2, 1) and (0, 3)
        NDArray idx = manager.create(new long[] {2, 0, 1, 3}, new Shape(2, 2));
        assertArrayEquals(new float[] {21, 3}, a.gatherNd(idx).toFloatArray());
        // one coordinate per row: whole rows
        NDArray rows = manager.create(new long[] {1, 2}, new Shape(1, 2));
        NDArray r = a.gatherNd(rows);
        assertEquals(new Shape(2, 4), r.getShape());
        assertArrayEquals(new float[] {10, 11, 12, 13, 20, 21, 22, 23}, r.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> a.gatherNd(manager.zeros(new Shape(3, 1), DataType.INT64)));
    }

    @Test
    void takeReadsTheFlatArray() {
        NDArray a = grid();
        NDArray t = a.take(manager.create(new long[] {0, 11, 5, 6}, new Shape(2, 2)));
        assertEquals(new Shape(2, 2), t.getShape());
        assertArrayEquals(new float[] {0, 23, 11, 12}, t.toFloatArray());
        assertArrayEquals(new float[] {23, 22}, a.take(manager.create(new long[] {-1, -2})).toFloatArray());
        assertThrows(RuntimeException.class, () -> a.take(manager.create(new long[] {12})));
        assertThrows(RuntimeException.class, () -> a.take(manager.create(new long[] {-13})));
    }

    @Test
    void booleanMaskKeepsTheTrueRows() {
        NDArray a = grid();
        NDArray m = a.booleanMask(manager.create(new boolean[] {true, false, true}));
        assertEquals(new Shape(2, 4), m.getShape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 20, 21, 22, 23}, m.toFloatArray());
        NDArray two = a.booleanMask(a.gt(11).logicalAnd(a.lt(22)));
        assertArrayEquals(new float[] {12, 13, 20, 21}, two.toFloatArray());
        assertEquals(new Shape(0, 4), a.booleanMask(manager.create(new boolean[3])).getShape());
        assertThrows(IllegalArgumentException.class, () -> a.booleanMask(manager.create(new boolean[] {true, false})));
        assertThrows(IllegalArgumentException.class, () -> a.booleanMask(manager.create(new boolean[] {true}), 1));
    }

    @Test
    void rowsTakenByAnIndexArrayAreWholeRowsInIndexOrder() {
        float[] v = new float[6 * 50];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.25f - 3f;
        }
        NDArray a = manager.create(v, new Shape(6, 50));
        long[] idx = {5, 0, 3, 3, 1};
        float[] got = a.get(manager.create(idx)).toFloatArray();
        assertEquals(idx.length * 50, got.length);
        for (int k = 0; k < idx.length; k++) {
            for (int j = 0; j < 50; j++) {
                assertEquals(v[(int) idx[k] * 50 + j], got[k * 50 + j], "row " + k + " column " + j);
            }
        }
        // a single column: one element a block
        float[] col = manager.create(v, new Shape(300, 1)).get(manager.create(new long[] {299, 7})).toFloatArray();
        assertArrayEquals(new float[] {v[299], v[7]}, col);
        assertThrows(RuntimeException.class, () -> a.get(manager.create(new long[] {2, 6})));
    }

    @Test
    void aLongRandomMaskKeepsItsSetPositionsInOrder() {
        java.util.Random rnd = new java.util.Random(41);
        int n = 100_003;
        boolean[] mask = new boolean[n];
        float[] values = new float[n];
        java.util.List<Float> want = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            mask[i] = rnd.nextBoolean();
            values[i] = i;
            if (mask[i]) {
                want.add((float) i);
            }
        }
        float[] got = manager.create(values).booleanMask(manager.create(mask)).toFloatArray();
        assertEquals(want.size(), got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want.get(i), got[i], "at " + i);
        }
    }

    @Test
    void oneHotAndSequenceMask() {
        NDArray labels = manager.create(new int[] {2, 0, 3});
        NDArray oh = labels.oneHot(4);
        assertEquals(new Shape(3, 4), oh.getShape());
        assertArrayEquals(new float[] {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, oh.toFloatArray());
        NDArray custom = manager.create(new long[] {1, 5}).oneHot(3, 7f, -1f, DataType.INT32);
        assertEquals(DataType.INT32, custom.getDataType());
        // 5 is past the depth: a row of off values
        assertArrayEquals(new int[] {-1, 7, -1, -1, -1, -1}, custom.toIntArray());

        NDArray seq = manager.ones(new Shape(3, 4, 2));
        NDArray masked = seq.sequenceMask(manager.create(new long[] {2, 0, 4}), -5f);
        float[] v = masked.toFloatArray();
        for (int b = 0; b < 3; b++) {
            long len = new long[] {2, 0, 4}[b];
            for (int t = 0; t < 4; t++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(t < len ? 1f : -5f, v[(b * 4 + t) * 2 + k], "b=" + b + " t=" + t);
                }
            }
        }
        assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0}, manager.ones(new Shape(2, 3))
                .sequenceMask(manager.create(new float[] {1, 2})).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(3)).sequenceMask(manager.create(
                new long[] {1})));
    }

    @Test
    void embeddingLooksUpRows() {
        NDArray w = manager.create(new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f}, new Shape(3, 2));
        NDArray idx = manager.create(new long[] {2, 0, 2, 1}, new Shape(2, 2));
        NDArray e = idx.getNDArrayInternal().embedding(idx, w, SparseFormat.DENSE).singletonOrThrow();
        assertEquals(new Shape(2, 2, 2), e.getShape());
        assertArrayEquals(new float[] {2, 2.5f, 0, 0.5f, 2, 2.5f, 1, 1.5f}, e.toFloatArray());
        NDArray bad = manager.create(new long[] {3});
        assertThrows(RuntimeException.class, () -> bad.getNDArrayInternal().embedding(bad, w, SparseFormat.DENSE));
        assertThrows(IllegalArgumentException.class, () -> bad.getNDArrayInternal().embedding(bad,
                manager.ones(new Shape(3)), SparseFormat.DENSE));
    }

    @Test
    void stridedSlicesReadWriteAndFill() {
        NDArray a = manager.arange(20f).reshape(4, 5);
        NDArray s = a.get(new NDIndex("1:4:2, ::2"));
        assertEquals(new Shape(2, 3), s.getShape());
        assertArrayEquals(new float[] {5, 7, 9, 15, 17, 19}, s.toFloatArray());
        assertArrayEquals(new float[] {9, 14}, a.get(new NDIndex("1:3, -1")).toFloatArray());
        NDArray b = manager.zeros(new Shape(3, 4), DataType.INT32);
        b.set(new NDIndex("0:3:2, 1:4:2"), manager.create(new int[] {7, 8}));
        assertArrayEquals(new int[] {0, 7, 0, 8, 0, 0, 0, 0, 0, 7, 0, 8}, b.toIntArray());
        b.set(new NDIndex("1, :"), 3);
        assertArrayEquals(new int[] {0, 7, 0, 8, 3, 3, 3, 3, 0, 7, 0, 8}, b.toIntArray());
        b.set(new NDIndex(":, 0"), manager.create(new int[] {-1, -2, -3}));
        assertArrayEquals(new int[] {-1, 7, 0, 8, -2, 3, 3, 3, -3, 7, 0, 8}, b.toIntArray());
        assertThrows(IllegalArgumentException.class,
                () -> b.set(new NDIndex(":, 0"), manager.create(new int[] {1, 2})));
    }
}
