/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

/**
 * float32 to float16 ({@link Half#toFloat16}) against the nearest of all 65,536 float16 values
 * (ties to the even one; infinity from 65520 up, the midpoint past the largest), an independent
 * reference built from the float16 values themselves: every 61st bit pattern of the 2^32 floats
 * (both signs, subnormals, NaN payloads) and the patterns around every float16 boundary. Inverse
 * case: rounding ties away from zero is caught. {@code -Dhalf.stride=1} checks every float.
 */
class HalfTest {

    /** The finite non-negative float16 values in increasing order (index = bits). */
    private static final float[] VALUES = new float[0x7c00];

    static {
        for (int h = 0; h < VALUES.length; h++) {
            int e = h >>> 10;
            int m = h & 0x3ff;
            VALUES[h] = e == 0 ? m * 0x1p-24f : (float) ((1024 + m) * Math.pow(2, e - 25));
        }
    }

    @Test
    void everyCheckedFloatRoundsToTheNearestFloat16() {
        int stride = Integer.getInteger("half.stride", 61);
        long differ = 0;
        for (long b = 0; b <= 0xffffffffL; b += stride) {
            differ += check((int) b, false) ? 0 : 1;
        }
        // around every float16 value's float: the value, its midpoints' neighbours
        for (int h = 0; h < VALUES.length; h++) {
            int fb = Float.floatToRawIntBits(VALUES[h]);
            for (int d = -0x1001; d <= 0x1001; d += 0x1000) {
                differ += check(fb + d, false) ? 0 : 1;
                differ += check((fb + d) | 0x80000000, false) ? 0 : 1;
            }
        }
        assertEquals(0, differ);
    }

    @Test
    void tiesRoundedAwayFromZeroAreCaught() {
        long differ = 0;
        for (int h = 1; h < 0x7bff; h++) {
            int mid = Float.floatToRawIntBits(VALUES[h]) + 0x1000;
            differ += check(mid, true) ? 0 : 1;
        }
        assertNotEquals(0, differ);
    }

    /** Whether toFloat16 agrees with the reference (or, with away, the reference rounding ties away). */
    private static boolean check(int bits, boolean away) {
        float f = Float.intBitsToFloat(bits);
        short got = Half.toFloat16(f);
        int sign = (bits >>> 16) & 0x8000;
        int want;
        if (Float.isNaN(f)) {
            // NaN stays NaN, its sign and its payload's top bits kept, quiet
            return (got & 0x7c00) == 0x7c00 && (got & 0x3ff) != 0 && (got & 0x8000) == sign;
        } else {
            want = sign | nearest(Math.abs(f), away);
        }
        return (got & 0xffff) == want;
    }

    private static int nearest(float a, boolean away) {
        if (a >= 65520f) {
            return 0x7c00;
        }
        int i = Arrays.binarySearch(VALUES, a);
        if (i >= 0) {
            return i;
        }
        int hi = -i - 1;
        int lo = hi - 1;
        if (hi == VALUES.length) {
            // above 65504 and below the midpoint to the next power of two
            return lo;
        }
        double dl = (double) a - VALUES[lo];
        double dh = (double) VALUES[hi] - a;
        if (dl != dh) {
            return dl < dh ? lo : hi;
        }
        return away || (lo & 1) != 0 ? hi : lo;
    }
}
