/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
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
    /** Elements of each operand a fused step widens: three such float arrays take 24 KiB. */
    private static final int CHUNK = 2048;

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
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> widen(s, b * BLOCK, out, b * BLOCK,
                Math.min(n, (b + 1) * BLOCK) - b * BLOCK, bf16));
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
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> narrow(values, b * BLOCK, s, b * BLOCK,
                Math.min(n, (b + 1) * BLOCK) - b * BLOCK, bf16));
        return out;
    }

    /**
     * A binary operation of {@link ElementwiseKernels#binary} on float16 or bfloat16 operands of
     * one shape (or one a single value) into storage of the same type, without widened copies of
     * the whole arrays: each task widens {@value #CHUNK} elements of each operand at a time into
     * scratch, applies the float32 operation and rounds the results into the
     * output. Each element takes the operations of widening both arrays, the float32 op and
     * narrowing the result, so the bits are the same (float16 x + x at 1024 × 4096 took 2.67 ms
     * through the whole-array copies).
     *
     * @param op an operation {@link ElementwiseKernels#handles} accepts
     * @param x the left operand's bits
     * @param scalarX whether x is one value for every element
     * @param y the right operand's bits
     * @param scalarY whether y is one value for every element (not both)
     * @param type float16 or bfloat16, the operands' and the output's type
     * @param o the output's bits
     * @param n the element count
     */
    static void binary(BinaryOp op, short[] x, boolean scalarX, short[] y, boolean scalarY, DataType type,
            short[] o, int n) {
        boolean bf16 = type == DataType.BFLOAT16;
        // a single value widened once, read by every task
        float[] one = new float[1];
        if (scalarX || scalarY) {
            widen(scalarX ? x : y, 0, one, 0, 1, bf16);
        }
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> {
            float[] fx = scalarX ? one : new float[CHUNK];
            float[] fy = scalarY ? one : new float[CHUNK];
            float[] fo = new float[CHUNK];
            int to = Math.min(n, (b + 1) * BLOCK);
            for (int c = b * BLOCK; c < to; c += CHUNK) {
                int len = Math.min(CHUNK, to - c);
                if (!scalarX) {
                    widen(x, c, fx, 0, len, bf16);
                }
                if (!scalarY) {
                    widen(y, c, fy, 0, len, bf16);
                }
                ElementwiseKernels.run(op, fx, scalarX, fy, scalarY, fo, 0, len);
                narrow(fo, 0, o, c, len, bf16);
            }
        });
    }

    private static void widen(short[] s, int sOff, float[] out, int oOff, int n, boolean bf16) {
        if (Simd.ENABLED) {
            if (bf16) {
                VectorHalfKernels.widenBf16(s, sOff, out, oOff, n);
            } else {
                VectorHalfKernels.widenF16(s, sOff, out, oOff, n);
            }
        } else if (bf16) {
            for (int i = 0; i < n; i++) {
                out[oOff + i] = Half.fromBFloat16(s[sOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[oOff + i] = Half.fromFloat16(s[sOff + i]);
            }
        }
    }

    private static void narrow(float[] v, int vOff, short[] s, int sOff, int n, boolean bf16) {
        if (Simd.ENABLED) {
            if (bf16) {
                VectorHalfKernels.narrowBf16(v, vOff, s, sOff, n);
            } else {
                VectorHalfKernels.narrowF16(v, vOff, s, sOff, n);
            }
        } else if (bf16) {
            for (int i = 0; i < n; i++) {
                s[sOff + i] = Half.toBFloat16(v[vOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                s[sOff + i] = Half.toFloat16(v[vOff + i]);
            }
        }
    }
}
