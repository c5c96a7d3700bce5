/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.tensor.Half;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Vector API's 16-bit conversions ({@link VectorHalfKernels}) against {@link Half}'s scalar
 * ones, raw bits equal (NaN payloads included): every one of the 65,536 float16 and bfloat16
 * patterns widened, in order and shuffled so that steps mix normal numbers with the rest; every
 * 61st float32 bit pattern narrowed ({@code -Dhalf.stride=1}: every float), in order so that most
 * steps lie in the normal range, and with a tail shorter than a step.
 */
class VectorHalfKernelsTest {

    @Test
    void widenedPatternsHaveTheScalarBits() {
        Assumptions.assumeTrue(Simd.ENABLED, "no Vector API");
        short[] s = new short[65536 + 5];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) (i < 65536 ? i : i * 7919);
        }
        for (short[] order : new short[][] {s, shuffled(s)}) {
            float[] f16 = new float[order.length];
            float[] bf16 = new float[order.length];
            VectorHalfKernels.widenF16(order, 0, f16, 0, order.length);
            VectorHalfKernels.widenBf16(order, 0, bf16, 0, order.length);
            for (int i = 0; i < order.length; i++) {
                assertEquals(Float.floatToRawIntBits(Half.fromFloat16(order[i])), Float.floatToRawIntBits(f16[i]),
                        "float16 " + Integer.toHexString(order[i] & 0xffff));
                assertEquals(Float.floatToRawIntBits(Half.fromBFloat16(order[i])), Float.floatToRawIntBits(bf16[i]),
                        "bfloat16 " + Integer.toHexString(order[i] & 0xffff));
            }
        }
    }

    @Test
    void narrowedFloatsHaveTheScalarBits() {
        Assumptions.assumeTrue(Simd.ENABLED, "no Vector API");
        int stride = Integer.getInteger("half.stride", 61);
        int chunk = 1 << 20;
        float[] v = new float[chunk];
        short[] f16 = new short[chunk];
        short[] bf16 = new short[chunk];
        long bits = 0;
        while (bits <= 0xffffffffL) {
            int n = 0;
            for (; n < chunk - 3 && bits <= 0xffffffffL; n++, bits += stride) {
                v[n] = Float.intBitsToFloat((int) bits);
            }
            VectorHalfKernels.narrowF16(v, 0, f16, 0, n);
            VectorHalfKernels.narrowBf16(v, 0, bf16, 0, n);
            for (int i = 0; i < n; i++) {
                if (f16[i] != Half.toFloat16(v[i]) || bf16[i] != Half.toBFloat16(v[i])) {
                    assertEquals(Half.toFloat16(v[i]), f16[i], "float16 of " + Integer.toHexString(Float.floatToRawIntBits(v[i])));
                    assertEquals(Half.toBFloat16(v[i]), bf16[i], "bfloat16 of " + Integer.toHexString(Float.floatToRawIntBits(v[i])));
                }
            }
        }
    }

    private static short[] shuffled(short[] s) {
        short[] t = s.clone();
        java.util.Random rnd = new java.util.Random(43);
        for (int i = t.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            short x = t[i];
            t[i] = t[j];
            t[j] = x;
        }
        return t;
    }
}
