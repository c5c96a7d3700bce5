/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * {@code toType} by a loop per pair ({@link TypedConversions}, through {@link CpuShapeOps#toType})
 * against the per-element accessors' loop it replaces ({@link CpuShapeOps#byAccessors}), bytes
 * equal, for every pair it takes: NaN, infinities, zeros of
 * both signs, values past int32's and int64's range and at their edges, fractions of both signs,
 * integers past 2^24 and 2^53, on arrays of several tasks. Inverse case: float32 to int32 by
 * rounding instead of truncation differs.
 */
class TypedConversionsTest {

    private static final DataType[][] PAIRS = {
        {DataType.FLOAT32, DataType.FLOAT64}, {DataType.FLOAT32, DataType.INT32}, {DataType.FLOAT32, DataType.INT64},
        {DataType.FLOAT32, DataType.BOOLEAN}, {DataType.FLOAT64, DataType.FLOAT32}, {DataType.INT32, DataType.FLOAT32},
        {DataType.INT32, DataType.FLOAT64}, {DataType.INT32, DataType.INT64}, {DataType.INT64, DataType.FLOAT32},
        {DataType.INT64, DataType.FLOAT64}, {DataType.INT64, DataType.INT32}, {DataType.BOOLEAN, DataType.FLOAT32},
    };

    private final Random rnd = new Random(29);

    @Test
    void everyPairMatchesTheAccessorsLoop() {
        int n = 150_001;
        for (DataType[] pair : PAIRS) {
            Object src = data(pair[0], n);
            Object got = TypedConversions.convert(src, pair[0], pair[1], n);
            assertNotNull(got, pair[0] + " to " + pair[1]);
            Object want = CpuShapeOps.byAccessors(src, pair[0], pair[1], n, HostData.allocate(pair[1], n));
            assertArrayEquals(bytes(want, pair[1], n), bytes(got, pair[1], n),
                    pair[0] + " to " + pair[1]);
            Tensor t = Tensor.host(new Shape(n), pair[0], src);
            assertArrayEquals(bytes(got, pair[1], n),
                    bytes(CpuShapeOps.INSTANCE.toType(t, pair[1]).hostData(), pair[1], n), "through toType");
        }
    }

    @Test
    void inverseRoundingInsteadOfTruncationDiffers() {
        int n = 1000;
        float[] x = (float[]) data(DataType.FLOAT32, n);
        int[] got = (int[]) TypedConversions.convert(x, DataType.FLOAT32, DataType.INT32, n);
        int[] rounded = new int[n];
        for (int i = 0; i < n; i++) {
            rounded[i] = Math.round(x[i]);
        }
        assertFalse(Arrays.equals(got, rounded));
    }

    private Object data(DataType type, int n) {
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 0.5, -0.5, 2.5,
            -2.7, 0x1p31, -0x1p31, 0x1p31 - 1, 0x1p24 + 1, 0x1p53 + 1, 0x1p63, -0x1p63, 1e30, -1e30, 3e38, 1e-40};
        long[] specialLong = {Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE,
            (1L << 24) + 1, (1L << 53) + 1, 1L << 40, -(1L << 33) - 7, 0, -1};
        Object a = HostData.allocate(type, n);
        for (int i = 0; i < n; i++) {
            boolean odd = i % 5 == 0;
            switch (type) {
                case FLOAT32:
                    ((float[]) a)[i] = odd ? (float) special[rnd.nextInt(special.length)]
                            : (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(70) - 10));
                    break;
                case FLOAT64:
                    ((double[]) a)[i] = odd ? special[rnd.nextInt(special.length)]
                            : rnd.nextGaussian() * Math.pow(2, rnd.nextInt(300) - 150);
                    break;
                case INT32:
                    ((int[]) a)[i] = odd ? (int) specialLong[rnd.nextInt(specialLong.length)] : rnd.nextInt();
                    break;
                case INT64:
                    ((long[]) a)[i] = odd ? specialLong[rnd.nextInt(specialLong.length)] : rnd.nextLong();
                    break;
                default:
                    ((byte[]) a)[i] = (byte) rnd.nextInt(2);
            }
        }
        return a;
    }

    private static byte[] bytes(Object data, DataType type, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * type.getNumOfBytes());
        for (int i = 0; i < n; i++) {
            switch (type) {
                case FLOAT32:
                    b.putInt(Float.floatToRawIntBits(((float[]) data)[i]));
                    break;
                case FLOAT64:
                    b.putLong(Double.doubleToRawLongBits(((double[]) data)[i]));
                    break;
                case INT32:
                    b.putInt(((int[]) data)[i]);
                    break;
                case INT64:
                    b.putLong(((long[]) data)[i]);
                    break;
                default:
                    b.put(((byte[]) data)[i]);
            }
        }
        return b.array();
    }
}
