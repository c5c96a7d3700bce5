/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.cuda.abi.Abi;
import ai.djl.batchinvariant.backend.cuda.abi.Abi.Gemm;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;

import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * Launches the GEMM family: {@code C[z] = A[z] B[z]} (or {@code A[z] W[z]ᵀ}) with a bias and
 * activation epilogue. Its one arithmetic decision, the split-K count, is a function of (n, k,
 * dtype, the device's SM count) — never of m — so a row's bits do not depend on how many rows
 * share the product. The launch shape may follow m, because it does not change any output's
 * arithmetic: the tile height (64 or 128 rows), and whether the splits run one per block into a
 * partial buffer summed in split order by a second kernel (few output tiles: more parallelism) or
 * one after another inside each block, forming the same ordered sum (many tiles: no buffer).
 *
 * <p>On compute capability 9.0, float16/bfloat16 products with a [n][k] weight run on the Hopper
 * family ({@code gemm_sm90.cu}: warpgroup MMA) with its own split count ({@link #sm90Splits}, again
 * of (n, k) and the device alone: more than one only for weights too narrow to fill the device at
 * decode and long in k). The tile shape (picked from m to fill the device) and whether the splits run a block each or
 * one after another inside each block change no output's arithmetic. Its bits are those of that
 * device kind; the sm_80 family gives other (equally invariant) bits. Its tiles of 64 rows and 128
 * columns or more are fed by the copy engine (TMA) where {@link TensorMaps} can encode tensor maps,
 * else by their threads' own copies: the same shared-memory image, so the same bits.
 */
final class CudaGemm {

    /** Column width the split policy counts tiles in (a fixed unit, not a kernel's tile). */
    static final int TILE = 64;
    /** Output columns per block of the tensor-core kernels. */
    static final int MMA_TILE_N = 128;
    /** Output rows and columns per block of the FMA kernels. */
    static final int FMA_TILE = 64;
    /** The k tile of split ranges: a multiple of every family's own k tile (64, 32, 16). */
    static final int K_TILE = 64;
    /** The sm_80 tensor-core kernels' k tile (gemm.cu's MMA_BK). */
    static final int MMA_K_TILE = 32;
    /** Depth of the tensor-core kernels' copy pipeline (gemm.cu's GEMM_STAGES). */
    static final int STAGES = 4;
    /** Splits are not made below this many k elements per split. */
    static final int MIN_SPLIT_K = 256;
    /** The most splits of one product. */
    static final int MAX_SPLITS = 8;
    /**
     * A split count forced for every product, for tests that must show a changed split changes
     * bits; 0 (the default) lets {@link #splits} decide.
     */
    static volatile int splitOverride;
    /** Keeps the widest Hopper tile on its threads' own copies (tests compare the two paths). */
    static volatile boolean tmaOff;
    /** Threads of the copy-engine tile: two MMA warpgroups and the one that asks for copies. */
    static final int TMA_THREADS = 384;
    /** The copy-engine tile's MMA threads (two warpgroups). */
    static final int TMA_MMA_THREADS = 256;
    /** Grid z limit of the driver. */
    private static final int MAX_GRID_Z = 65535;

    /** Epilogue activations, numbered as {@code bi::GemmAct}. */
    enum Act {
        NONE,
        RELU,
        GELU,
        SILU,
        /** The Hopper family's SwiGLU store (see {@link #swiGlu}): output n / 2 columns. */
        SWIGLU
    }

    /**
     * Returns whether a product can store a SwiGLU gate of its columns (gate and up in alternating
     * blocks of 8): on the Hopper family (its splits, if any, inside each block) with an even number
     * of blocks, unless a test forces a split count.
     *
     * @param type the element type
     * @param n the product's columns
     * @param device the device
     * @return true when {@link Act#SWIGLU} may be used
     */
    static boolean swiGlu(DataType type, int n, CudaDevice device) {
        return sm90(type, true, device) && splitOverride == 0 && n % 16 == 0;
    }

    private CudaGemm() {}

    /**
     * Returns the tensor maps of A ([m][k]) and the weight ([n][k]) for a tile fed by the copy engine
     * (the 128 x 256, 64 x 256 and 64 x 128 tiles: boxes of 64 k by the tile's rows and columns), or
     * null where the threads copy: another tile, a batch, maps unavailable (docs/gpu-ops.md).
     */
    private static byte[][] tensorMaps(Tensor a, Tensor b, int m, int n, int k, int batches, DataType type,
            int[] tile) {
        if (tmaOff || batches != 1 || tile[0] < 64 || tile[1] < 128 || !TensorMaps.available()) {
            return null;
        }
        byte[] ma = TensorMaps.encode2d(CudaBackend.memory(a).getPointer(), m, k, tile[0], type);
        byte[] mb = ma == null ? null : TensorMaps.encode2d(CudaBackend.memory(b).getPointer(), n, k, tile[1], type);
        return mb == null ? null : new byte[][] {ma, mb};
    }

    /**
     * Returns the split-K count for a product shape on a device: enough column-tile × split
     * blocks to fill the device twice when m is small, at least {@link #MIN_SPLIT_K} k elements
     * per split, and one split for float64 (its partials would lose precision in fp32).
     *
     * @param n the output columns
     * @param k the reduction length
     * @param type the element type
     * @param sms the device's multiprocessor count
     * @return the count, 1 or more
     */
    static int splits(int n, int k, DataType type, int sms) {
        if (type == DataType.FLOAT64 || k < 2 * MIN_SPLIT_K) {
            return 1;
        }
        int tilesN = (n + TILE - 1) / TILE;
        int want = (2 * sms + tilesN - 1) / tilesN;
        int most = Math.min(MAX_SPLITS, k / MIN_SPLIT_K);
        return Math.max(1, Math.min(want, most));
    }

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
     * Returns whether a product runs on the Hopper family.
     *
     * @param type the element type
     * @param weightNk the right operand's layout
     * @param device the device
     * @return true for float16/bfloat16 with a [n][k] weight on compute capability 9.0 (unless the
     *     {@code cuda_sm90} option is false)
     */
    static boolean sm90(DataType type, boolean weightNk, CudaDevice device) {
        return weightNk && (type == DataType.FLOAT16 || type == DataType.BFLOAT16)
                && device.hopperKernels();
    }

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
    private static long tileCount(int m, int n, int batches, int tileM, int tileN) {
        return (long) ((m + tileM - 1) / tileM) * ((n + tileN - 1) / tileN) * batches;
    }

    /**
     * Returns, of the allowed Hopper tiles that cover the product in one wave (a tile an SM at most),
     * the one with the most tiles (ties to the shorter tile), or null when none does.
     */
    private static int[] sm90OneWave(int m, int n, int batches, int sms, boolean pairedColumns,
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
        int stage = tile[2] * (tile[0] + tile[1]) * K_TILE * 2;
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
        int chunk = 64 * K_TILE * 2;
        int fit = (227 * 1024 - pipeline - 1024) / (2 * chunk);
        return pipeline + 2 * Math.min(warpgroupColumns(tile) / 64, fit) * chunk;
    }

    /**
     * Returns the k elements per split: a multiple of the k tile, so every split's tiles sit at
     * absolute k positions.
     *
     * @param k the reduction length
     * @param splits the split count
     * @return elements per split
     */
    static int splitK(int k, int splits) {
        int per = (k + splits - 1) / splits;
        return (per + K_TILE - 1) / K_TILE * K_TILE;
    }

    /**
     * Returns the dynamic shared memory of a tensor-core kernel: {@link #STAGES} copies of an A
     * tile (tileM x 40 halves) and a B tile ([128][40] or [32][136] halves).
     *
     * @param tileM 64 or 128
     * @param weightNk the B layout
     * @return bytes
     */
    static int sharedBytes(int tileM, boolean weightNk) {
        int a = tileM * (MMA_K_TILE + 8);
        int b = weightNk ? MMA_TILE_N * (MMA_K_TILE + 8) : MMA_K_TILE * (MMA_TILE_N + 8);
        return STAGES * (a + b) * 2;
    }

    /**
     * A batched product's operands in elements: offsets of batch z = z0 * batch1 + z1 are
     * {@code z0 * s?0 + z1 * s?1}.
     */
    static final class Batch {
        final int batch0;
        final int batch1;
        final long sa0;
        final long sa1;
        final long sb0;
        final long sb1;

        Batch(int batch0, int batch1, long sa0, long sa1, long sb0, long sb1) {
            this.batch0 = batch0;
            this.batch1 = batch1;
            this.sa0 = sa0;
            this.sa1 = sa1;
            this.sb0 = sb0;
            this.sb1 = sb1;
        }

        static Batch single() {
            return new Batch(1, 1, 0, 0, 0, 0);
        }
    }

    /**
     * Runs a product into new device memory.
     *
     * @param a the left operand, [batch][m][k], of the compute type
     * @param b the right operand, [n][k] when {@code weightNk} else [k][n], same type and device
     * @param bias [n] of the same type, or null
     * @param m rows
     * @param n columns
     * @param k reduction length
     * @param weightNk the right operand's layout
     * @param batch the batch decomposition
     * @param act the epilogue activation
     * @return the output, [batch0 * batch1][m][n], of the operands' type, as raw device memory
     */
    static DeviceMemory run(Tensor a, Tensor b, Tensor bias, int m, int n, int k, boolean weightNk, Batch batch,
            Act act) {
        DataType type = a.getDataType();
        CudaDevice device = CudaBackend.device(a);
        int batches = batch.batch0 * batch.batch1;
        if (act == Act.SWIGLU && (!swiGlu(type, n, device) || bias != null || !weightNk)) {
            throw new IllegalStateException(
                    "the SwiGLU store needs the Hopper family, no forced split count, no bias and n % 16 == 0");
        }
        // the SwiGLU store writes one output per gate/up pair
        int outN = act == Act.SWIGLU ? n / 2 : n;
        long outElems = (long) batches * m * outN;
        DeviceMemory c = Launch.memory(device, outElems * type.getNumOfBytes());
        if (outElems == 0) {
            return c;
        }
        boolean hopper = sm90(type, weightNk, device);
        int sms = device.getSmCount();
        int splits = k == 0 || type == DataType.FLOAT64 ? 1
                : splitOverride > 0 ? splitOverride
                : hopper ? (EngineOptions.cudaGemmSplits() ? sm90Splits(n, k, sms) : 1) : splits(n, k, type, sms);
        int splitK = k == 0 ? K_TILE : hopper ? sm90SplitK(k, splits) : splitK(k, splits);
        splits = k == 0 ? 1 : (k + splitK - 1) / splitK;
        if ((long) batches * splits > MAX_GRID_Z) {
            throw new IllegalArgumentException("matrix product batch " + batches + " x " + splits
                    + " k splits exceeds the launch limit of " + MAX_GRID_Z + "; split the batch");
        }
        boolean tensorCores = type == DataType.FLOAT16 || type == DataType.BFLOAT16;
        boolean paired = act == Act.SWIGLU;
        int[] hTile = null;
        boolean perBlock;
        if (hopper && splits > 1) {
            // a split a block while the partials stay small beside the weight (16 m splits <= k) and
            // the split tiles fit one wave (or the rows are a decode's), else every split inside
            // each block; the SwiGLU store has no split-K sum kernel
            int[] wave = sm90OneWave(m, n, batches * splits, sms, paired, false);
            perBlock = !paired && 16L * m * splits <= k && (wave != null || m <= 16);
            if (perBlock) {
                hTile = sm90Tile(m, n, batches * splits, sms, false, false);
            } else {
                // the widest tile keeps its running total in a workspace, on the copy engine only
                hTile = sm90SplitsInBlockTile(m, n, batches, sms, paired);
                if (warpgroupColumns(hTile) > SM90_SPLIT_COLUMNS
                        && (k % K_TILE != 0 || tensorMaps(a, b, m, n, k, batches, type, hTile) == null)) {
                    hTile = sm90Tile(m, n, batches, sms, paired, true);
                }
            }
        } else {
            hTile = hopper ? sm90Tile(m, n, batches, sms, paired, false) : null;
            perBlock = false;
        }
        int tileM = hopper ? hTile[0] : tensorCores ? (m <= 64 ? 64 : 128) : FMA_TILE;
        int tileN = hopper ? hTile[1] : tensorCores ? MMA_TILE_N : FMA_TILE;
        long tiles = tileCount(m, n, batches, tileM, tileN);
        if (!hopper) {
            perBlock = splits > 1 && tiles < sms;
        }
        DeviceMemory partial = perBlock ? device.allocate(outElems * splits * 4) : null;
        // the running totals of the widest tile's in-block splits: one slice a (persistent) block
        boolean totalsInMemory = hopper && splits > 1 && !perBlock && warpgroupColumns(hTile) > SM90_SPLIT_COLUMNS;
        DeviceMemory splitWs = totalsInMemory
                ? device.allocate(Math.min(tiles, sms) * (long) tileN / 2 * TMA_MMA_THREADS * 4) : null;
        try {
            device.await(device.getStream(), CudaBackend.memory(a), CudaBackend.memory(b),
                    bias == null ? null : CudaBackend.memory(bias));
            Params p = Abi.GEMM.newParams()
                    .ptr(Gemm.A, CudaBackend.memory(a).getPointer())
                    .ptr(Gemm.B, CudaBackend.memory(b).getPointer())
                    .ptr(Gemm.BIAS, bias == null ? null : CudaBackend.memory(bias).getPointer())
                    .ptr(Gemm.C, c.getPointer())
                    .ptr(Gemm.PARTIAL, partial == null ? null : partial.getPointer())
                    .i64(Gemm.SA0, batch.sa0)
                    .i64(Gemm.SA1, batch.sa1)
                    .i64(Gemm.SB0, batch.sb0)
                    .i64(Gemm.SB1, batch.sb1)
                    .i64(Gemm.SC, (long) m * outN)
                    .i32(Gemm.M, m)
                    .i32(Gemm.N, n)
                    .i32(Gemm.K, k)
                    .i32(Gemm.BATCH1, batch.batch1)
                    .i32(Gemm.BATCHES, batches)
                    .i32(Gemm.B_NK, weightNk ? 1 : 0)
                    .i32(Gemm.SPLITS, splits)
                    .i32(Gemm.SPLIT_K, splitK)
                    .i32(Gemm.ACT, act.ordinal())
                    .ptr(Gemm.SPLIT_WS, splitWs == null ? null : splitWs.getPointer())
                    .i32(Gemm.C_MAP, 0);
            String what = "gemm " + type + " " + batches + "x" + m + "x" + n + "x" + k;
            int gridZ = batches * (perBlock ? splits : 1);
            // splits inside a copy-engine block run whole stages only (gemm_sm90.cu's tma_consume)
            boolean wholeStages = !hopper || splits == 1 || perBlock
                    || k % (hTile[2] * K_TILE) == 0 && splitK % (hTile[2] * K_TILE) == 0;
            byte[][] maps = hopper && wholeStages ? tensorMaps(a, b, m, n, k, batches, type, hTile) : null;
            if (maps != null) {
                int smem = sm90TmaSharedBytes(hTile);
                CUfunction f = device.function(Abi.MODULE_GEMM_SM90, Abi.gemmSm90TmaKernel(type, tileM, tileN), smem);
                // plain stores through c's map (boxes of 64 x 64); the third argument is only read
                // where C_MAP says so
                byte[] mc = partial == null && bias == null && act == Act.NONE && outN % 8 == 0
                        ? TensorMaps.encode2d(c.getPointer(), m, outN, 64, type) : null;
                p.i32(Gemm.C_MAP, mc == null ? 0 : 1);
                // persistent: at most one block an SM, each taking every gridDim.x-th tile
                int blocks = (int) Math.min(tiles, sms);
                check(JCudaDriver.cuLaunchKernel(f, blocks, 1, gridZ, TMA_THREADS, 1, 1, smem, device.getStream(),
                        p.toKernelParams(maps[0], maps[1], mc == null ? maps[0] : mc), null),
                        "cuLaunchKernel(" + what + ")");
            } else if (hopper) {
                // one linear tile index per block (the kernel groups m tiles for L2 reuse)
                int smem = sm90SharedBytes(hTile);
                CUfunction f = device.function(Abi.MODULE_GEMM_SM90, Abi.gemmSm90Kernel(type, tileM, tileN), smem);
                check(JCudaDriver.cuLaunchKernel(f, (int) (tiles / batches), 1, gridZ, 256, 1, 1, smem,
                        device.getStream(), p.toKernelParams(), null), "cuLaunchKernel(" + what + ")");
            } else {
                int smem = tensorCores ? sharedBytes(tileM, weightNk) : 0;
                CUfunction f = device.function(Abi.MODULE_GEMM, Abi.gemmKernel(type, weightNk, tileM), smem);
                check(JCudaDriver.cuLaunchKernel(f, (m + tileM - 1) / tileM, (n + tileN - 1) / tileN, gridZ, 256, 1,
                        1, smem, device.getStream(), p.toKernelParams(), null), "cuLaunchKernel(" + what + ")");
            }
            if (perBlock) {
                CUfunction sum = device.function(Abi.MODULE_GEMM, Abi.gemmSumKernel(type), 0);
                int blocks = (int) Math.min(65535, (outElems + 255) / 256);
                check(JCudaDriver.cuLaunchKernel(sum, blocks, 1, 1, 256, 1, 1, 0, device.getStream(),
                        p.toKernelParams(), null), "cuLaunchKernel(" + what + " split-K sum)");
            }
        } finally {
            // stream-ordered: the next user of these blocks on this stream runs after this product
            if (partial != null) {
                partial.release();
            }
            if (splitWs != null) {
                splitWs.release();
            }
        }
        return c;
    }
}
