/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * The host side of the strided launches, without a GPU: the simplified shapes and strides must
 * address exactly the elements a plain row-major walk of the original shape addresses.
 */
class StridedArgsTest {

    /** Offsets of a walk over {@code shape} with {@code strides}, the reference written out. */
    private static long[] offsets(long[] shape, long[] strides, long base) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        long[] out = new long[(int) n];
        for (int i = 0; i < n; i++) {
            long rem = i;
            long off = base;
            for (int d = shape.length - 1; d >= 0; d--) {
                off += rem % shape[d] * strides[d];
                rem /= shape[d];
            }
            out[i] = off;
        }
        return out;
    }

    private static void sameWalk(long[] shape, long[]... strides) {
        StridedArgs a = StridedArgs.of(shape, strides);
        for (int o = 0; o < strides.length; o++) {
            assertArrayEquals(offsets(shape, strides[o], 0), offsets(a.shape(), a.strides(o), 0),
                    "operand " + o + " of shape " + java.util.Arrays.toString(shape) + " simplified to "
                            + java.util.Arrays.toString(a.shape()));
        }
    }

    @Test
    void contiguousOperandsCollapseToOneAxis() {
        long[] shape = {2, 3, 4};
        StridedArgs a = StridedArgs.of(shape, StridedArgs.contiguous(shape), StridedArgs.contiguous(shape));
        assertArrayEquals(new long[] {24}, a.shape());
        assertArrayEquals(new long[] {1}, a.strides(0));
    }

    @Test
    void broadcastTransposeAndFlipKeepTheirWalks() {
        sameWalk(new long[] {2, 3, 4}, StridedArgs.broadcast(new Shape(3, 1), new Shape(2, 3, 4)),
                StridedArgs.contiguous(new long[] {2, 3, 4}));
        sameWalk(new long[] {4, 3, 2}, new long[] {1, 4, 12}, new long[] {6, 2, 1});
        sameWalk(new long[] {5, 1, 3}, new long[] {-3, 99, 1}, new long[] {3, 3, 1});
        sameWalk(new long[] {2, 1, 1, 3, 1, 2, 2, 1, 3, 1, 2}, StridedArgs.contiguous(new long[] {2, 1, 1, 3, 1, 2, 2,
            1, 3, 1, 2}));
        sameWalk(new long[] {3, 0, 2}, new long[] {2, 2, 1});
    }

    @Test
    void rankZeroIsOneElementAtTheBase() {
        StridedArgs a = StridedArgs.of(new long[0], new long[0]);
        assertEquals(0, a.rank());
        assertArrayEquals(new long[] {0}, offsets(a.shape(), a.strides(0), 0));
    }

    @Test
    void broadcastStridesAreZeroAlongBroadcastAxes() {
        assertArrayEquals(new long[] {0, 0, 1}, StridedArgs.broadcast(new Shape(4), new Shape(2, 3, 4)));
        assertArrayEquals(new long[] {0, 1, 0}, StridedArgs.broadcast(new Shape(3, 1), new Shape(2, 3, 4)));
        assertArrayEquals(new long[] {0, 0}, StridedArgs.broadcast(new Shape(), new Shape(2, 3)));
    }

    @Test
    void tooManyUnmergeableAxesAreRefusedByName() {
        long[] shape = new long[9];
        long[] strides = new long[9];
        for (int d = 0; d < 9; d++) {
            shape[d] = 2;
            strides[d] = 1L << (2 * (8 - d)); // gaps everywhere: nothing merges
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StridedArgs.of(shape, strides).checkRank("NDArray.transpose"));
        assertTrue(e.getMessage().contains("NDArray.transpose") && e.getMessage().contains("8"), e.getMessage());
    }

    @Test
    void gatherNdIndexKeysDecodeToTheCpusCheckOrder() {
        // 3 components over 4 positions: element q = k * 4 + j has key j * 3 + k
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(k * 4L + j, CudaIndexing.indexPosition(j * 3L + k, 3, 4));
            }
        }
        assertEquals(7, CudaIndexing.indexPosition(7, 1, 10));
    }
}
