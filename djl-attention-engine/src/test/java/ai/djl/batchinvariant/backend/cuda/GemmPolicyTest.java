/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

/**
 * The GEMM launcher's host-side decisions, which need no device: the split-K count depends on
 * (n, k, dtype, SMs) only and its ranges sit on every kernel's k tiles; the Hopper tile and its
 * shared memory are those the kernels were built for (gemm_sm90.cu: 200 KB of stages, at most 16).
 */
class GemmPolicyTest {

    @Test
    void splitRangesAreWholeKTilesOfEveryFamily() {
        for (int k : new int[] {512, 1000, 2048, 4096, 4100, 14336}) {
            for (int s = 1; s <= CudaGemm.MAX_SPLITS; s++) {
                int per = CudaGemm.splitK(k, s);
                assertEquals(0, per % 64, "k " + k + " splits " + s);
                assertTrue((long) per * s >= k, "the splits cover k");
            }
        }
    }

    @Test
    void splitCountIgnoresNothingButItsInputs() {
        assertEquals(1, CudaGemm.splits(4096, 4096, DataType.FLOAT64, 132), "float64 never splits");
        assertEquals(1, CudaGemm.splits(4096, 256, DataType.BFLOAT16, 132), "short k never splits");
        // 2 x 132 blocks over 64 column tiles of 64: 5 splits, capped by k / 256 and by 8
        assertEquals(5, CudaGemm.splits(4096, 4096, DataType.BFLOAT16, 132));
        assertEquals(8, CudaGemm.splits(2048, 8192, DataType.BFLOAT16, 132));
        assertEquals(2, CudaGemm.splits(2048, 512, DataType.FLOAT32, 132));
    }

    @Test
    void hopperSplitsFollowTheWeightAlone() {
        // narrow weights long in k: their 16 x 32 decode tiles (at most half the SMs) take 2 or 4 splits
        assertEquals(4, HopperTiles.sm90Splits(2048, 8192, 132), "down projection of the 1B shape");
        // wider weights fill the device at decode: one chain
        assertEquals(1, HopperTiles.sm90Splits(4096, 14336, 132), "down projection of the 8B shape");
        assertEquals(1, HopperTiles.sm90Splits(4096, 4096, 132));
        assertEquals(4, HopperTiles.sm90Splits(1024, 8192, 132));
        assertEquals(1, HopperTiles.sm90Splits(1024, 4096, 132), "a chain of 4096 does not outlast the stream");
        // short k, or columns enough to fill the device: one chain
        assertEquals(1, HopperTiles.sm90Splits(2048, 2048, 132));
        assertEquals(1, HopperTiles.sm90Splits(8192, 2048, 132));
        assertEquals(1, HopperTiles.sm90Splits(14336, 4096, 132));
        assertEquals(1, HopperTiles.sm90Splits(128256, 2048, 132));
        assertEquals(1, HopperTiles.sm90Splits(2048, 8191, 132), "k below 8192 keeps one chain");
        for (int k : new int[] {1000, 4096, 8192, 14336, 14400}) {
            for (int s = 1; s <= HopperTiles.SM90_MAX_SPLITS; s++) {
                int per = HopperTiles.sm90SplitK(k, s);
                assertEquals(0, per % HopperTiles.SM90_SPLIT_ALIGN, "whole stages of every tile");
                assertTrue((long) per * s >= k, "the splits cover k");
            }
        }
    }

    @Test
    void hopperSplitsInsideABlockLeaveTheWidestTile() {
        // a running total beside 128 accumulators a thread does not fit: 64 x 256 instead
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(4096, 4096, 1, 132, false, true));
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(1024, 2048, 1, 132, false, true));
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(1, 2048, 1, 132, true, true));
    }

    @Test
    void hopperSplitsInsideABlockTakeACopyEngineTileOfOneWave() {
        // 2048 x 8192 at m = 256 (four splits inside each block): 64 x 128 (64 tiles) ran 28.7 us
        // where the one-wave rule's 64 x 64 (128 tiles) ran 31.5 (H100 sweep)
        assertArrayEquals(new int[] {64, 64, 2}, HopperTiles.sm90Tile(256, 2048, 1, 132, false, false, 1.2));
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90SplitsInBlockTile(256, 2048, 1, 132, false));
        // the SwiGLU store's pairs fit the same tile
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90SplitsInBlockTile(256, 2048, 1, 132, true));
        // a copy-engine tile is kept; none in one wave keeps the rule's choice
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90SplitsInBlockTile(512, 2048, 1, 132, false));
        assertArrayEquals(HopperTiles.sm90Tile(4096, 2048, 1, 132, false, false, 1.2),
                HopperTiles.sm90SplitsInBlockTile(4096, 2048, 1, 132, false));
    }

    @Test
    void hopperTileIsTheFastestOfTheSweep() {
        // the fastest tile of tools/gemm90_check.cu --sweep on an H100 (132 SMs), or one within 5%
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(4096, 4096, 1, 132));
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90Tile(256, 4096, 1, 132));
        assertArrayEquals(new int[] {64, 64, 2}, HopperTiles.sm90Tile(128, 4096, 1, 132));
        assertArrayEquals(new int[] {64, 32, 4}, HopperTiles.sm90Tile(64, 4096, 1, 132));
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(1, 4096, 1, 132));
        assertArrayEquals(new int[] {64, 64, 2}, HopperTiles.sm90Tile(1, 8192, 1, 132));
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90Tile(1, 16384, 1, 132));
        assertArrayEquals(new int[] {64, 64, 2}, HopperTiles.sm90Tile(256, 2048, 1, 132));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(512, 8192, 1, 132));
        // a 2048-wide weight at decode sizes: 16-column tiles, 128 of them
        assertArrayEquals(new int[] {16, 16, 4}, HopperTiles.sm90Tile(1, 2048, 1, 132));
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(16, 3072, 1, 132));
        // the SwiGLU store pairs blocks of 8 columns inside a warpgroup: never the 8-column one
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(1, 2048, 1, 132, true, false));
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90Tile(1, 14336, 1, 132));
        assertArrayEquals(new int[] {64, 128, 2}, HopperTiles.sm90Tile(256, 3072, 1, 132));
        // no tile covers the LM head in one wave: 16 x 32 while it is a weight stream, else the widest
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(1, 128256, 1, 132));
        assertArrayEquals(new int[] {16, 32, 2}, HopperTiles.sm90Tile(16, 128256, 1, 132));
        // past 16 rows, the half-height tile: the same 501 tiles, four waves either way
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(17, 128256, 1, 132));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(128, 128256, 1, 132));
        // a batch counts its tiles too
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(512, 1024, 64, 132));
    }

    @Test
    void hopperWideTileGivesWayWhereHalfTilesRunFewerWaves() {
        // tools/gemm90_check.cu --waves: 4096 x 4096 at m = 1536 ran 98 us on 128 x 256 (192 tiles,
        // two waves) and 83 on 64 x 256 (384 tiles, three waves of half the work); at 2048 rows the
        // wide tile's two full waves win (106 against 116)
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(1536, 4096, 1, 132));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(2048, 4096, 1, 132));
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(3072, 2048, 1, 132));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(4096, 2048, 1, 132));
        assertArrayEquals(new int[] {64, 256, 1}, HopperTiles.sm90Tile(768, 8192, 1, 132));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(8192, 14336, 1, 132));
        // in-block splits with their running total in memory: 2048 x 8192 at m = 4096, 253.7 against
        // 231.4 us; without that cost the wide tile would stay
        assertArrayEquals(new int[] {64, 256, 1},
                HopperTiles.sm90Tile(4096, 2048, 1, 132, false, false, HopperTiles.SM90_WIDE_TOTALS_COST));
        assertArrayEquals(new int[] {128, 256, 1}, HopperTiles.sm90Tile(4096, 2048, 1, 132, false, false, 1.0));
    }

    @Test
    void hopperSharedMemoryMatchesTheKernelPipeline() {
        // 128x256: 48 KB stages, 4 of them; 64x256: 40 KB, 5; 64x128 and 64x32 with 2 and 4 k
        // tiles per stage: 48 KB, 4
        assertEquals(4 * 49152 + 1024, HopperTiles.sm90SharedBytes(new int[] {128, 256, 1}));
        assertEquals(5 * 40960 + 1024, HopperTiles.sm90SharedBytes(new int[] {64, 256, 1}));
        assertEquals(4 * 49152 + 1024, HopperTiles.sm90SharedBytes(new int[] {64, 128, 2}));
        assertEquals(4 * 49152 + 1024, HopperTiles.sm90SharedBytes(new int[] {64, 32, 4}));
        // 64x64: 32 KB, 6; the 16-row tiles have half the budget (two blocks an SM): 16x32 with 2 k
        // tiles, 12 KB, 8 stages; 16x16 with 4, 16 KB, 6
        assertEquals(6 * 32768 + 1024, HopperTiles.sm90SharedBytes(new int[] {64, 64, 2}));
        assertEquals(8 * 12288 + 1024, HopperTiles.sm90SharedBytes(new int[] {16, 32, 2}));
        assertEquals(6 * 16384 + 1024, HopperTiles.sm90SharedBytes(new int[] {16, 16, 4}));
        for (int[] t : HopperTiles.SM90_TILES) {
            assertTrue(HopperTiles.sm90SharedBytes(t) * (t[0] == 16 ? 2 : 1) <= 227 * 1024, "fits the SM");
        }
        // the copy-engine tiles add their store's 8 KB chunk buffers: two a warpgroup for 128 x 256,
        // one for 64 x 256 (its five stages leave 26 KB) and for 64 x 128 (a warpgroup's 64 columns)
        assertEquals(4 * 49152 + 1024 + 4 * 8192, HopperTiles.sm90TmaSharedBytes(new int[] {128, 256, 1}));
        assertEquals(5 * 40960 + 1024 + 2 * 8192, HopperTiles.sm90TmaSharedBytes(new int[] {64, 256, 1}));
        assertEquals(4 * 49152 + 1024 + 2 * 8192, HopperTiles.sm90TmaSharedBytes(new int[] {64, 128, 2}));
        for (int i = 0; i < 3; i++) {
            assertTrue(HopperTiles.sm90TmaSharedBytes(HopperTiles.SM90_TILES[i]) + 1024 <= 227 * 1024, "fits the SM");
        }
    }
}
