/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Merging of attention states (o, lse): the one routine used both inside batch attention and by
 * the public {@code MergeStates}, so a merge gives the same bits wherever it happens.
 */
public final class StateMerge {

    private StateMerge() {}

    /**
     * Folds {@code n} states left to right into one. A state with lse = -infinity saw no key and is
     * skipped, so it changes no bit of the result.
     *
     * @param o the state outputs
     * @param lse the state log-sum-exps
     * @param first index of the first state
     * @param stride distance between consecutive states (in states)
     * @param n number of states
     * @param d head dimension
     * @param out where the merged output goes
     * @param outOff its offset
     * @return the merged lse
     */
    public static float fold(float[] o, float[] lse, int first, int stride, int n, int d, float[] out, int outOff) {
        float s = Float.NEGATIVE_INFINITY;
        boolean any = false;
        for (int k = 0; k < n; k++) {
            int st = first + k * stride;
            float sb = lse[st];
            if (sb == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (!any) {
                System.arraycopy(o, st * d, out, outOff, d);
                s = sb;
                any = true;
                continue;
            }
            s = mergeInto(out, outOff, s, o, st * d, sb, d);
        }
        if (!any) {
            for (int x = 0; x < d; x++) {
                out[outOff + x] = 0f;
            }
        }
        return s;
    }

    /**
     * Merges state b into state a in place: with m = max(sa, sb), wa = e^(sa-m), wb = e^(sb-m),
     * o = (o_a wa + o_b wb) / (wa + wb) and lse = m + ln(wa + wb).
     *
     * @param a state a's output (updated)
     * @param aOff its offset
     * @param sa state a's lse
     * @param b state b's output
     * @param bOff its offset
     * @param sb state b's lse
     * @param d head dimension
     * @return the merged lse
     */
    public static float mergeInto(float[] a, int aOff, float sa, float[] b, int bOff, float sb, int d) {
        if (sb == Float.NEGATIVE_INFINITY) {
            return sa;
        }
        if (sa == Float.NEGATIVE_INFINITY) {
            System.arraycopy(b, bOff, a, aOff, d);
            return sb;
        }
        float m = Math.max(sa, sb);
        float wa = FastMath.exp(sa - m);
        float wb = FastMath.exp(sb - m);
        float inv = 1f / (wa + wb);
        for (int x = 0; x < d; x++) {
            a[aOff + x] = (a[aOff + x] * wa + b[bOff + x] * wb) * inv;
        }
        return m + FastMath.log(wa + wb);
    }
}
