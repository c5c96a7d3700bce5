/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Locale;
import java.util.Random;

/**
 * How many float32 gelu and erf results of {@link ErfFunctions} differ from {@link Float64Math}'s
 * rounded once, over many more arguments than {@code ErfFunctionsTest} takes: every 97th bit
 * pattern of [-16, 16] (both signs) and 30 million draws uniform in [-15, 15]. Not a test (half a
 * minute): run by hand on the test classpath, {@code ErfAgreement}.
 */
public final class ErfAgreement {

    private ErfAgreement() {}

    /**
     * Entry point.
     *
     * @param args none
     */
    public static void main(String[] args) {
        long[] differ = new long[2];
        long n = 0;
        for (int bits = 0; bits < 0x41800000; bits += 97) {
            for (int sign = 0; sign < 2; sign++) {
                compare(Float.intBitsToFloat(bits | (sign << 31)), differ);
                n++;
            }
        }
        Random rnd = new Random(7);
        for (int i = 0; i < 30_000_000; i++) {
            compare((float) (rnd.nextDouble() * 30 - 15), differ);
            n++;
        }
        System.out.printf(Locale.ROOT, "%d arguments: gelu results differing in bits %d, erf %d%n", n, differ[0],
                differ[1]);
    }

    private static void compare(float x, long[] differ) {
        if (Float.floatToRawIntBits((float) Float64Math.gelu(x)) != Float.floatToRawIntBits(ErfFunctions.gelu(x))) {
            differ[0]++;
        }
        if (Float.floatToRawIntBits((float) Float64Math.erf(x)) != Float.floatToRawIntBits(ErfFunctions.erf(x))) {
            differ[1]++;
        }
    }
}
