/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.Half;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.types.DataType;

/**
 * float16 and bfloat16 arrays to float32 and back, a loop per type on the kernels' threads. The
 * CPU kernels compute in float32 and round each result to the storage type once, so an op on a
 * 16-bit array is the float32 op between a widening (exact) and a narrowing (round to nearest
 * even): per element {@link HostData#getFloat} and {@link HostData#setFloat}, without their
 * per-element switch, on the Vector API where {@link Simd} finds it ({@link VectorHalfKernels}).
 */
final class HalfConversions {

    private static final int BLOCK = ElementwiseKernels.BLOCK;

    private HalfConversions() {}

    /**
     * Whether a type is float32, float16 or bfloat16.
     *
     * @param type the type
     * @return true for the three
     */
    static boolean handles(DataType type) {
        return type == DataType.FLOAT32 || type == DataType.FLOAT16 || type == DataType.BFLOAT16;
    }

    /**
     * The values as float32: the array itself for float32 (the caller must not write it), else an
     * array from {@link HostArrays#floats} (hand it back by {@link #release} when done).
     *
     * @param data the storage
     * @param type its data type
     * @param n the element count
     * @return the values
     */
    static float[] widen(Object data, DataType type, int n) {
        if (type != DataType.FLOAT16 && type != DataType.BFLOAT16) {
            return HostData.toFloats(data, type, n);
        }
        short[] s = (short[]) data;
        float[] out = HostArrays.floats(n);
        boolean bf16 = type == DataType.BFLOAT16;
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> {
            int to = Math.min(n, (b + 1) * BLOCK);
            if (Simd.ENABLED) {
                if (bf16) {
                    VectorHalfKernels.widenBf16(s, b * BLOCK, to, out);
                } else {
                    VectorHalfKernels.widenF16(s, b * BLOCK, to, out);
                }
            } else if (bf16) {
                for (int i = b * BLOCK; i < to; i++) {
                    out[i] = Half.fromBFloat16(s[i]);
                }
            } else {
                for (int i = b * BLOCK; i < to; i++) {
                    out[i] = Half.fromFloat16(s[i]);
                }
            }
        });
        return out;
    }

    /**
     * Hands a widened copy back for reuse once an op is done with it ({@link HostArrays#release});
     * nothing where {@link #widen} returned the storage itself.
     *
     * @param widened what widen returned
     * @param data the storage it was given
     */
    static void release(float[] widened, Object data) {
        if (widened != data) {
            HostArrays.release(widened);
        }
    }

    /**
     * Writes float32 values into storage of a 16-bit type, each rounded to nearest even (as
     * {@link HostData#setFloat}); other types by {@link HostData#fromFloats}.
     *
     * @param values the values
     * @param type the storage's data type
     * @param out the storage, at least {@code values.length} elements
     * @return {@code out}
     */
    static Object narrow(float[] values, DataType type, Object out) {
        if (type != DataType.FLOAT16 && type != DataType.BFLOAT16) {
            return HostData.fromFloats(values, type, out);
        }
        short[] s = (short[]) out;
        int n = values.length;
        boolean bf16 = type == DataType.BFLOAT16;
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> {
            int to = Math.min(n, (b + 1) * BLOCK);
            if (Simd.ENABLED) {
                if (bf16) {
                    VectorHalfKernels.narrowBf16(values, b * BLOCK, to, s);
                } else {
                    VectorHalfKernels.narrowF16(values, b * BLOCK, to, s);
                }
            } else if (bf16) {
                for (int i = b * BLOCK; i < to; i++) {
                    s[i] = Half.toBFloat16(values[i]);
                }
            } else {
                for (int i = b * BLOCK; i < to; i++) {
                    s[i] = Half.toFloat16(values[i]);
                }
            }
        });
        return out;
    }
}
