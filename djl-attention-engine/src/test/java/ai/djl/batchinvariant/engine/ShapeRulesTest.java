/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * Shape rules through DJL's API against PyTorch's, written out here: reshape with one inferred
 * axis (refused twice, or where it cannot divide, or with a zero known size), expandDims at both
 * ends and negative positions, squeeze of all unit axes, flatten of a range of axes and of a
 * rank-0 array, and split at indices and into sections.
 */
class ShapeRulesTest extends EngineTestBase {

    @Test
    void reshapeInfersOneAxis() {
        NDArray a = manager.arange(12f);
        assertEquals(new Shape(3, 4), a.reshape(3, -1).getShape());
        assertEquals(new Shape(2, 3, 2), a.reshape(-1, 3, 2).getShape());
        assertEquals(new Shape(12), a.reshape(-1).getShape());
        assertThrows(IllegalArgumentException.class, () -> a.reshape(-1, -1));
        assertThrows(IllegalArgumentException.class, () -> a.reshape(5, -1));
        assertThrows(IllegalArgumentException.class, () -> a.reshape(0, -1));
        assertThrows(IllegalArgumentException.class, () -> a.reshape(5, 2));
        assertEquals(new Shape(0, 3), manager.zeros(new Shape(0)).reshape(-1, 3).getShape());
        assertArrayEquals(a.toFloatArray(), a.reshape(4, -1).toFloatArray());
    }

    @Test
    void expandDimsAtEveryPosition() {
        NDArray a = manager.zeros(new Shape(2, 3));
        assertEquals(new Shape(1, 2, 3), a.expandDims(0).getShape());
        assertEquals(new Shape(2, 1, 3), a.expandDims(1).getShape());
        assertEquals(new Shape(2, 3, 1), a.expandDims(2).getShape());
        assertEquals(new Shape(2, 3, 1), a.expandDims(-1).getShape());
        assertEquals(new Shape(1, 2, 3), a.expandDims(-3).getShape());
        assertThrows(IllegalArgumentException.class, () -> a.expandDims(3));
        assertThrows(IllegalArgumentException.class, () -> a.expandDims(-4));
        assertEquals(new Shape(1), manager.create(1f).expandDims(0).getShape());
    }

    @Test
    void squeezeAndFlatten() {
        NDArray a = manager.zeros(new Shape(1, 3, 1, 2));
        assertEquals(new Shape(3, 2), a.squeeze().getShape());
        assertEquals(new Shape(3, 1, 2), a.squeeze(0).getShape());
        assertEquals(new Shape(), manager.zeros(new Shape(1, 1)).squeeze().getShape());
        NDArray b = manager.arange(24f).reshape(2, 3, 4);
        assertEquals(new Shape(24), b.flatten().getShape());
        assertEquals(new Shape(6, 4), b.flatten(0, 1).getShape());
        assertEquals(new Shape(2, 12), b.flatten(1, -1).getShape());
        assertEquals(new Shape(2, 3, 4), b.flatten(1, 1).getShape());
        assertEquals(new Shape(1), manager.create(5f).flatten(0, -1).getShape());
        assertArrayEquals(b.toFloatArray(), b.flatten(0, 1).toFloatArray());
    }

    @Test
    void splitPieces() {
        NDArray a = manager.arange(7f);
        // torch.split with size 7 / 3 = 2: pieces of 2, 2, 2, 1
        assertEquals(4, a.split(3).size());
        assertArrayEquals(new float[] {6}, a.split(3).get(3).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2}, a.split(new long[] {3, 5}).get(0).toFloatArray());
        assertArrayEquals(new float[] {3, 4}, a.split(new long[] {3, 5}).get(1).toFloatArray());
        assertArrayEquals(new float[] {5, 6}, a.split(new long[] {3, 5}).get(2).toFloatArray());
        assertEquals(1, a.split(new long[0]).size());
        assertThrows(IllegalArgumentException.class, () -> a.split(new long[] {5, 3}));
        assertThrows(IllegalArgumentException.class, () -> manager.arange(2f).split(3));
        assertEquals(1, manager.zeros(new Shape(0)).split(2).size());
    }
}
