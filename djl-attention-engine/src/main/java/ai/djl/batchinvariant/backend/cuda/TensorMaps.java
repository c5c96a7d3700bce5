/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.ndarray.types.DataType;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tensor maps for Hopper's copy engine (TMA): the driver's {@code cuTensorMapEncodeTiled}, which
 * JCuda 12.6 does not bind, called through the incubating foreign linker. Optional at run time, like
 * the Vector API on the CPU: with {@code --add-modules jdk.incubator.foreign
 * --enable-native-access=ALL-UNNAMED} the large Hopper GEMM tile is fed by the copy engine, without
 * them by its threads' own copies — the same shared-memory image, so the same bits
 * (docs/gpu-ops.md).
 */
final class TensorMaps {

    private static final Logger logger = LoggerFactory.getLogger(TensorMaps.class);

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
    private static final Method NATIVE_POINTER;
    private static final Field BYTE_OFFSET;

    static {
        Method m = null;
        Field f = null;
        try {
            m = jcuda.NativePointerObject.class.getDeclaredMethod("getNativePointer");
            m.setAccessible(true);
            f = Pointer.class.getDeclaredField("byteOffset");
            f.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            logger.debug("device addresses unavailable: {}", CudaRuntime.oneLine(e));
        }
        NATIVE_POINTER = m;
        BYTE_OFFSET = f;
    }

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
        return ENCODER != null && NATIVE_POINTER != null;
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
        long address = address(ptr);
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

    private static long address(CUdeviceptr ptr) {
        try {
            return (long) NATIVE_POINTER.invoke(ptr) + BYTE_OFFSET.getLong(ptr);
        } catch (ReflectiveOperationException e) {
            return 0;
        }
    }

    private static Encoder load() {
        if (ModuleLayer.boot().findModule("jdk.incubator.foreign").isEmpty()) {
            logger.debug("jdk.incubator.foreign absent: the Hopper GEMM copies without the copy engine");
            return null;
        }
        try {
            // the class links against the module only now, and only when the module is present
            return (Encoder) Class.forName("ai.djl.batchinvariant.backend.cuda.ForeignTensorMaps")
                    .getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            logger.debug("tensor maps unavailable ({}): the Hopper GEMM copies without the copy engine",
                    CudaRuntime.oneLine(cause));
            return null;
        }
    }
}
