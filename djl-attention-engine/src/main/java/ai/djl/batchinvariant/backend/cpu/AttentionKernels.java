/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The inner loops of CPU attention over one KV tile, with SIMD drawn from independent outputs
 * only: q·k runs the four interleaved partial sums of {@link CpuMath#dot} as the four lanes of one
 * vector per (head, key); exp runs one lane per key; p·v runs one lane per feature, each feature
 * summed over the keys in order. The heads of a GQA group share each key and value load. Every
 * method here gives the bits of its plain loop (the {@code Scalar} forms, used when {@link Simd}
 * is off), so a row's result does not depend on which path ran.
 */
final class AttentionKernels {

    /** From this length on, a vector max (with its one lane-combining step) beats four chains. */
    private static final int LONG_RUN = 256;

    private AttentionKernels() {}

    /**
     * q·k of {@code heads} query rows (at {@code qOff + g * d}) against {@code keys} key rows (at
     * {@code kOff + j * d}); each score is {@link CpuMath#dot}'s sum.
     *
     * @param vector whether to use the vector path
     * @param q the query rows
     * @param qOff the first query row
     * @param heads the number of query rows
     * @param k the key rows
     * @param kOff the first key row
     * @param keys the number of key rows
     * @param d the head dimension (a multiple of 4)
     * @param out where score (g, j) goes, at {@code outOff + g * outStride + j}
     * @param outOff the first score
     * @param outStride the distance between heads in {@code out}
     */
    static void scores(boolean vector, float[] q, int qOff, int heads, float[] k, int kOff, int keys, int d,
            float[] out, int outOff, int outStride) {
        if (vector) {
            VectorKernels.scores(q, qOff, heads, k, kOff, keys, d, out, outOff, outStride);
        } else {
            scoresScalar(q, qOff, heads, k, kOff, keys, d, out, outOff, outStride);
        }
    }

    /** The plain form of {@link #scores}: four heads per pass share each key row's loads. */
    static void scoresScalar(float[] q, int qOff, int heads, float[] k, int kOff, int keys, int d, float[] out,
            int outOff, int outStride) {
        int g = 0;
        for (; g + 4 <= heads; g += 4) {
            dot4(q, qOff + g * d, k, kOff, keys, d, out, outOff + g * outStride, outStride);
        }
        for (; g < heads; g++) {
            for (int j = 0; j < keys; j++) {
                out[outOff + g * outStride + j] = CpuMath.dot(q, qOff + g * d, k, kOff + j * d, d);
            }
        }
    }

    private static void dot4(float[] q, int qOff, float[] k, int kOff, int keys, int d, float[] out, int outOff,
            int stride) {
        int q1 = qOff + d;
        int q2 = q1 + d;
        int q3 = q2 + d;
        for (int j = 0; j < keys; j++) {
            int ko = kOff + j * d;
            float a0 = 0f;
            float a1 = 0f;
            float a2 = 0f;
            float a3 = 0f;
            float b0 = 0f;
            float b1 = 0f;
            float b2 = 0f;
            float b3 = 0f;
            float c0 = 0f;
            float c1 = 0f;
            float c2 = 0f;
            float c3 = 0f;
            float d0 = 0f;
            float d1 = 0f;
            float d2 = 0f;
            float d3 = 0f;
            for (int x = 0; x < d; x += 4) {
                float k0 = k[ko + x];
                float k1 = k[ko + x + 1];
                float k2 = k[ko + x + 2];
                float k3 = k[ko + x + 3];
                a0 = Math.fma(q[qOff + x], k0, a0);
                a1 = Math.fma(q[qOff + x + 1], k1, a1);
                a2 = Math.fma(q[qOff + x + 2], k2, a2);
                a3 = Math.fma(q[qOff + x + 3], k3, a3);
                b0 = Math.fma(q[q1 + x], k0, b0);
                b1 = Math.fma(q[q1 + x + 1], k1, b1);
                b2 = Math.fma(q[q1 + x + 2], k2, b2);
                b3 = Math.fma(q[q1 + x + 3], k3, b3);
                c0 = Math.fma(q[q2 + x], k0, c0);
                c1 = Math.fma(q[q2 + x + 1], k1, c1);
                c2 = Math.fma(q[q2 + x + 2], k2, c2);
                c3 = Math.fma(q[q2 + x + 3], k3, c3);
                d0 = Math.fma(q[q3 + x], k0, d0);
                d1 = Math.fma(q[q3 + x + 1], k1, d1);
                d2 = Math.fma(q[q3 + x + 2], k2, d2);
                d3 = Math.fma(q[q3 + x + 3], k3, d3);
            }
            out[outOff + j] = (a0 + a1) + (a2 + a3);
            out[outOff + stride + j] = (b0 + b1) + (b2 + b3);
            out[outOff + 2 * stride + j] = (c0 + c1) + (c2 + c3);
            out[outOff + 3 * stride + j] = (d0 + d1) + (d2 + d3);
        }
    }

    /**
     * p[i] = {@link FastMath#exp}(s[i] - m) for n elements.
     *
     * @param vector whether to use the vector path
     * @param s the arguments
     * @param off the first argument
     * @param n the count
     * @param m subtracted from each argument before exp
     * @param p the output
     * @param pOff the first output
     */
    static void exp(boolean vector, float[] s, int off, int n, float m, float[] p, int pOff) {
        if (vector) {
            VectorElementwiseKernels.exp(s, off, n, m, p, pOff);
            return;
        }
        for (int i = 0; i < n; i++) {
            p[pOff + i] = FastMath.exp(s[off + i] - m);
        }
    }

    /**
     * The maximum of n elements as a left-to-right {@link Math#max} chain gives it. Max has no
     * rounding and treats -0.0 below 0.0 in any order, so only a NaN (whose payload depends on
     * which NaN came first) is redone in order.
     *
     * @param vector whether to use the vector path
     * @param s the elements
     * @param off the first element
     * @param n the count
     * @return the maximum, -infinity when n = 0
     */
    static float max(boolean vector, float[] s, int off, int n) {
        if (vector && n >= LONG_RUN) {
            float m = VectorKernels.max(s, off, n);
            if (m == m) {
                return m;
            }
        } else if (vector) {
            // four independent chains: no rounding in max, so only a NaN needs the ordered chain
            float m0 = Float.NEGATIVE_INFINITY;
            float m1 = m0;
            float m2 = m0;
            float m3 = m0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                m0 = Math.max(m0, s[off + i]);
                m1 = Math.max(m1, s[off + i + 1]);
                m2 = Math.max(m2, s[off + i + 2]);
                m3 = Math.max(m3, s[off + i + 3]);
            }
            for (; i < n; i++) {
                m0 = Math.max(m0, s[off + i]);
            }
            float m = Math.max(Math.max(m0, m1), Math.max(m2, m3));
            if (m == m) {
                return m;
            }
        }
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, s[off + i]);
        }
        return m;
    }

    /**
     * The online-softmax update of {@code heads} accumulators of length d (at {@code accOff + g *
     * d}): first acc *= scale[g], then acc += p[g][j] · v[j] for j = 0, 1, ... in order, one
     * rounding per product and per sum.
     *
     * @param vector whether to use the vector path
     * @param acc the accumulators
     * @param accOff the first accumulator
     * @param heads the number of accumulators
     * @param scale the rescaling factor of each accumulator
     * @param p the weights, head g's at {@code pOff + g * pStride}
     * @param pOff the first weight
     * @param pStride the distance between heads in {@code p}
     * @param v the value rows (at {@code vOff + j * d})
     * @param vOff the first value row
     * @param keys the number of value rows
     * @param d the head dimension
     */
    static void accumulate(boolean vector, float[] acc, int accOff, int heads, float[] scale, float[] p, int pOff,
            int pStride, float[] v, int vOff, int keys, int d) {
        if (vector) {
            VectorKernels.accumulate(acc, accOff, heads, scale, p, pOff, pStride, v, vOff, keys, d);
        } else {
            accumulateScalar(acc, accOff, heads, scale, p, pOff, pStride, v, vOff, keys, d, 0);
        }
    }

    /** {@link #accumulate} on the features [x0, d). */
    static void accumulateScalar(float[] acc, int accOff, int heads, float[] scale, float[] p, int pOff, int pStride,
            float[] v, int vOff, int keys, int d, int x0) {
        for (int g = 0; g < heads; g++) {
            int ao = accOff + g * d;
            float sc = scale[g];
            for (int x = x0; x < d; x++) {
                acc[ao + x] *= sc;
            }
            for (int j = 0; j < keys; j++) {
                float pj = p[pOff + g * pStride + j];
                int vo = vOff + j * d;
                for (int x = x0; x < d; x++) {
                    acc[ao + x] = Math.fma(pj, v[vo + x], acc[ao + x]);
                }
            }
        }
    }
}
