/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Softmax and log-softmax over an axis that is not the last, without moving the axis last: a
 * block of adjacent columns (outputs that sit next to each other in memory) advances down the axis
 * together, and each column takes the operations of {@link CpuMath#softmaxRows} on its own lane of
 * the axis — the maximum as a left-to-right {@link Math#max} chain, exp(x - max) by {@link
 * FastMath#exp} (or its vector form, the same bits), the exps summed in {@link LaneSums}' order
 * (element i into partial sum i mod 32, then the halving tree), then {@code e · (1 / sum)} or
 * {@code x - (max + log(sum))}. The columns of a block are independent lanes, so the vector loops
 * give every column the bits of the lane summed alone, and of the route through two transposes
 * that this replaces (22 ms against PyTorch's 4.9 at 1024 × 4096 over the first axis, measured
 * before this class).
 */
final class ColumnSoftmax {

    /**
     * Columns a block (their 32 partial sums take 16 KiB): 64, 128, 256, 512, 1024 and 2048 all
     * measured within this machine's noise of each other at 1024 × 4096.
     */
    static final int WIDTH = 128;
    /**
     * Fewest columns (elements after the axis) for this class: below it a row of a block is a
     * fraction of a cache line, and the transposed rows serve.
     */
    static final int MIN_INNER = 16;

    private ColumnSoftmax() {}

    /**
     * Softmax (or log-softmax) over the middle axis of {@code x} viewed as [outer, n, inner],
     * into {@code out} (which may be x).
     *
     * @param vector whether exp may use the vector path
     * @param x the input
     * @param out the output (same length)
     * @param outer the product of the dimensions before the axis
     * @param n the axis length
     * @param inner the product of the dimensions after the axis
     * @param log whether to produce log-softmax
     */
    static void softmax(boolean vector, float[] x, float[] out, int outer, int n, int inner, boolean log) {
        int blocks = (inner + WIDTH - 1) / WIDTH;
        Parallel.forEach(outer * blocks, 4L * n * Math.min(WIDTH, inner), task -> {
            int j0 = (task % blocks) * WIDTH;
            int base = (task / blocks) * n * inner + j0;
            block(vector, x, out, base, n, inner, Math.min(WIDTH, inner - j0), log);
        });
    }

    /** One block of w columns starting at {@code base}, rows {@code inner} apart. */
    private static void block(boolean vector, float[] x, float[] out, int base, int n, int inner, int w,
            boolean log) {
        float[] m = new float[w];
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        for (int i = 0, off = base; i < n; i++, off += inner) {
            if (vector) {
                VectorRowKernels.maxLanes(x, off, m, w);
            } else {
                for (int k = 0; k < w; k++) {
                    m[k] = Math.max(m[k], x[off + k]);
                }
            }
        }
        for (int k = 0; vector && k < w; k++) {
            if (m[k] != m[k]) {
                // a NaN column's maximum is redone in order (its payload)
                m[k] = Float.NEGATIVE_INFINITY;
                for (int i = 0, off = base; i < n; i++, off += inner) {
                    m[k] = Math.max(m[k], x[off + k]);
                }
            }
        }
        float[] s = new float[LaneSums.LANES * w];
        // log-softmax needs the exps only for their sum (and x stays for the output pass)
        float[] aside = log ? new float[w] : null;
        for (int i = 0, off = base; i < n; i++, off += inner) {
            float[] e = log ? aside : out;
            int eOff = log ? 0 : off;
            sub(vector, x, off, m, w, e, eOff);
            // exp(d - 0) is exp(d): the subtraction of +0 changes no float, -0 and NaN included
            AttentionKernels.exp(vector, e, eOff, w, 0f, e, eOff);
            add(vector, e, eOff, w, s, (i & (LaneSums.LANES - 1)) * w);
        }
        for (int h = LaneSums.LANES / 2; h > 0; h >>= 1) {
            for (int j = 0; j < h; j++) {
                add(vector, s, (j + h) * w, w, s, j * w);
            }
        }
        float[] c = new float[w];
        for (int k = 0; k < w; k++) {
            c[k] = log ? m[k] + FastMath.log(s[k]) : 1f / s[k];
        }
        for (int i = 0, off = base; i < n; i++, off += inner) {
            if (log) {
                sub(vector, x, off, c, w, out, off);
            } else if (vector) {
                VectorRowKernels.mulLanes(out, off, c, w);
            } else {
                for (int k = 0; k < w; k++) {
                    out[off + k] *= c[k];
                }
            }
        }
    }

    /** {@code o[oOff + k] = x[xOff + k] - c[k]} for k in [0, w). */
    private static void sub(boolean vector, float[] x, int xOff, float[] c, int w, float[] o, int oOff) {
        if (vector) {
            VectorRowKernels.subLanes(x, xOff, c, w, o, oOff);
            return;
        }
        for (int k = 0; k < w; k++) {
            o[oOff + k] = x[xOff + k] - c[k];
        }
    }

    /** {@code s[sOff + k] += e[eOff + k]} for k in [0, w). */
    private static void add(boolean vector, float[] e, int eOff, int w, float[] s, int sOff) {
        if (vector) {
            VectorRowKernels.addLanes(e, eOff, w, s, sOff);
            return;
        }
        for (int k = 0; k < w; k++) {
            s[sOff + k] += e[eOff + k];
        }
    }
}
