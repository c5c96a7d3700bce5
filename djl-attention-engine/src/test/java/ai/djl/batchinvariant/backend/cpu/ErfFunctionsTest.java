/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * float32 erf and gelu by Cody's rational functions ({@link ErfFunctions}) against {@link
 * Float64Math}'s series and continued fraction rounded once, an independent double evaluation:
 * the same bits for every float of magnitude up to 16 at a stride of bit patterns, for values
 * drawn uniformly in [-15, 15] and for the special values (signed zeros, infinities, NaN, the
 * smallest subnormal, arguments whose gelu underflows); the Vector API gelu against the scalar one
 * over the same values and its range's bound. Inverse cases: gelu written as x / 2 · (1 + erf(x /
 * √2)), which cancels for negative x, and the vector gelu without its rounding test are caught by
 * the same comparison.
 */
class ErfFunctionsTest {

    private static final float[] SPECIAL = {
        0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, 1e-30f, -1e-30f, 0.46875f, -0.6629126f, 4f, -5.656854f, 9.194f, -13.5f, -14f, -20f, 30f,
        -30f, Float.MAX_VALUE, -Float.MAX_VALUE
    };

    /** Arguments: a stride through the bit patterns of [-16, 16], uniform draws, the specials. */
    private static float[] arguments() {
        Random rnd = new Random(23);
        int stride = 4099;
        int byStride = 0x41800000 / stride + 1;
        float[] x = new float[2 * byStride + 200_000 + SPECIAL.length];
        int k = 0;
        for (int bits = 0; bits < 0x41800000; bits += stride) {
            x[k++] = Float.intBitsToFloat(bits);
            x[k++] = -Float.intBitsToFloat(bits);
        }
        for (int i = 0; i < 200_000; i++) {
            x[k++] = (float) (rnd.nextDouble() * 30 - 15);
        }
        for (float s : SPECIAL) {
            x[k++] = s;
        }
        return java.util.Arrays.copyOf(x, k);
    }

    @Test
    void geluAndErfHaveTheBitsOfTheSeriesRoundedOnce() {
        float[] x = arguments();
        int geluDiffer = 0;
        int erfDiffer = 0;
        for (float v : x) {
            if (!same((float) Float64Math.gelu(v), ErfFunctions.gelu(v))) {
                geluDiffer++;
            }
            if (!same((float) Float64Math.erf(v), ErfFunctions.erf(v))) {
                erfDiffer++;
            }
        }
        assertEquals(0, geluDiffer, "gelu results differing in bits of " + x.length);
        assertEquals(0, erfDiffer, "erf results differing in bits of " + x.length);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ErfFunctions.erf(-0f)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ErfFunctions.gelu(-30f)));
        assertTrue(Float.isNaN(ErfFunctions.gelu(Float.NEGATIVE_INFINITY)));
    }

    @Test
    void theVectorGeluHasTheScalarBits() {
        Assumptions.assumeTrue(Simd.ENABLED, "no Vector API");
        float[] x = arguments();
        // the vector range's bound (4 after the division by the root of 2) and where the scalar
        // code changes formulas (0.46875)
        float[] bounds = {0.6629126f, Math.nextUp(0.6629126f), Math.nextDown(0.6629126f), 5.656854f,
            Math.nextUp(5.656854f), Math.nextDown(5.656854f)};
        float[] all = java.util.Arrays.copyOf(x, x.length + 2 * bounds.length);
        for (int i = 0; i < bounds.length; i++) {
            all[x.length + 2 * i] = bounds[i];
            all[x.length + 2 * i + 1] = -bounds[i];
        }
        for (boolean infNaN : new boolean[] {false, true}) {
            float[] got = new float[all.length];
            VectorElementwiseKernels.gelu(all, 0, all.length, got, 0, infNaN);
            int differ = 0;
            for (int i = 0; i < all.length; i++) {
                float want = infNaN && all[i] == Float.POSITIVE_INFINITY ? Float.NaN : ErfFunctions.gelu(all[i]);
                if (!same(want, got[i])) {
                    differ++;
                }
            }
            assertEquals(0, differ, "vector gelu results differing from the scalar's, infNaN " + infNaN);
        }
    }

    @Test
    void theVectorGeluWithoutItsRoundingTestIsCaught() {
        Assumptions.assumeTrue(Simd.ENABLED, "no Vector API");
        // subnormals with an odd last bit: x / 2 lies on a rounding boundary, which the exact
        // gelu leaves by a hair the vector polynomials cannot resolve
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(2 * i + 1);
        }
        float[] checked = new float[x.length];
        float[] unchecked = new float[x.length];
        VectorElementwiseKernels.gelu(x, 0, x.length, checked, 0, false);
        VectorElementwiseKernels.gelu(x, 0, x.length, unchecked, 0, false, 0.0);
        int differ = 0;
        int differUnchecked = 0;
        for (int i = 0; i < x.length; i++) {
            differ += same(ErfFunctions.gelu(x[i]), checked[i]) ? 0 : 1;
            differUnchecked += same(ErfFunctions.gelu(x[i]), unchecked[i]) ? 0 : 1;
        }
        assertEquals(0, differ);
        assertTrue(differUnchecked > 0, "the comparison found no difference without the rounding test");
    }

    @Test
    void aCancellingGeluIsCaught() {
        int differ = 0;
        for (float v : arguments()) {
            double d = v;
            float cancelling = (float) (0.5 * d * (1.0 + Float64Math.erf(d * 0.7071067811865476)));
            if (!same(cancelling, ErfFunctions.gelu(v))) {
                differ++;
            }
        }
        assertTrue(differ > 1000, "the comparison found only " + differ + " differences");
    }

    /** Bits equal, or both NaN. */
    private static boolean same(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b) || (Float.isNaN(a) && Float.isNaN(b));
    }
}
