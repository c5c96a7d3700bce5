/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Exact values through create, toByteBuffer, create-from-buffer and toType for every data type
 * the engine stores: the raw bytes of each type (IEEE half and bfloat16 bit patterns, two's
 * complement integers, 0/1 booleans), extremes (Integer.MIN_VALUE, 2^53 + 1, -0.0, subnormals)
 * and the conversions between them (float to int truncates toward zero, non-zero is true).
 */
class DataTypeValuesTest extends EngineTestBase {

    /** Bytes out, then back in as a new array of the same type and shape. */
    private NDArray roundTrip(NDArray a) {
        ByteBuffer bb = a.toByteBuffer();
        assertEquals(a.getShape().size() * a.getDataType().getNumOfBytes(), bb.remaining(), a.getDataType() + " bytes");
        NDArray b = manager.create(bb, a.getShape(), a.getDataType());
        assertEquals(a.getDataType(), b.getDataType());
        assertEquals(a.getShape(), b.getShape());
        return b;
    }

    private static short[] shorts(NDArray a) {
        ByteBuffer bb = a.toByteBuffer();
        short[] s = new short[bb.remaining() / 2];
        bb.asShortBuffer().get(s);
        return s;
    }

    @Test
    void float32AndFloat64KeepEveryBit() {
        float[] f = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 0.1f};
        float[] back = roundTrip(manager.create(f)).toFloatArray();
        for (int i = 0; i < f.length; i++) {
            assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(back[i]), "float32 element " + i);
        }
        double[] d = {-0.0, 1e300, Double.MIN_VALUE, 0.1, (double) (1L << 53) + 2};
        double[] dback = roundTrip(manager.create(d)).toDoubleArray();
        for (int i = 0; i < d.length; i++) {
            assertEquals(Double.doubleToRawLongBits(d[i]), Double.doubleToRawLongBits(dback[i]), "float64 element " + i);
        }
        assertArrayEquals(new double[] {1.5, 0.10000000149011612}, manager.create(new float[] {1.5f, 0.1f})
                .toType(DataType.FLOAT64, false).toDoubleArray());
    }

    @Test
    void float16BitsAndValues() {
        // 1, -2, 65504 (max), 2^-24 (smallest subnormal), 0.1 rounded, 1 + 2^-11 (a tie, to even)
        float[] f = {1f, -2f, 65504f, 0x1p-24f, 0.1f, 1f + 0x1p-11f, -0f};
        NDArray h = manager.create(f).toType(DataType.FLOAT16, false);
        assertEquals(DataType.FLOAT16, h.getDataType());
        short[] want = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x2e66, 0x3c00, (short) 0x8000};
        assertArrayEquals(want, shorts(h));
        assertArrayEquals(want, shorts(roundTrip(h)));
        float[] back = roundTrip(h).toType(DataType.FLOAT32, false).toFloatArray();
        assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, 0.0999755859375f, 1f, -0f}, back);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back[6]));
    }

    @Test
    void bfloat16BitsAndValues() {
        // 1, -0.5, 3, 0.1 (rounds up), 1 + 2^-8 (tie to even: 1), 1 + 3 * 2^-8 (tie to even: 1 + 2^-6)
        float[] f = {1f, -0.5f, 3f, 0.1f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f};
        NDArray b = manager.create(f).toType(DataType.BFLOAT16, false);
        assertEquals(DataType.BFLOAT16, b.getDataType());
        short[] want = {0x3f80, (short) 0xbf00, 0x4040, 0x3dcd, 0x3f80, 0x3f82};
        assertArrayEquals(want, shorts(b));
        assertArrayEquals(want, shorts(roundTrip(b)));
        assertArrayEquals(new float[] {1f, -0.5f, 3f, 0.10009765625f, 1f, 1f + 0x1p-6f},
                roundTrip(b).toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Test
    void integersKeepExtremesAndConvertExactly() {
        int[] i = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 123456789};
        NDArray ia = manager.create(i);
        assertEquals(DataType.INT32, ia.getDataType());
        assertArrayEquals(i, roundTrip(ia).toIntArray());
        assertArrayEquals(new long[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 123456789},
                ia.toType(DataType.INT64, false).toLongArray());

        long[] l = {Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, -7};
        NDArray la = manager.create(l);
        assertEquals(DataType.INT64, la.getDataType());
        // 2^53 + 1 has no double: an integer round trip must not pass through floating point
        assertArrayEquals(l, roundTrip(la).toLongArray());
        assertArrayEquals(new int[] {-7, 12}, manager.create(new long[] {-7, 12}).toType(DataType.INT32, false)
                .toIntArray());

        byte[] b = {-128, -1, 0, 127};
        NDArray ba = manager.create(b);
        assertEquals(DataType.INT8, ba.getDataType());
        assertArrayEquals(b, roundTrip(ba).toByteArray());
        assertArrayEquals(new int[] {-128, -1, 0, 127}, ba.toType(DataType.INT32, false).toIntArray());

        // uint8 reads the same bytes as 0..255
        ByteBuffer u = ByteBuffer.allocateDirect(3).order(ByteOrder.nativeOrder());
        u.put(new byte[] {(byte) 200, 0, (byte) 255}).rewind();
        NDArray ua = manager.create(u, new Shape(3), DataType.UINT8);
        assertArrayEquals(new int[] {200, 0, 255}, roundTrip(ua).toType(DataType.INT32, false).toIntArray());
        assertArrayEquals(new float[] {200f, 0f, 255f}, ua.toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Test
    void booleansAreZeroOrOne() {
        NDArray t = manager.create(new boolean[] {true, false, true});
        assertEquals(DataType.BOOLEAN, t.getDataType());
        ByteBuffer bb = t.toByteBuffer();
        assertArrayEquals(new byte[] {1, 0, 1}, new byte[] {bb.get(0), bb.get(1), bb.get(2)});
        assertArrayEquals(new boolean[] {true, false, true}, roundTrip(t).toBooleanArray());
        assertArrayEquals(new int[] {1, 0, 1}, t.toType(DataType.INT32, false).toIntArray());
        // any non-zero value is true, from integers and from floats
        assertArrayEquals(new boolean[] {false, true, true}, manager.create(new int[] {0, 5, -3})
                .toType(DataType.BOOLEAN, false).toBooleanArray());
        assertArrayEquals(new boolean[] {true, false, true}, manager.create(new float[] {0.1f, 0f, -2f})
                .toType(DataType.BOOLEAN, false).toBooleanArray());
    }

    /** The conversions of EngineTest's round trip, with the values it leaves unchecked. */
    @Test
    void floatToEveryTypeAndBack() {
        NDArray f = manager.create(new float[] {1.5f, -2.25f, 3f, 0.1f});
        Object[][] cases = {
            {DataType.INT32, new float[] {1, -2, 3, 0}},
            {DataType.INT64, new float[] {1, -2, 3, 0}},
            {DataType.INT8, new float[] {1, -2, 3, 0}},
            {DataType.BOOLEAN, new float[] {1, 1, 1, 1}},
            {DataType.FLOAT16, new float[] {1.5f, -2.25f, 3f, 0.0999755859375f}},
            {DataType.BFLOAT16, new float[] {1.5f, -2.25f, 3f, 0.10009765625f}},
            {DataType.FLOAT32, new float[] {1.5f, -2.25f, 3f, 0.1f}},
        };
        for (Object[] c : cases) {
            DataType t = (DataType) c[0];
            NDArray a = f.toType(t, false);
            assertEquals(t, a.getDataType());
            float[] back = roundTrip(a).toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals((float[]) c[1], back, 0f, t.toString());
        }
    }

    /** DJL's formatter has no bfloat16: the array prints its float32 values under its own header. */
    @Test
    void bfloat16ArraysPrint() {
        NDArray a = manager.create(new float[] {1.5f, -2.25f, 3f}, new Shape(3)).toType(DataType.BFLOAT16, false);
        String s = a.toString();
        assertTrue(s.contains("bfloat16") && !s.contains("float32"), s);
        assertTrue(s.contains("1.5") && s.contains("-2.3") && s.contains("3."), s);
    }
}
