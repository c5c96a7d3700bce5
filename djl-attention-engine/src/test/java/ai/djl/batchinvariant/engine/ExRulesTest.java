/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * The NDArrayEx rules through DJL's API: the reversed in-place operations write into and return
 * the array itself ({@code b / a}, {@code b mod a}, {@code n ^ a}, worked out here), dropout is
 * the identity outside training and refused in it, batchNorm is refused in training, lpPool
 * refuses padding, and globalLpPool needs a spatial axis and equals {@code (sum x^p)^(1/p)} per
 * plane.
 */
class ExRulesTest extends EngineTestBase {

    @Test
    void reversedInPlaceOperationsWriteIntoTheArray() {
        NDArray a = manager.create(new float[] {1, 2, 4});
        NDArray r = a.getNDArrayInternal().rdivi(manager.create(new float[] {8, 8, 8}));
        assertSame(a, r);
        assertArrayEquals(new float[] {8, 4, 2}, a.toFloatArray());
        NDArray m = manager.create(new float[] {3, 5, 4});
        assertSame(m, m.getNDArrayInternal().rmodi(manager.create(new float[] {10, 10, -10})));
        // Python's modulo: 10 mod 3 = 1, 10 mod 5 = 0, -10 mod 4 = 2
        assertArrayEquals(new float[] {1, 0, 2}, m.toFloatArray());
        NDArray p = manager.create(new float[] {0, 1, 3});
        assertSame(p, p.getNDArrayInternal().rpowi(2));
        assertArrayEquals(new float[] {1, 2, 8}, p.toFloatArray());
        NDArray s = manager.create(new float[] {1, 5});
        assertSame(s, s.getNDArrayInternal().rsubi(manager.create(new float[] {10, 10})));
        assertArrayEquals(new float[] {9, 5}, s.toFloatArray());
    }

    @Test
    void trainingOnlyPathsAreRefused() {
        NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 4));
        NDList kept = x.getNDArrayInternal().dropout(x, 0.5f, false);
        assertSame(x, kept.singletonOrThrow());
        assertSame(x, x.getNDArrayInternal().dropout(x, 0f, true).singletonOrThrow());
        assertThrows(UnsupportedOperationException.class, () -> x.getNDArrayInternal().dropout(x, 0.5f, true));
        NDArray c = manager.ones(new Shape(1));
        assertThrows(UnsupportedOperationException.class, () -> x.getNDArrayInternal().batchNorm(x, c, c, c, c, 1, 0.9f,
                1e-5f, true));
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().lpPool(2f, new Shape(2),
                new Shape(2), new Shape(1), false));
    }

    @Test
    void globalLpPoolPerPlane() {
        NDArray x = manager.create(new float[] {3, 4, 0, 0, 1, 2, 2, 4}, new Shape(2, 1, 4));
        NDArray g = x.getNDArrayInternal().globalLpPool(2f);
        assertEquals(new Shape(2, 1), g.getShape());
        assertArrayEquals(new float[] {5, 5}, g.toFloatArray(), 1e-5f);
        NDArray one = manager.create(new float[] {1, 8}, new Shape(1, 1, 2));
        assertArrayEquals(new float[] {9}, one.getNDArrayInternal().globalLpPool(1f).toFloatArray(), 1e-5f);
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(2, 3)).getNDArrayInternal()
                .globalLpPool(2f));
    }
}
