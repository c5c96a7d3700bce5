/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

/**
 * The Hopper GEMM family's launch policy ({@code gemm_sm90.cu}), as pure host arithmetic: which
 * output tile a product runs on (from its shape and the device's SM count), the split-K count and
 * split length of a weight (from (n, k) and the device alone, never from m), and each tile's
 * shared memory. {@link CudaGemm} launches by it; {@code tools/gemm90_launch.cuh} mirrors it for
 * the stand-alone checks, and {@code GemmPolicyTest} pins its choices without a GPU. No choice here
 * touches an output's arithmetic but the split count.
 */
final class HopperTiles {

    /**
     * The Hopper family's output tiles (rows, columns, k tiles of 64 per pipeline stage), widest
     * first. 16-row tiles run two blocks an SM (gemm_sm90.cu); {@link #sm90Tile} picks among them.
     */
    static final int[][] SM90_TILES = {
        {128, 256, 1}, {64, 256, 1}, {64, 128, 2}, {64, 64, 2}, {64, 32, 4}, {16, 32, 2}, {16, 16, 4}
    };
    /** The most splits of a Hopper product. */
    static final int SM90_MAX_SPLITS = 4;
    /**
     * The k from which a Hopper product may split: one chain of k / 16 steps outlasts the weight
     * stream (measured on an H100: a 2048 x 4096 weight gained nothing from two splits at m <= 16,
     * a 2048 x 8192 one 21 to 15 us with four).
     */
    static final int SM90_SPLIT_FROM_K = 8192;
    /** A Hopper split keeps at least this much of k. */
    static final int SM90_MIN_SPLIT_K = 2048;
    /** Hopper splits start at multiples of this (the widest stage's k: 4 k tiles of 64). */
    static final int SM90_SPLIT_ALIGN = 256;
    /** The most columns a warpgroup may hold when splits run inside a block (gemm_sm90_tile.cuh's SPLITS_IN_BLOCK). */
    static final int SM90_SPLIT_COLUMNS = 128;
    /** Shared memory the Hopper kernels' pipeline may use an SM (gemm_sm90_tile.cuh's SMEM_BUDGET). */
    static final int SM90_SMEM_BUDGET = 200 * 1024;


    /**
     * Returns the Hopper tile for an m x n product. It decides which thread computes an output, never
     * the output's arithmetic, so the choice may follow the whole shape: of the tiles that cover the
     * product in one wave (a tile an SM at most), the one with the most tiles (ties to the shorter
     * tile); when none does, the widest, or at m <= 16 (a weight stream, not a multiplication: the
     * LM head at decode) the 16 x 32 tile. Where that picks 128 x 256, 64 x 256 takes its place when
     * its whole waves cost less. One wave of narrow tiles spreads a decode-sized product's
     * weight stream over the most SMs; a second wave costs more than a wider tile, whose k chain is no
     * longer. Checked on an H100 against every tile forced (tools/gemm90_check.cu --sweep,
     * docs/benchmarks-gpu-ops.md): within 3% of the fastest tile at m = 1 to 512 on the Llama
     * shapes, but for the 128,256-wide LM head at m = 32 to 64 (128 x 256, 9% behind the fastest).
     *
     * @param m rows
     * @param n columns
     * @param batches batch count
     * @param sms the device's multiprocessor count
     * @return {rows, columns, k tiles per stage}
     */
    static int[] sm90Tile(int m, int n, int batches, int sms) {
        return sm90Tile(m, n, batches, sms, false, false);
    }

    /**
     * Returns the Hopper tile for an m x n product, as {@link #sm90Tile(int, int, int, int)}, among
     * the tiles whose warpgroups hold at least 16 columns when the SwiGLU store pairs blocks of 8,
     * and at most {@link #SM90_SPLIT_COLUMNS} when the splits run inside each block (their running
     * total sits beside the accumulators).
     *
     * @param m rows
     * @param n columns
     * @param batches blocks per tile: the batch count, times the splits where each runs in its own block
     * @param sms the device's multiprocessor count
     * @param pairedColumns whether the store pairs gate and up blocks of 8 columns
     * @param splitsInBlock whether the splits run one after another inside each block
     * @return {rows, columns, k tiles per stage}
     */
    static int[] sm90Tile(int m, int n, int batches, int sms, boolean pairedColumns, boolean splitsInBlock) {
        return sm90Tile(m, n, batches, sms, pairedColumns, splitsInBlock, 1.0);
    }

    /**
     * Returns the Hopper tile as {@link #sm90Tile(int, int, int, int, boolean, boolean)}, the widest
     * tile's time a wave scaled by {@code wideCost} (its in-block splits keep their running total in
     * memory: {@link #SM90_WIDE_TOTALS_COST}). Where the widest tile is picked, the 64 x 256 tile
     * replaces it when its whole waves cost less ({@link #sm90FewerWaves}).
     *
     * @param m rows
     * @param n columns
     * @param batches blocks per tile
     * @param sms the device's multiprocessor count
     * @param pairedColumns whether the store pairs gate and up blocks of 8 columns
     * @param splitsInBlock whether the splits run inside each block beside the accumulators
     * @param wideCost the 128 x 256 tile's time a wave relative to a plain k loop
     * @return {rows, columns, k tiles per stage}
     */
    static int[] sm90Tile(int m, int n, int batches, int sms, boolean pairedColumns, boolean splitsInBlock,
            double wideCost) {
        int[] best = sm90OneWave(m, n, batches, sms, pairedColumns, splitsInBlock);
        if (best == null) {
            if (m <= 16) {
                return SM90_TILES[SM90_TILES.length - 2];
            }
            for (int[] t : SM90_TILES) {
                if (!splitsInBlock || warpgroupColumns(t) <= SM90_SPLIT_COLUMNS) {
                    best = t;
                    break;
                }
            }
        }
        return best == SM90_TILES[0] ? sm90FewerWaves(m, n, batches, sms, wideCost) : best;
    }

    /** The tiles the copy engine feeds (gemm_sm90.cu's {@code _tma} kernels): the first of {@link #SM90_TILES}. */
    static final int SM90_TMA_TILES = 3;

    /**
     * Returns the Hopper tile of a product whose k splits run one after another inside each block:
     * {@link #sm90Tile(int, int, int, int, boolean, boolean, double)}'s choice, unless a copy-engine
     * tile also covers the product in one wave, which is then taken (the fewest of them that do:
     * the one with the most tiles). The splits' long k chains gain more from the copy engine's
     * stages than from more, narrower blocks: 2048 x 8192 with four splits at m = 256 ran in 28.7 us
     * on 64 x 128 against 31.5 on the 64 x 64 tile the one-wave rule picks (H100,
     * tools/gemm90_check.cu --sweep, docs/benchmarks.md). Which block computes an output never
     * changes its sum.
     *
     * @param m rows
     * @param n columns
     * @param batches blocks per tile
     * @param sms the device's multiprocessor count
     * @param pairedColumns whether the store pairs gate and up blocks of 8 columns
     * @return {rows, columns, k tiles per stage}
     */
    static int[] sm90SplitsInBlockTile(int m, int n, int batches, int sms, boolean pairedColumns) {
        int[] picked = sm90Tile(m, n, batches, sms, pairedColumns, false, SM90_WIDE_TOTALS_COST);
        for (int i = SM90_TMA_TILES - 1; i >= 0; i--) {
            int[] t = SM90_TILES[i];
            if (t == picked) {
                return picked;
            }
            if (warpgroupColumns(t) <= SM90_SPLIT_COLUMNS && tileCount(m, n, batches, t[0], t[1]) <= sms) {
                return t;
            }
        }
        return picked;
    }

    /**
     * The 64 x 256 tile's time against the 128 x 256 tile's, at equal k, on a full wave: half the
     * work at 1.04-1.24x the time a multiply-add (tools/gemm90_check.cu --waves, products of 8 to 55
     * waves; docs/benchmarks-gpu-kernels.md).
     */
    static final double SM90_HALF_TILE_COST = 0.58;
    /**
     * The 128 x 256 tile's time a wave when its in-block splits keep their running total in memory,
     * against its plain k loop (the 64 x 256 tile keeps its total in registers): 2048 x 8192 with
     * four splits ran 4-31% slower on it than on 64 x 256 at m = 2048 to 8192.
     */
    static final double SM90_WIDE_TOTALS_COST = 1.2;

    /**
     * Returns, of the 128 x 256 and 64 x 256 tiles, the one whose whole waves cost less: a product
     * whose wide tiles fill 3.4 waves runs four, where twice as many half tiles fill 6.8 and run seven
     * at {@link #SM90_HALF_TILE_COST} each (4096 x 4096 at m = 1536: 98 against 83 us). Either tile
     * keeps every output's k chain, so the choice changes no bits.
     */
    private static int[] sm90FewerWaves(int m, int n, int batches, int sms, double wideCost) {
        int[] wide = SM90_TILES[0];
        int[] half = SM90_TILES[1];
        double wideWaves = waves(m, n, batches, sms, wide) * wideCost;
        double halfWaves = waves(m, n, batches, sms, half) * SM90_HALF_TILE_COST;
        return halfWaves < wideWaves ? half : wide;
    }

    private static long waves(int m, int n, int batches, int sms, int[] t) {
        return (tileCount(m, n, batches, t[0], t[1]) + sms - 1) / sms;
    }

    /** The output tiles of a product: m / tileM times n / tileN (rounded up), times the batches. */
    static long tileCount(int m, int n, int batches, int tileM, int tileN) {
        return (long) ((m + tileM - 1) / tileM) * ((n + tileN - 1) / tileN) * batches;
    }

    /**
     * Returns, of the allowed Hopper tiles that cover the product in one wave (a tile an SM at most),
     * the one with the most tiles (ties to the shorter tile), or null when none does.
     */
    static int[] sm90OneWave(int m, int n, int batches, int sms, boolean pairedColumns,
            boolean splitsInBlock) {
        int[] best = null;
        long bestTiles = 0;
        for (int[] t : SM90_TILES) {
            int columns = warpgroupColumns(t);
            if (pairedColumns && columns < 16 || splitsInBlock && columns > SM90_SPLIT_COLUMNS) {
                continue;
            }
            long tiles = tileCount(m, n, batches, t[0], t[1]);
            // SM90_TILES runs widest first: on equal counts the later (shorter) tile wins
            if (tiles <= sms && tiles >= bestTiles) {
                best = t;
                bestTiles = tiles;
            }
        }
        return best;
    }

    /**
     * Returns the Hopper family's split-K count for an (n, k) weight on a device — never a function
     * of m. A product with few rows streams its weight through 16 x 32 tiles, two blocks an SM, and
     * each output is a chain of k / 16 dependent MMA steps: where the weight's tiles fill at most
     * half the SMs and k is {@link #SM90_SPLIT_FROM_K} or more, the chain (not the memory) bounds the
     * time. Splitting k in two (or four) while the split tiles still fit two to an SM, and each
     * split keeps at least {@link #SM90_MIN_SPLIT_K} of k, shortens it; the splits' partials are
     * added in split order, in a second kernel for few rows or inside each block for many (the
     * same sums). Measured on an H100 (tools/gemm90_check.cu --splits,
     * docs/benchmarks-gpu-kernels.md): wider weights (4096 columns) gained nothing at decode from a
     * split and lost up to 34% at m >= 1024, so they keep one chain; the split weights themselves
     * pay 9-26% at m >= 4096 for 20-40% at decode sizes.
     *
     * @param n the output columns
     * @param k the reduction length
     * @param sms the device's multiprocessor count
     * @return 1, 2 or 4
     */
    static int sm90Splits(int n, int k, int sms) {
        int columnTiles = (n + 31) / 32;
        if (2L * columnTiles > sms || k < SM90_SPLIT_FROM_K) {
            return 1;
        }
        int s = 1;
        while (s * 2 <= SM90_MAX_SPLITS && (long) columnTiles * s * 2 <= 2L * sms && k / (s * 2) >= SM90_MIN_SPLIT_K) {
            s *= 2;
        }
        return s;
    }

    /**
     * Returns the Hopper family's k elements per split: a multiple of {@link #SM90_SPLIT_ALIGN}, the
     * widest stage of any tile, so that every split holds whole stages where k does.
     *
     * @param k the reduction length
     * @param splits the split count
     * @return elements per split
     */
    static int sm90SplitK(int k, int splits) {
        int per = (k + splits - 1) / splits;
        return (per + SM90_SPLIT_ALIGN - 1) / SM90_SPLIT_ALIGN * SM90_SPLIT_ALIGN;
    }

    /**
     * Returns the columns one warpgroup of a Hopper tile holds: 128-row tiles stack the two
     * warpgroups along m, the others put them side by side along n.
     *
     * @param tile {rows, columns, k tiles per stage}
     * @return columns
     */
    static int warpgroupColumns(int[] tile) {
        return tile[0] == 128 ? tile[1] : tile[1] / 2;
    }

    /**
     * Returns the dynamic shared memory of a Hopper kernel: as many stages of both operand tiles
     * as fit the budget (at most 16), plus 1 KB for the swizzle's alignment.
     *
     * @param tile {rows, columns, k tiles per stage}
     * @return bytes
     */
    static int sm90SharedBytes(int[] tile) {
        int stage = tile[2] * (tile[0] + tile[1]) * CudaGemm.K_TILE * 2;
        int budget = SM90_SMEM_BUDGET / (tile[0] == 16 ? 2 : 1);
        return Math.min(16, budget / stage) * stage + 1024;
    }

    /**
     * Returns the dynamic shared memory of a copy-engine Hopper kernel: {@link #sm90SharedBytes}'s
     * pipeline, then its store's chunk buffers of 64 x 64 outputs (8 KB), as many a warpgroup as the
     * SM's 227 KB leave beside 1 KB of static shared memory, at most a warpgroup's columns / 64
     * (gemm_sm90_store.cuh's HEpi): two each for 128 x 256, one for 64 x 256 and 64 x 128.
     *
     * @param tile {rows, columns, k tiles per stage}, a copy-engine tile
     * @return bytes
     */
    static int sm90TmaSharedBytes(int[] tile) {
        int pipeline = sm90SharedBytes(tile);
        int chunk = 64 * CudaGemm.K_TILE * 2;
        int fit = (227 * 1024 - pipeline - 1024) / (2 * chunk);
        return pipeline + 2 * Math.min(warpgroupColumns(tile) / 64, fit) * chunk;
    }

    private HopperTiles() {}
}
