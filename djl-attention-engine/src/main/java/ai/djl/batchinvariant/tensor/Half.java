/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.tensor;

/**
 * Conversions between float32 and the two 16-bit float formats, rounding to nearest even, so that
 * the CPU backend stores half-precision data with the same bits a GPU would.
 */
public final class Half {

    private Half() {}

    /**
     * Rounds a float32 to IEEE-754 binary16 bits.
     *
     * @param f the value
     * @return the binary16 bits
     */
    public static short toFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x38800000 && abs < 0x47800000) {
            // a normal float16 before rounding (exponent 1 to 30): the exponent rebiased in place,
            // round to nearest even by one addition whose carry may reach the exponent (to
            // infinity past 65504). The same bits as the branches below, without the rounding
            // branch that mispredicts on about every other element of random data.
            int h = abs - 0x38000000;
            return (short) (sign | (h + 0xfff + ((h >>> 13) & 1)) >>> 13);
        }
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++; // a carry into the exponent is the correct rounding, up to infinity
        }
        return (short) (sign | half);
    }

    /**
     * Widens IEEE-754 binary16 bits to float32 (exact).
     *
     * @param h the binary16 bits
     * @return the value
     */
    public static float fromFloat16(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * Rounds a float32 to bfloat16 bits (the upper half of a float32), NaN preserved.
     *
     * @param f the value
     * @return the bfloat16 bits
     */
    public static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Widens bfloat16 bits to float32 (exact).
     *
     * @param b the bfloat16 bits
     * @return the value
     */
    public static float fromBFloat16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
