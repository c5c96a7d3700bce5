/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

/**
 * Input bytes of the differential cases. Both engines get arrays created from the same bytes
 * ({@code NDManager.create(ByteBuffer, Shape, DataType)}), so any difference in a result comes
 * from the operation, never from how the inputs were made.
 */
final class DiffData {

    /** Every data type the engine accepts, in the order cases are generated. */
    static final List<DataType> ALL = List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16,
            DataType.BFLOAT16, DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOLEAN);
    static final List<DataType> FLOATS = List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16);
    static final List<DataType> INTS = List.of(DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8);

    /** How an operand's values are drawn. */
    enum Fill {
        /** Seeded random values of moderate size (see {@link #bytes}). */
        RANDOM,
        /** Signed zeros, infinities, NaN and a few ordinary values (floating types only). */
        SPECIAL,
        /** Values in [0, 3): valid indices along an axis of length 3 or more. */
        INDEX
    }

    /**
     * Floating-point values of {@link Fill#SPECIAL}, in order: signed zeros, infinities, NaN, an
     * overflow for exp, and the Numbers the cases subtract from (2 and 1.5, so reverse subtraction
     * meets zero).
     */
    static final double[] SPECIAL = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
            1.0, -2.5, 100.0, 2.0, 1.5};

    private DiffData() {}

    /** One operand of a case: its type, shape and fill. */
    static final class Operand {
        final DataType type;
        final Shape shape;
        final Fill fill;

        Operand(DataType type, Shape shape, Fill fill) {
            this.type = type;
            this.shape = shape;
            this.fill = fill;
        }

        NDArray create(NDManager m, long seed) {
            return create(m, seed, null);
        }

        /** Creates the operand; a bfloat16 operand becomes {@code bf16StandIn} with the same values if given. */
        NDArray create(NDManager m, long seed, DataType bf16StandIn) {
            ByteBuffer bb = bytes(type, shape, fill, seed);
            if (type != DataType.BFLOAT16 || bf16StandIn == null) {
                return m.create(bb, shape, type);
            }
            int n = Math.toIntExact(shape.size());
            ByteBuffer out = ByteBuffer.allocateDirect(Math.max(1, n * bf16StandIn.getNumOfBytes()))
                    .order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                float v = Float.intBitsToFloat((bb.getShort(i * 2) & 0xffff) << 16);
                putDouble(out, bf16StandIn, v);
            }
            out.rewind();
            out.limit(n * bf16StandIn.getNumOfBytes());
            return m.create(out, shape, bf16StandIn);
        }
    }

    /**
     * The bytes of one operand, in native order. Random values: float32/float64 Gaussian × 2 (full
     * mantissa); float16 and bfloat16 random bit patterns with magnitudes in [0.25, 8); int32/int64
     * in [-20, 20]; int8 in [-12, 12] (products overflow, like PyTorch's wrapping); uint8 in [0, 24];
     * boolean fair coin.
     */
    static ByteBuffer bytes(DataType type, Shape shape, Fill fill, long seed) {
        int n = Math.toIntExact(shape.size());
        ByteBuffer bb = ByteBuffer.allocateDirect(Math.max(1, n * type.getNumOfBytes())).order(ByteOrder.nativeOrder());
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            if (fill == Fill.SPECIAL && isFloating(type)) {
                putDouble(bb, type, SPECIAL[i % SPECIAL.length]);
                continue;
            }
            if (fill == Fill.INDEX) {
                putLong(bb, type, r.nextInt(3));
                continue;
            }
            switch (type) {
                case FLOAT32: bb.putFloat((float) (r.nextGaussian() * 2)); break;
                case FLOAT64: bb.putDouble(r.nextGaussian() * 2); break;
                case FLOAT16: bb.putShort((short) ((r.nextBoolean() ? 0x8000 : 0) | ((13 + r.nextInt(5)) << 10) | r.nextInt(1 << 10))); break;
                case BFLOAT16: bb.putShort((short) ((r.nextBoolean() ? 0x8000 : 0) | ((125 + r.nextInt(5)) << 7) | r.nextInt(1 << 7))); break;
                case INT32: bb.putInt(r.nextInt(41) - 20); break;
                case INT64: bb.putLong(r.nextInt(41) - 20); break;
                case INT8: bb.put((byte) (r.nextInt(25) - 12)); break;
                case UINT8: bb.put((byte) r.nextInt(25)); break;
                case BOOLEAN: bb.put((byte) (r.nextBoolean() ? 1 : 0)); break;
                default: throw new IllegalArgumentException("no input data for " + type);
            }
        }
        bb.rewind();
        bb.limit(n * type.getNumOfBytes());
        return bb;
    }

    private static void putLong(ByteBuffer bb, DataType type, long v) {
        switch (type) {
            case INT32: bb.putInt((int) v); break;
            case INT64: bb.putLong(v); break;
            case INT8:
            case UINT8:
            case BOOLEAN: bb.put((byte) (type == DataType.BOOLEAN ? (v != 0 ? 1 : 0) : v)); break;
            default: putDouble(bb, type, v);
        }
    }

    private static void putDouble(ByteBuffer bb, DataType type, double v) {
        switch (type) {
            case FLOAT32: bb.putFloat((float) v); break;
            case FLOAT64: bb.putDouble(v); break;
            case FLOAT16: bb.putShort(floatToHalf((float) v)); break;
            case BFLOAT16: bb.putShort(floatToBfloat16((float) v)); break;
            default: putLong(bb, type, (long) v);
        }
    }

    static boolean isFloating(DataType t) {
        return t == DataType.FLOAT32 || t == DataType.FLOAT64 || t == DataType.FLOAT16 || t == DataType.BFLOAT16;
    }

    /**
     * IEEE binary16 bits of a float, rounded to nearest even (subnormal results flush to zero:
     * they never occur in the generated data).
     */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        if (Float.isNaN(f)) {
            return (short) 0x7e00;
        }
        if (Float.isInfinite(f) || Math.abs(f) >= 65520f) {
            return (short) (sign | 0x7c00);
        }
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        if (f == 0f || exp <= 0) {
            return (short) sign;
        }
        int mant = bits & 0x7fffff;
        int h = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** bfloat16 bits of a float, rounded to nearest even. */
    static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    /** Float value of IEEE binary16 bits. */
    static float halfToFloat(short h) {
        int s = (h >>> 15) & 1;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        float v;
        if (e == 0) {
            v = m * 0x1p-24f;
        } else if (e == 31) {
            v = m == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            v = Float.intBitsToFloat(((e - 15 + 127) << 23) | (m << 13));
        }
        return s == 1 ? -v : v;
    }

    /** Element {@code i} of native-order bytes as a double (booleans and integers exactly). */
    static double element(ByteBuffer bb, DataType type, int i) {
        switch (type) {
            case FLOAT32: return bb.getFloat(i * 4);
            case FLOAT64: return bb.getDouble(i * 8);
            case FLOAT16: return halfToFloat(bb.getShort(i * 2));
            case BFLOAT16: return Float.intBitsToFloat((bb.getShort(i * 2) & 0xffff) << 16);
            case INT32: return bb.getInt(i * 4);
            case INT64: return bb.getLong(i * 8);
            case INT8: return bb.get(i);
            case UINT8: return bb.get(i) & 0xff;
            case BOOLEAN: return bb.get(i) != 0 ? 1 : 0;
            default: throw new IllegalArgumentException("cannot read " + type);
        }
    }

    /** Short name of a data type in case names. */
    static String name(DataType t) {
        return t.toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** Compact shape text: {@code ()}, {@code (0,3)}. */
    static String name(Shape s) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.dimension(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(s.get(i));
        }
        return b.append(')').toString();
    }
}
