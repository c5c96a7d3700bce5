/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.cuda.abi.DevicePointers;
import ai.djl.ndarray.types.DataType;

import jcuda.driver.CUdeviceptr;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tensor maps for Hopper's copy engine (TMA): the driver's {@code cuTensorMapEncodeTiled}, which
 * JCuda 12.6 does not bind, called through the incubating foreign linker. Optional at run time, like
 * the Vector API on the CPU: with {@code --add-modules jdk.incubator.foreign
 * --enable-native-access=ALL-UNNAMED} the wide Hopper GEMM tiles and the Hopper attention kernel's
 * page runs of K and V are fed by the copy engine, without them by their threads' own copies — the
 * same shared-memory image, so the same bits (docs/gpu-ops.md).
 */
final class TensorMaps {

    /** Bytes of a {@code CUtensorMap}. */
    static final int MAP_BYTES = 128;
    /** Maps kept: a model's weights and the allocator's recycled activation buffers. */
    private static final int CACHE_SIZE = 512;

    /**
     * Encoded maps by what they encode (a map holds only the address, shape and box, so a buffer
     * reused at the same address and shape needs no new one): an encode through the foreign linker
     * costs ~20 µs of host time, a lookup well under one.
     */
    private static final Map<Key, byte[]> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, byte[]> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private static final Encoder ENCODER = load();

    /** Encodes one 2-D map; implemented where the foreign linker is present. */
    interface Encoder {

        /**
         * Encodes a row-major [rows][k] 16-bit matrix read in boxes of 64 k by {@code boxRows} rows,
         * 128-byte swizzled, zeros outside it.
         *
         * @param address the matrix's device address (16-byte aligned)
         * @param rows the rows
         * @param k the row length (a multiple of 8)
         * @param boxRows the rows a box
         * @param bfloat16 bfloat16 (else float16) elements
         * @return the map's {@value #MAP_BYTES} bytes, or null where the driver refused
         */
        byte[] encode2d(long address, long rows, long k, int boxRows, boolean bfloat16);
    }

    private TensorMaps() {}

    /**
     * Returns whether tensor maps can be encoded in this process.
     *
     * @return true with the foreign linker and native access
     */
    static boolean available() {
        return ENCODER != null;
    }

    /**
     * Encodes the map of a row-major [rows][k] float16/bfloat16 matrix in device memory, boxes of 64
     * k by {@code boxRows} rows.
     *
     * @param ptr the matrix
     * @param rows the rows
     * @param k the row length
     * @param boxRows the rows a box (at most 256)
     * @param type float16 or bfloat16
     * @return the map, or null where it cannot be encoded (then the caller takes another path)
     */
    static byte[] encode2d(CUdeviceptr ptr, long rows, long k, int boxRows, DataType type) {
        if (!available() || k % 8 != 0 || rows < 1) {
            return null;
        }
        long address = DevicePointers.address(ptr);
        if (address == 0 || address % 16 != 0) {
            return null;
        }
        boolean bf16 = type == DataType.BFLOAT16;
        Key key = new Key(address, rows, k, boxRows, bf16);
        synchronized (CACHE) {
            byte[] map = CACHE.get(key);
            if (map != null) {
                return map;
            }
        }
        byte[] map = ENCODER.encode2d(address, rows, k, boxRows, bf16);
        if (map != null) {
            synchronized (CACHE) {
                CACHE.put(key, map);
            }
        }
        return map;
    }

    /** What a map encodes. */
    private record Key(long address, long rows, long k, int boxRows, boolean bf16) {}

    private static Encoder load() {
        return ForeignLinker.load("ForeignTensorMaps", Encoder.class,
                "the Hopper GEMM copies without the copy engine");
    }
}
