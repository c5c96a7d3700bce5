/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float64 attention reference whose every formula is written here, from the papers and the
 * reference implementations, and never read from the spec or any main-code helper: RoPE
 * frequencies (with linear and Llama 3 scaling) and the rotate-half rotation, ALiBi slopes, the
 * default scale, the soft cap and the sliding window. A test configures it with the same numbers
 * it gives the spec builder, so a wrong formula in the engine cannot also hide in the expectation.
 * The {@code with*} methods exist to build deliberately wrong variants, which tests use to show
 * that the engine's output is far from them (the mutant would be killed).
 */
final class RefAttention {

    final int hq;
    final int hkv;
    final int d;
    boolean causal = true;
    /** Logit scale; default 1/sqrt(head_dim) as in "Attention is all you need". */
    double scale;
    /** Soft cap c (0 = off): logit -> c * tanh(logit / c). */
    double cap;
    /** Sliding window w (-1 = off): a query at position p sees [p - w, p]. */
    int window = -1;
    /** Per query head slope, or null. */
    double[] alibi;
    /** RoPE inverse frequencies (D/2), or null. */
    double[] invFreq;
    /** Linear RoPE scaling: positions are divided by this. */
    double posScale = 1;
    /** Pairs (i, i + D/2) when true (Llama/NeoX rotate-half); (2i, 2i + 1) when false (GPT-J). */
    boolean rotateHalf = true;
    /** Query head g reads KV head g / group when false (the GQA convention), g % hkv when true. */
    boolean interleavedGqa;

    /** Rotated keys per key array (configure the fields before the first row). */
    private final Map<float[], double[][]> keys = new IdentityHashMap<>();

    RefAttention(int hq, int hkv, int d) {
        this.hq = hq;
        this.hkv = hkv;
        this.d = d;
        this.scale = 1.0 / Math.sqrt(d);
    }

    /** Plain RoPE frequencies: theta^(-2i/d), i in [0, d/2). */
    static double[] ropeFreq(int d, double theta) {
        double[] f = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            f[i] = Math.pow(theta, -(2.0 * i) / d);
        }
        return f;
    }

    /**
     * Llama 3.1 frequency scaling as in the Llama 3.1 reference code: wavelengths shorter than
     * orig/high keep their frequency, longer than orig/low are divided by the factor, and the band
     * between is interpolated with smooth = (orig / wavelen - low) / (high - low).
     */
    static double[] llama3(double[] freq, double factor, double low, double high, int orig) {
        double lowWavelen = orig / low;
        double highWavelen = orig / high;
        double[] out = new double[freq.length];
        for (int i = 0; i < freq.length; i++) {
            double wavelen = 2 * Math.PI / freq[i];
            if (wavelen < highWavelen) {
                out[i] = freq[i];
            } else if (wavelen > lowWavelen) {
                out[i] = freq[i] / factor;
            } else {
                double smooth = (orig / wavelen - low) / (high - low);
                out[i] = (1 - smooth) * freq[i] / factor + smooth * freq[i];
            }
        }
        return out;
    }

    /**
     * ALiBi slopes as the paper's code writes them: for n a power of two a geometric sequence that
     * starts at and has ratio 2^(-8/n); otherwise the slopes of the closest lower power of two p,
     * followed by every other slope of 2p.
     */
    static double[] alibiSlopes(int n) {
        double log2 = Math.log(n) / Math.log(2);
        if (Math.abs(log2 - Math.rint(log2)) < 1e-12) {
            double start = Math.pow(2, -Math.pow(2, -(log2 - 3)));
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                s[i] = start * Math.pow(start, i);
            }
            return s;
        }
        int p = 1 << (int) Math.floor(log2);
        double[] first = alibiSlopes(p);
        double[] twice = alibiSlopes(2 * p);
        double[] s = new double[n];
        System.arraycopy(first, 0, s, 0, p);
        for (int i = 0; i < n - p; i++) {
            s[p + i] = twice[2 * i];
        }
        return s;
    }

    private double[] rotate(double[] x, int pos) {
        if (invFreq == null) {
            return x;
        }
        int half = d / 2;
        double[] y = new double[d];
        for (int i = 0; i < half; i++) {
            double a = pos / posScale * invFreq[i];
            int i0 = rotateHalf ? i : 2 * i;
            int i1 = rotateHalf ? i + half : 2 * i + 1;
            y[i0] = x[i0] * Math.cos(a) - x[i1] * Math.sin(a);
            y[i1] = x[i1] * Math.cos(a) + x[i0] * Math.sin(a);
        }
        return y;
    }

    /** Key j of KV head h, rotated to position j (cached: every query row reads it). */
    private double[] key(float[] k, int j, int h) {
        double[][] cache = keys.computeIfAbsent(k, a -> new double[a.length / d][]);
        int i = j * hkv + h;
        if (cache[i] == null) {
            double[] kv = new double[d];
            for (int x = 0; x < d; x++) {
                kv[x] = k[i * d + x];
            }
            cache[i] = rotate(kv, j);
        }
        return cache[i];
    }

    /**
     * One query row of one request.
     *
     * @param q the request's queries, [pos][hq][d]
     * @param k the request's keys, [pos][hkv][d]
     * @param v the request's values, as k
     * @param p the query's absolute position
     * @param kvLen keys visible to the request
     * @return o (hq * d) followed by lse (hq)
     */
    double[] row(float[] q, float[] k, float[] v, int p, int kvLen) {
        int group = hq / hkv;
        double[] out = new double[hq * d + hq];
        for (int g = 0; g < hq; g++) {
            // query head g reads KV head g / group: consecutive query heads share a KV head
            int h = interleavedGqa ? g % hkv : g / group;
            double[] qv = new double[d];
            for (int x = 0; x < d; x++) {
                qv[x] = q[(p * hq + g) * d + x];
            }
            qv = rotate(qv, p);
            int hi = causal ? Math.min(p + 1, kvLen) : kvLen;
            int lo = window >= 0 ? Math.max(0, p - window) : 0;
            double[] s = new double[Math.max(0, hi - lo)];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = lo; j < hi; j++) {
                double[] kv = key(k, j, h);
                double dot = 0;
                for (int x = 0; x < d; x++) {
                    dot += qv[x] * kv[x];
                }
                double sc = dot * scale;
                if (alibi != null) {
                    sc += alibi[g] * (j - p);
                }
                if (cap > 0) {
                    sc = cap * Math.tanh(sc / cap);
                }
                s[j - lo] = sc;
                max = Math.max(max, sc);
            }
            double sum = 0;
            for (double sc : s) {
                sum += Math.exp(sc - max);
            }
            for (int j = lo; j < hi; j++) {
                double w = Math.exp(s[j - lo] - max) / sum;
                for (int x = 0; x < d; x++) {
                    out[g * d + x] += w * v[(j * hkv + h) * d + x];
                }
            }
            out[hq * d + g] = hi > lo ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
        }
        return out;
    }

    /**
     * Compares the rows of a run with this reference.
     *
     * @return {relative L2 error of o, max absolute error of o, max absolute error of lse}
     */
    double[] errors(Workload w, Workload.Result res, List<Workload.Segment> segs) {
        double num = 0;
        double den = 0;
        double maxO = 0;
        double maxLse = 0;
        for (Workload.Segment s : segs) {
            for (int p = s.from; p < s.to; p++) {
                double[] ref = row(w.q[s.request], w.k[s.request], w.v[s.request], p, s.kvLen);
                float[] o = res.o[s.request][p];
                for (int x = 0; x < hq * d; x++) {
                    double e = o[x] - ref[x];
                    num += e * e;
                    den += ref[x] * ref[x];
                    maxO = Math.max(maxO, Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.abs(e));
                }
                for (int g = 0; g < hq; g++) {
                    double e = Math.abs(res.lse[s.request][p][g] - ref[hq * d + g]);
                    maxLse = Math.max(maxLse, Double.isNaN(e) ? Double.POSITIVE_INFINITY : e);
                }
            }
        }
        double rel = Math.sqrt(num / den);
        return new double[] {Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel, maxO, maxLse};
    }

    /** Float32 tolerance on the relative L2 error of o (the float64 reference is exact). */
    static final double TOL = 2e-5;

    /** How far (relative L2) a wrong variant must be from the engine, about 500x the tolerance. */
    static final double WRONG = 1e-2;

    /**
     * Runs causal (or not, as the spec says) prefill of every row of every request in float32 and
     * asserts the engine matches {@code good}, and is far from every {@code wrong} variant: that
     * last part shows the check has teeth against exactly those mistakes.
     *
     * @return the engine's result
     */
    static Workload.Result assertRun(NDManager m, AttentionSpec spec, int[] lens, RefAttention good,
            RefAttention... wrong) {
        try (Workload w = new Workload(m, spec, DataType.FLOAT32, lens, 16, KvLayout.NHD, 7, 11)) {
            List<Workload.Segment> segs = new ArrayList<>();
            for (int r = 0; r < lens.length; r++) {
                segs.add(new Workload.Segment(r, 0, lens[r], lens[r]));
            }
            Workload.Result res = w.run(new BatchAttention(spec), segs, null);
            double[] e = good.errors(w, res, segs);
            assertTrue(e[0] < TOL && e[2] < 1e-4, spec + ": relative L2 " + e[0] + ", lse error " + e[2]);
            for (int i = 0; i < wrong.length; i++) {
                double[] f = wrong[i].errors(w, res, segs);
                assertTrue(f[0] > WRONG, spec + ": output is within " + f[0] + " of wrong variant " + i);
            }
            return res;
        }
    }

    /** A copy, for building a deliberately wrong variant. */
    RefAttention copy() {
        RefAttention r = new RefAttention(hq, hkv, d);
        r.causal = causal;
        r.scale = scale;
        r.cap = cap;
        r.window = window;
        r.alibi = alibi == null ? null : alibi.clone();
        r.invFreq = invFreq == null ? null : invFreq.clone();
        r.posScale = posScale;
        r.rotateHalf = rotateHalf;
        r.interleavedGqa = interleavedGqa;
        return r;
    }
}
