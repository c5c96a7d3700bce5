/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Transcendental functions in plain float arithmetic. Java's float arithmetic is exactly
 * specified, so these give the same bits in the interpreter, in every JIT tier and on every
 * machine, which {@link Math}'s intrinsics do not promise; and they are several times faster than
 * {@link StrictMath}.
 */
public final class FastMath {

    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2^23: a float in [-2^22, 2^22] added to it is rounded to an integer. */
    static final float ROUND = 12582912f;
    /** Cephes' expf coefficients, highest degree first. */
    static final float EXP_C0 = 1.9875691500e-4f;
    static final float EXP_C1 = 1.3981999507e-3f;
    static final float EXP_C2 = 8.3334519073e-3f;
    static final float EXP_C3 = 4.1665795894e-2f;
    static final float EXP_C4 = 1.6666665459e-1f;
    static final float EXP_C5 = 5.0000001201e-1f;

    /**
     * Cephes' logf polynomial for log(1 + f), f in [sqrt(1/2) - 1, sqrt(2) - 1], highest degree
     * first (a step p · f + c, the same bits as p · f - |c| for the negative ones).
     */
    static final float[] LOG_POLY = {
        7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
        -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f
    };

    private FastMath() {}

    /**
     * e^x with a relative error below 2 ulp over the float range; exactly 0 for x = -infinity and
     * for x below about -103.
     *
     * <p>The formula (the normal range of {@link VectorElementwiseKernels#exp} runs it lane by lane): k = x ·
     * log2(e) rounded to the nearest integer by one fused multiply-add onto 1.5 · 2^23 (whose low
     * bits then hold k), r = x - k · ln 2 in two fused steps (ln 2 split in a short and a long
     * part), Cephes' degree-5 polynomial for e^r on [-ln 2 / 2, ln 2 / 2] in fused Horner steps,
     * times 2^k. Fused multiply-adds are exact roundings of the exact sums, so {@link Math#fma}
     * and the vector lanes give the same bits; they halve the operations of the separate
     * multiply-and-add form, which bounded softmax on the CPU.
     *
     * @param x the exponent
     * @return e^x
     */
    public static float exp(float x) {
        if (x != x) {
            return x;
        }
        if (x > 88.72283f) {
            return Float.POSITIVE_INFINITY;
        }
        if (x < -103.97208f) {
            return 0f;
        }
        float t = Math.fma(x, LOG2E, ROUND);
        float k = t - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float y = expPoly(r);
        int ki = (int) k;
        if (ki < -126) {
            // two steps keep the subnormal result rounded once
            return y * Float.intBitsToFloat((ki + 126 + 127) << 23) * 0x1p-126f;
        }
        if (ki > 127) {
            return y * 2f * Float.intBitsToFloat((ki - 1 + 127) << 23);
        }
        return y * Float.intBitsToFloat((ki + 127) << 23);
    }

    /**
     * e^r for |r| up to ln 2 / 2: Cephes' expf polynomial in fused Horner steps, {@code p · r² + r
     * + 1}.
     *
     * @param r the reduced argument
     * @return e^r
     */
    static float expPoly(float r) {
        float p = Math.fma(r, EXP_C0, EXP_C1);
        p = Math.fma(p, r, EXP_C2);
        p = Math.fma(p, r, EXP_C3);
        p = Math.fma(p, r, EXP_C4);
        p = Math.fma(p, r, EXP_C5);
        return Math.fma(p, r * r, r) + 1f;
    }

    /**
     * Natural logarithm with a relative error below 2 ulp.
     *
     * @param x the argument
     * @return ln(x); -infinity for 0, NaN for negative x
     */
    public static float log(float x) {
        if (x != x || x < 0f) {
            return Float.NaN;
        }
        if (x == 0f) {
            return Float.NEGATIVE_INFINITY;
        }
        if (x == Float.POSITIVE_INFINITY) {
            return x;
        }
        int bits = Float.floatToRawIntBits(x);
        int e = 0;
        if (bits < 0x00800000) { // subnormal
            x *= 0x1p25f;
            bits = Float.floatToRawIntBits(x);
            e = -25;
        }
        e += ((bits >>> 23) & 0xff) - 127;
        float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f800000);
        if (m > 1.41421356f) {
            m *= 0.5f;
            e++;
        }
        float f = m - 1f;
        float z = f * f;
        float p = LOG_POLY[0];
        for (int j = 1; j < LOG_POLY.length; j++) {
            p = p * f + LOG_POLY[j];
        }
        float y = p * f * z;
        float fe = e;
        y += fe * LN2_LO;
        y -= 0.5f * z;
        return f + y + fe * LN2_HI;
    }

    /**
     * Hyperbolic tangent, from {@link #exp}.
     *
     * @param x the argument
     * @return tanh(x)
     */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a > 9f) {
            return Math.copySign(1f, x);
        }
        if (a < 0.0625f) {
            float z = x * x;
            return x + x * z * (-0.333333333f + z * (0.133333333f + z * -0.053968254f));
        }
        float e = exp(2f * a);
        float t = 1f - 2f / (e + 1f);
        return Math.copySign(t, x);
    }

    /**
     * Logistic sigmoid 1 / (1 + e^-x).
     *
     * @param x the argument
     * @return sigmoid(x)
     */
    public static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }
}
