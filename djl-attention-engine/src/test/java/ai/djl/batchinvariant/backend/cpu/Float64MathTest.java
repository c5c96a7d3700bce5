/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The double erf/erfc and integer pow against tabulated values (not against our own output). */
class Float64MathTest {

    /** x, erf(x), erfc(x): tabulated to 16+ significant digits. */
    private static final double[][] TABLE = {
        {0.01, 0.011283415555849618, 0.98871658444415038},
        {0.5, 0.52049987781304654, 0.47950012218695346},
        {1.0, 0.84270079294971487, 0.15729920705028513},
        {2.0, 0.99532226501895273, 0.0046777349810472658},
        {3.0, 0.99997790950300141, 2.2090496998585441e-05},
        {5.0, 0.99999999999846254, 1.5374597944280349e-12},
        {10.0, 1.0, 2.0884875837625448e-45},
    };

    @Test
    void erfAndErfcAreAccurateInRelativeTermsIncludingTheTail() {
        for (double[] r : TABLE) {
            assertEquals(r[1], Float64Math.erf(r[0]), 4e-16 * r[1], "erf(" + r[0] + ")");
            assertEquals(-r[1], Float64Math.erf(-r[0]), 4e-16 * r[1], "erf(-" + r[0] + ")");
            assertEquals(r[2], Float64Math.erfc(r[0]), 1e-14 * r[2], "erfc(" + r[0] + ")");
            assertEquals(2 - r[2], Float64Math.erfc(-r[0]), 4e-16 * 2, "erfc(-" + r[0] + ")");
        }
    }

    @Test
    void geluOfNegativeInputsHasNoCancellation() {
        // gelu(-5) = -5 * Phi(-5), Phi(-5) = 2.8665157187919391e-07 (normal-distribution tables)
        double expected = -5 * 2.8665157187919391e-07;
        double got = Float64Math.gelu(-5.0);
        assertTrue(Math.abs(got - expected) <= 1e-14 * Math.abs(expected), got + " vs " + expected);
        assertTrue(Double.isNaN(Float64Math.gelu(Double.NEGATIVE_INFINITY)));
    }

    @Test
    void integerPowIsExactAndWrapsLikeTheType() {
        assertEquals(0, Elementwise.intPow(3, -1));
        assertEquals(1, Elementwise.intPow(1, -5));
        assertEquals(-1, Elementwise.intPow(-1, -3));
        assertEquals(1_000_000_000_000_000_000L, Elementwise.intPow(10, 18));
        // 3^40 = 12157665459056928801 wraps mod 2^64
        assertEquals(new java.math.BigInteger("12157665459056928801").longValue(), Elementwise.intPow(3, 40));
        // truncated to int8: 3^5 = 243 -> -13
        assertEquals(-13, (byte) Elementwise.intPow(3, 5));
    }
}
