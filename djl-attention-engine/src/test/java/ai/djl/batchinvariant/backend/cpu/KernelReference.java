/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.util.Random;

/**
 * The simple loops the optimised CPU kernels replace, written out once more as the reference:
 * each output reduced by one chain in the documented order, nothing shared, nothing vectorised.
 * Also random data with NaN, infinities, signed zeros and subnormals sprinkled in, and a raw-bits
 * comparison.
 */
final class KernelReference {

    private KernelReference() {}

    /**
     * q·k as {@link CpuMath#dot} defines it: four interleaved partial sums, each step a fused
     * multiply-add, one fixed tree.
     */
    static float dot(float[] x, int xo, float[] y, int yo, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (int i = 0; i < n; i += 4) {
            s0 = Math.fma(x[xo + i], y[yo + i], s0);
            s1 = Math.fma(x[xo + i + 1], y[yo + i + 1], s1);
            s2 = Math.fma(x[xo + i + 2], y[yo + i + 2], s2);
            s3 = Math.fma(x[xo + i + 3], y[yo + i + 3], s3);
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** One head's online-softmax update: acc *= scale, then acc = fma(p[j], v[j], acc) for j in order. */
    static void accumulate(float[] acc, int ao, float scale, float[] p, int po, float[] v, int vo, int keys, int d) {
        for (int x = 0; x < d; x++) {
            acc[ao + x] *= scale;
        }
        for (int j = 0; j < keys; j++) {
            for (int x = 0; x < d; x++) {
                acc[ao + x] = Math.fma(p[po + j], v[vo + j * d + x], acc[ao + x]);
            }
        }
    }

    /**
     * A row sum in the row kernels' order, written out from its definition: term i goes to
     * partial sum i mod 32 (each from +0, in index order), then partial sums 16 apart are added,
     * then 8, 4, 2 and 1 apart.
     */
    static float rowSum(float[] terms) {
        float[] part = new float[32];
        for (int i = 0; i < terms.length; i++) {
            part[i % 32] = part[i % 32] + terms[i];
        }
        for (int half = 16; half >= 1; half /= 2) {
            for (int j = 0; j < half; j++) {
                part[j] = part[j] + part[j + half];
            }
        }
        return part[0];
    }

    /** Softmax or log-softmax of one row in place, as the one-row loop computes it. */
    static void softmaxRow(float[] x, int off, int n, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float[] e = new float[n];
        for (int i = 0; i < n; i++) {
            e[i] = FastMath.exp(x[off + i] - max);
        }
        float sum = rowSum(e);
        if (log) {
            float lse = max + FastMath.log(sum);
            for (int i = 0; i < n; i++) {
                x[off + i] = x[off + i] - lse;
            }
            return;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[off + i] = e[i] * inv;
        }
    }

    /** Layer norm of one row: mean and biased variance each summed by {@link #rowSum}. */
    static void layerNormRow(float[] x, float[] out, int off, int n, float[] gamma, float[] beta, float eps) {
        float[] t = new float[n];
        System.arraycopy(x, off, t, 0, n);
        float mean = rowSum(t) / n;
        for (int i = 0; i < n; i++) {
            float d = x[off + i] - mean;
            t[i] = d * d;
        }
        float sq = rowSum(t);
        float rstd = 1f / (float) Math.sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) {
            float y = (x[off + i] - mean) * rstd;
            if (gamma != null) {
                y *= gamma[i];
            }
            if (beta != null) {
                y += beta[i];
            }
            out[off + i] = y;
        }
    }

    /** RMS norm of one row: squares rounded and summed by {@link #rowSum}, one division each. */
    static void rmsNormRow(float[] v, float[] o, int off, int n, float[] w, float eps) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = v[off + i] * v[off + i];
        }
        float denom = (float) Math.sqrt(rowSum(t) / n + eps);
        for (int i = 0; i < n; i++) {
            float y = v[off + i] / denom;
            o[off + i] = w == null ? y : y * w[i];
        }
    }

    /**
     * Gaussian data with about {@code odd} of the elements replaced by NaN, +-infinity, +-0,
     * subnormals or huge values.
     */
    static float[] data(Random rnd, int n, double odd) {
        float[] x = new float[n];
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
            -1e-40f, 3e38f, -3e38f};
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble() < odd ? specials[rnd.nextInt(specials.length)] : (float) rnd.nextGaussian();
        }
        return x;
    }

    /**
     * The first index where the bits differ, or -1. Every NaN counts as one value: Java leaves the
     * sign and payload of a NaN produced by arithmetic open (the JIT may swap the operands of a
     * commutative operation, and x86 keeps the first operand's NaN), so the same loop can give
     * 0x7fc00000 in one compilation and 0xffc00000 in another; every other bit pattern, -0.0 and
     * each infinity included, must match exactly.
     */
    static int firstDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            return 0;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                return i;
            }
        }
        return -1;
    }

    /** The raw bits of the first difference found by {@link #firstDifference}, for messages. */
    static String describe(float[] a, float[] b, int i) {
        return i < 0 ? "" : " at " + i + ": " + Integer.toHexString(Float.floatToRawIntBits(a[i])) + " vs "
                + Integer.toHexString(Float.floatToRawIntBits(b[i]));
    }
}
