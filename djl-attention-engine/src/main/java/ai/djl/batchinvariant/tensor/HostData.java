/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import ai.djl.ndarray.types.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host storage of one array: a Java primitive array whose element type follows the DJL data type
 * (float[] for float32, short[] for float16 and bfloat16 bits, int[], long[], double[], byte[] for
 * int8, uint8 and boolean). All arithmetic of the CPU backend reads through {@link #getFloat} or
 * {@link #toFloats} and writes through {@link #fromFloats}, so that half-precision rounding happens
 * in exactly one place.
 */
public final class HostData {

    private HostData() {}

    /**
     * Tells whether the engine can hold this data type.
     *
     * @param type the data type
     * @return true for float32/64, float16, bfloat16, int32, int64, int8, uint8, boolean
     */
    public static boolean isSupported(DataType type) {
        switch (type) {
            case FLOAT32:
            case FLOAT64:
            case FLOAT16:
            case BFLOAT16:
            case INT32:
            case INT64:
            case INT8:
            case UINT8:
            case BOOLEAN:
                return true;
            default:
                return false;
        }
    }

    /**
     * Allocates zeroed storage for {@code n} elements.
     *
     * @param type the data type
     * @param n the element count
     * @return the primitive array
     */
    public static Object allocate(DataType type, int n) {
        switch (type) {
            case FLOAT32:
                return new float[n];
            case FLOAT64:
                return new double[n];
            case FLOAT16:
            case BFLOAT16:
                return new short[n];
            case INT32:
                return new int[n];
            case INT64:
                return new long[n];
            case INT8:
            case UINT8:
            case BOOLEAN:
                return new byte[n];
            default:
                throw new IllegalArgumentException(
                        "dataType " + type + " is not supported; supported: float32, float64,"
                                + " float16, bfloat16, int32, int64, int8, uint8, boolean");
        }
    }

    /**
     * Reads element {@code i} as a float.
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @return the value
     */
    public static float getFloat(Object data, DataType type, int i) {
        switch (type) {
            case FLOAT32:
                return ((float[]) data)[i];
            case FLOAT64:
                return (float) ((double[]) data)[i];
            case FLOAT16:
                return Half.fromFloat16(((short[]) data)[i]);
            case BFLOAT16:
                return Half.fromBFloat16(((short[]) data)[i]);
            case INT32:
                return ((int[]) data)[i];
            case INT64:
                return ((long[]) data)[i];
            case UINT8:
                return ((byte[]) data)[i] & 0xff;
            default:
                return ((byte[]) data)[i];
        }
    }

    /**
     * Reads element {@code i} as a double (exact for every supported type).
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @return the value
     */
    public static double getDouble(Object data, DataType type, int i) {
        if (type == DataType.FLOAT64) {
            return ((double[]) data)[i];
        }
        if (type == DataType.INT64) {
            return ((long[]) data)[i];
        }
        return getFloat(data, type, i);
    }

    /**
     * Reads element {@code i} as a long (floats truncate toward zero).
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @return the value
     */
    public static long getLong(Object data, DataType type, int i) {
        switch (type) {
            case INT64:
                return ((long[]) data)[i];
            case INT32:
                return ((int[]) data)[i];
            case INT8:
            case BOOLEAN:
                return ((byte[]) data)[i];
            case UINT8:
                return ((byte[]) data)[i] & 0xff;
            case FLOAT64:
                return (long) ((double[]) data)[i];
            default:
                return (long) getFloat(data, type, i);
        }
    }

    /**
     * Writes element {@code i} from a double, rounding to the storage type.
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @param v the value
     */
    public static void setDouble(Object data, DataType type, int i, double v) {
        switch (type) {
            case FLOAT64:
                ((double[]) data)[i] = v;
                break;
            case INT64:
                ((long[]) data)[i] = (long) v;
                break;
            case INT32:
                ((int[]) data)[i] = (int) v;
                break;
            case INT8:
            case UINT8:
                ((byte[]) data)[i] = (byte) (long) v;
                break;
            case BOOLEAN:
                ((byte[]) data)[i] = (byte) (v != 0 ? 1 : 0);
                break;
            default:
                setFloat(data, type, i, (float) v);
        }
    }

    /**
     * Writes element {@code i} from a long.
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @param v the value
     */
    public static void setLong(Object data, DataType type, int i, long v) {
        switch (type) {
            case INT64:
                ((long[]) data)[i] = v;
                break;
            case INT32:
                ((int[]) data)[i] = (int) v;
                break;
            case INT8:
            case UINT8:
                ((byte[]) data)[i] = (byte) v;
                break;
            case BOOLEAN:
                ((byte[]) data)[i] = (byte) (v != 0 ? 1 : 0);
                break;
            default:
                setDouble(data, type, i, v);
        }
    }

    /**
     * Writes element {@code i} from a float, rounding to the storage type.
     *
     * @param data the storage
     * @param type its data type
     * @param i the element index
     * @param v the value
     */
    public static void setFloat(Object data, DataType type, int i, float v) {
        switch (type) {
            case FLOAT32:
                ((float[]) data)[i] = v;
                break;
            case FLOAT16:
                ((short[]) data)[i] = Half.toFloat16(v);
                break;
            case BFLOAT16:
                ((short[]) data)[i] = Half.toBFloat16(v);
                break;
            default:
                setDouble(data, type, i, v);
        }
    }

    /**
     * Rounds a float32 value to a 16-bit float type and reads it back, as a store and a later
     * load would (round to nearest even); other types return it unchanged.
     *
     * @param type the storage type
     * @param v the value
     * @return the value as that type holds it
     */
    public static float round(DataType type, float v) {
        switch (type) {
            case FLOAT16:
                return Half.fromFloat16(Half.toFloat16(v));
            case BFLOAT16:
                return Half.fromBFloat16(Half.toBFloat16(v));
            default:
                return v;
        }
    }

    /**
     * Returns the values as float32. For float32 storage this is the storage itself (callers must
     * not write to it); every other type is converted into a new array.
     *
     * @param data the storage
     * @param type its data type
     * @param n the element count
     * @return the values
     */
    public static float[] toFloats(Object data, DataType type, int n) {
        if (type == DataType.FLOAT32) {
            return (float[]) data;
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = getFloat(data, type, i);
        }
        return out;
    }

    /**
     * Builds storage of {@code type} from float32 values (round to nearest even for 16-bit floats).
     *
     * @param values the values (kept as the storage itself when type is float32)
     * @param type the target data type
     * @return the storage
     */
    public static Object fromFloats(float[] values, DataType type) {
        return type == DataType.FLOAT32 ? values : fromFloats(values, type, allocate(type, values.length));
    }

    /**
     * Writes float32 values into storage of {@code type} (round to nearest even for 16-bit floats).
     *
     * @param values the values
     * @param type the storage's data type
     * @param out the storage, at least {@code values.length} elements
     * @return {@code out}
     */
    public static Object fromFloats(float[] values, DataType type, Object out) {
        for (int i = 0; i < values.length; i++) {
            setFloat(out, type, i, values[i]);
        }
        return out;
    }

    /**
     * Copies the storage into a new little-endian direct buffer, positioned at 0.
     *
     * @param data the storage
     * @param type its data type
     * @param n the element count
     * @return the bytes
     */
    public static ByteBuffer toByteBuffer(Object data, DataType type, int n) {
        ByteBuffer bb =
                ByteBuffer.allocateDirect(n * type.getNumOfBytes()).order(ByteOrder.nativeOrder());
        switch (type) {
            case FLOAT32:
                bb.asFloatBuffer().put((float[]) data, 0, n);
                break;
            case FLOAT64:
                bb.asDoubleBuffer().put((double[]) data, 0, n);
                break;
            case FLOAT16:
            case BFLOAT16:
                bb.asShortBuffer().put((short[]) data, 0, n);
                break;
            case INT32:
                bb.asIntBuffer().put((int[]) data, 0, n);
                break;
            case INT64:
                bb.asLongBuffer().put((long[]) data, 0, n);
                break;
            default:
                bb.put((byte[]) data, 0, n);
                bb.rewind();
        }
        return bb;
    }

    /**
     * Fills storage from a byte buffer read at its position in its own byte order.
     *
     * @param bb the bytes (its position is left unchanged)
     * @param type the data type
     * @param n the element count
     * @return the storage
     */
    public static Object fromByteBuffer(ByteBuffer bb, DataType type, int n) {
        ByteBuffer src = bb.duplicate().order(bb.order());
        Object out = allocate(type, n);
        switch (type) {
            case FLOAT32:
                src.asFloatBuffer().get((float[]) out);
                break;
            case FLOAT64:
                src.asDoubleBuffer().get((double[]) out);
                break;
            case FLOAT16:
            case BFLOAT16:
                src.asShortBuffer().get((short[]) out);
                break;
            case INT32:
                src.asIntBuffer().get((int[]) out);
                break;
            case INT64:
                src.asLongBuffer().get((long[]) out);
                break;
            default:
                src.get((byte[]) out);
        }
        return out;
    }

    /**
     * Tells whether the data type is a floating-point type.
     *
     * @param type the data type
     * @return true for float16/bfloat16/float32/float64
     */
    public static boolean isFloating(DataType type) {
        return type == DataType.FLOAT32
                || type == DataType.FLOAT64
                || type == DataType.FLOAT16
                || type == DataType.BFLOAT16;
    }
}
