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
 * family ({@code gemm_sm90.cu}: warpgroup MMA) with its own split count ({@link HopperTiles#sm90Splits}, again
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
                : hopper ? (EngineOptions.cudaGemmSplits() ? HopperTiles.sm90Splits(n, k, sms) : 1)
                : splits(n, k, type, sms);
        int splitK = k == 0 ? K_TILE : hopper ? HopperTiles.sm90SplitK(k, splits) : splitK(k, splits);
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
            int[] wave = HopperTiles.sm90OneWave(m, n, batches * splits, sms, paired, false);
            perBlock = !paired && 16L * m * splits <= k && (wave != null || m <= 16);
            if (perBlock) {
                hTile = HopperTiles.sm90Tile(m, n, batches * splits, sms, false, false);
            } else {
                // the widest tile keeps its running total in a workspace, on the copy engine only
                hTile = HopperTiles.sm90SplitsInBlockTile(m, n, batches, sms, paired);
                if (HopperTiles.warpgroupColumns(hTile) > HopperTiles.SM90_SPLIT_COLUMNS
                        && (k % K_TILE != 0 || tensorMaps(a, b, m, n, k, batches, type, hTile) == null)) {
                    hTile = HopperTiles.sm90Tile(m, n, batches, sms, paired, true);
                }
            }
        } else {
            hTile = hopper ? HopperTiles.sm90Tile(m, n, batches, sms, paired, false) : null;
            perBlock = false;
        }
        int tileM = hopper ? hTile[0] : tensorCores ? (m <= 64 ? 64 : 128) : FMA_TILE;
        int tileN = hopper ? hTile[1] : tensorCores ? MMA_TILE_N : FMA_TILE;
        long tiles = HopperTiles.tileCount(m, n, batches, tileM, tileN);
        if (!hopper) {
            perBlock = splits > 1 && tiles < sms;
        }
        DeviceMemory partial = perBlock ? device.allocate(outElems * splits * 4) : null;
        // the running totals of the widest tile's in-block splits: one slice a (persistent) block
        boolean totalsInMemory = hopper && splits > 1 && !perBlock
                && HopperTiles.warpgroupColumns(hTile) > HopperTiles.SM90_SPLIT_COLUMNS;
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
                int smem = HopperTiles.sm90TmaSharedBytes(hTile);
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
                int smem = HopperTiles.sm90SharedBytes(hTile);
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
