/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

/** Bitwise comparison of float outputs by their raw IEEE bits. */
final class Bits {

    private Bits() {}

    /** Number of elements whose raw bits differ (arrays of different length count fully). */
    static long diff(float[] a, float[] b) {
        if (a == null || b == null) {
            return a == b ? 0 : Long.MAX_VALUE;
        }
        if (a.length != b.length) {
            return Math.max(a.length, b.length);
        }
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                n++;
            }
        }
        return n;
    }

    /** Differing elements over every (request, position) row present in both results. */
    static long diff(Workload.Result a, Workload.Result b, int request, int from, int to) {
        long n = 0;
        for (int p = from; p < to; p++) {
            if (a.o[request][p] == null || b.o[request][p] == null) {
                throw new AssertionError("row " + request + "/" + p + " was not computed");
            }
            n += diff(a.o[request][p], b.o[request][p]);
            n += diff(a.lse[request][p], b.lse[request][p]);
        }
        return n;
    }
}
