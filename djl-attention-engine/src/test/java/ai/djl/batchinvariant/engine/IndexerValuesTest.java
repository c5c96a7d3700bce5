/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * NDIndex reads and writes against positions worked out by hand, following Python's rules:
 * slices clamp to the axis (out-of-range bounds, negative bounds, empty selections), fixed
 * indices count from the end when negative and are refused out of range, an ellipsis fills the
 * middle axes, a multi-dimensional take along one axis, picks, and boolean-mask writes of a
 * scalar or one broadcast row.
 */
class IndexerValuesTest extends EngineTestBase {

    private NDArray grid() {
        // a[i][j] = 10 i + j over (3, 4)
        return manager.create(new float[] {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}, new Shape(3, 4));
    }

    private NDIndex mask(boolean... rows) {
        return new NDIndex("{}", manager.create(rows));
    }

    @Test
    void slicesClampLikePython() {
        NDArray a = grid();
        assertArrayEquals(new float[] {12, 13, 22, 23}, a.get(new NDIndex("1:10, 2:")).toFloatArray());
        assertArrayEquals(new float[] {1, 2, 11, 12}, a.get(new NDIndex(":-1, -3:-1")).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, a.get(new NDIndex("-9:1")).toFloatArray());
        assertArrayEquals(new float[] {1, 3, 21, 23}, a.get(new NDIndex("::2, 1::2")).toFloatArray());
        NDArray empty = a.get(new NDIndex("2:1, :"));
        assertEquals(new Shape(0, 4), empty.getShape());
        assertEquals(new Shape(3, 0), a.get(new NDIndex(":, 4:")).getShape());
        assertEquals(new Shape(0, 2), a.get(new NDIndex("5:, 1:3")).getShape());
        assertEquals(new Shape(3, 2), a.get(new NDIndex(":, 1:3")).getShape());
        assertArrayEquals(new float[] {23}, a.get(new NDIndex("-1, -1:")).toFloatArray());
    }

    @Test
    void fixedIndicesAndEllipsis() {
        NDArray a = grid();
        assertArrayEquals(new float[] {20, 21, 22, 23}, a.get(new NDIndex("-1")).toFloatArray());
        assertArrayEquals(new float[] {2, 12, 22}, a.get(new NDIndex(":, 2")).toFloatArray());
        assertArrayEquals(new float[] {3, 13, 23}, a.get(new NDIndex("..., -1")).toFloatArray());
        assertEquals(13f, a.get(new NDIndex("1, 3")).getFloat());
        assertThrows(IllegalArgumentException.class, () -> a.get(new NDIndex("3")));
        assertThrows(IllegalArgumentException.class, () -> a.get(new NDIndex(":, -5")));
        NDArray b = manager.arange(24f).reshape(2, 3, 4);
        assertArrayEquals(new float[] {1, 5, 9, 13, 17, 21}, b.get(new NDIndex("..., 1")).toFloatArray());
        assertArrayEquals(new float[] {16, 17, 18, 19}, b.get(new NDIndex("1, ..., 1, :")).toFloatArray());
    }

    @Test
    void takeAndPick() {
        NDArray a = grid();
        NDArray idx = manager.create(new long[] {2, 0, 1, 2}, new Shape(2, 2));
        NDArray rows = a.get(new NDIndex("{}", idx));
        assertEquals(new Shape(2, 2, 4), rows.getShape());
        assertArrayEquals(new float[] {20, 21, 22, 23, 0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23},
                rows.toFloatArray());
        NDArray cols = a.get(new NDIndex(":, {}", manager.create(new long[] {3, 0}, new Shape(1, 2))));
        assertEquals(new Shape(3, 1, 2), cols.getShape());
        assertArrayEquals(new float[] {3, 0, 13, 10, 23, 20}, cols.toFloatArray());
        NDArray picked = a.get(new NDIndex().addAllDim().addPickDim(manager.create(new long[] {1, 3, 0}, new Shape(3, 1))));
        assertArrayEquals(new float[] {1, 13, 20}, picked.toFloatArray());
    }

    @Test
    void writesThroughSlicesAndMasks() {
        NDArray a = grid();
        a.set(new NDIndex("5:, :"), 99f);
        a.set(new NDIndex(":, 9:"), manager.create(new float[] {1}));
        assertArrayEquals(grid().toFloatArray(), a.toFloatArray(), "empty selections write nothing");
        a.set(new NDIndex("-1, 1:3"), -1f);
        assertArrayEquals(new float[] {0, 1, 2, 3, 10, 11, 12, 13, 20, -1, -1, 23}, a.toFloatArray());
        NDArray m = grid();
        m.set(m.gt(12), 0f);
        assertArrayEquals(new float[] {0, 1, 2, 3, 10, 11, 12, 0, 0, 0, 0, 0}, m.toFloatArray());
        NDArray r = grid();
        r.set(mask(true, false, true), manager.create(new float[] {7, 8, 9, 10}));
        assertArrayEquals(new float[] {7, 8, 9, 10, 10, 11, 12, 13, 7, 8, 9, 10}, r.toFloatArray());
        NDArray r1 = grid();
        r1.set(mask(false, true, false), manager.create(new float[] {5, 6, 7, 8},
                new Shape(1, 4)));
        assertArrayEquals(new float[] {0, 1, 2, 3, 5, 6, 7, 8, 20, 21, 22, 23}, r1.toFloatArray());
        assertThrows(IllegalArgumentException.class,
                () -> grid().set(mask(true, false), manager.create(new float[] {1})));
        assertThrows(IllegalArgumentException.class, () -> grid().set(mask(true, false, true), manager.create(new float[] {1, 2, 3})));
        assertThrows(UnsupportedOperationException.class, () -> grid().set(mask(true, false, true), manager.ones(new Shape(2, 4))));
    }
}
