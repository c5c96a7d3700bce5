/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.ConvGeometry;
import ai.djl.batchinvariant.backend.ConvPoolOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Convolutions, pooling and resize on host arrays. One work item is one (sample, output channel)
 * plane and computes it start to finish, so threads split outputs, never a sum.
 *
 * <p>Every op works on three spatial axes (depth, height, width); 1-D and 2-D inputs get leading
 * axes of size 1. Sums accumulate in float64 and round once to the result type. A convolution
 * output's sum runs over (input channel, kd, kh, kw) in increasing order, then adds the bias: the
 * order depends on the output position alone, never on the batch. The inner loop runs over output
 * positions of one row (an axpy), which keeps that order and lets the JIT vectorise.
 */
public final class CpuConvPool implements ConvPoolOps {

    /** The shared instance. */
    public static final CpuConvPool INSTANCE = new CpuConvPool();

    private CpuConvPool() {}

    // ------------------------------------------------------------------ convolution

    /** {@inheritDoc} */
    @Override
    public Tensor convolution(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape dilation, int groups) {
        Shape xs = x.getShape();
        ConvGeometry g = ConvGeometry.of(x, w, b, stride, padding, dilation, groups);
        int r = g.rank;
        int n = g.n;
        int c = g.channels;
        int o = g.outChannels;
        int cg = g.channelsPerGroup;
        int[] in = g.in;
        int[] k = g.kernel;
        int[] s = g.stride;
        int[] p = g.padding;
        int[] d = g.dilation;
        int[] out = g.out;
        double[] xv = doubles(x);
        double[] wv = doubles(w);
        double[] bv = b == null ? null : doubles(b);
        int inPlane = in[0] * in[1] * in[2];
        int outPlane = out[0] * out[1] * out[2];
        int kSize = k[0] * k[1] * k[2];
        int og = o / groups;
        double[] y = new double[n * o * outPlane];
        Parallel.forEach(n * o, (long) cg * kSize * outPlane, item -> {
            int ni = item / o;
            int oi = item % o;
            int yBase = item * outPlane;
            for (int ci = 0; ci < cg; ci++) {
                int xBase = (ni * c + (oi / og) * cg + ci) * inPlane;
                int wBase = (oi * cg + ci) * kSize;
                for (int kd = 0; kd < k[0]; kd++) {
                    int lo0 = lo(p[0] - kd * d[0], s[0]);
                    int hi0 = hi(in[0] - 1 + p[0] - kd * d[0], s[0], out[0]);
                    for (int kh = 0; kh < k[1]; kh++) {
                        int lo1 = lo(p[1] - kh * d[1], s[1]);
                        int hi1 = hi(in[1] - 1 + p[1] - kh * d[1], s[1], out[1]);
                        for (int kw = 0; kw < k[2]; kw++) {
                            double wt = wv[wBase + (kd * k[1] + kh) * k[2] + kw];
                            int lo2 = lo(p[2] - kw * d[2], s[2]);
                            int hi2 = hi(in[2] - 1 + p[2] - kw * d[2], s[2], out[2]);
                            int off = kw * d[2] - p[2];
                            for (int od = lo0; od < hi0; od++) {
                                int id = od * s[0] - p[0] + kd * d[0];
                                for (int oh = lo1; oh < hi1; oh++) {
                                    int ih = oh * s[1] - p[1] + kh * d[1];
                                    int xRow = xBase + (id * in[1] + ih) * in[2] + off;
                                    int yRow = yBase + (od * out[1] + oh) * out[2];
                                    axpy(y, yRow, xv, xRow, s[2], wt, lo2, hi2);
                                }
                            }
                        }
                    }
                }
            }
            if (bv != null) {
                for (int j = 0; j < outPlane; j++) {
                    y[yBase + j] += bv[oi];
                }
            }
        });
        return result(y, outShape(xs, o, out, r), x.getDataType());
    }

    /** {@code y[yRow + i] += wt * x[xRow + i * step]} for i in [lo, hi). */
    private static void axpy(double[] y, int yRow, double[] x, int xRow, int step, double wt, int lo, int hi) {
        if (step == 1) {
            for (int i = lo; i < hi; i++) {
                y[yRow + i] += wt * x[xRow + i];
            }
        } else {
            for (int i = lo; i < hi; i++) {
                y[yRow + i] += wt * x[xRow + i * step];
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor deconvolution(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape outPadding,
            Shape dilation, int groups) {
        Shape xs = x.getShape();
        Shape ws = w.getShape();
        int r = spatialRank(xs, "deconvolution");
        if (ws.dimension() != r + 2) {
            throw new IllegalArgumentException("deconvolution: weight " + ws + " does not match input " + xs);
        }
        int n = (int) xs.get(0);
        int c = (int) xs.get(1);
        int og = (int) ws.get(1);
        if (groups < 1 || ws.get(0) != c || c % groups != 0) {
            throw new IllegalArgumentException("deconvolution: input " + xs + ", weight " + ws + " and groups=" + groups
                    + " do not agree (weight must be (in, out / groups, *kernel), in divisible by groups)");
        }
        int o = og * groups;
        int cg = c / groups;
        checkBias(b, o, "deconvolution");
        int[] in = dims3(xs.slice(2), r, 1, "input");
        int[] k = dims3(ws.slice(2), r, 1, "kernel");
        int[] s = positive(dims3(stride, r, 1, "stride"), "stride");
        int[] p = dims3(padding, r, 0, "padding");
        int[] op = dims3(outPadding, r, 0, "outPadding");
        int[] d = positive(dims3(dilation, r, 1, "dilation"), "dilation");
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            if (p[i] < 0 || op[i] < 0 || op[i] >= Math.max(s[i], d[i])) {
                throw new IllegalArgumentException("deconvolution: padding " + padding + " and output padding "
                        + outPadding + " must be >= 0, output padding smaller than stride or dilation");
            }
            out[i] = (in[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1;
            if (out[i] < 1) {
                throw new IllegalArgumentException("deconvolution: output size " + out[i] + " of input " + xs
                        + " is not positive");
            }
        }
        double[] xv = doubles(x);
        double[] wv = doubles(w);
        double[] bv = b == null ? null : doubles(b);
        int inPlane = in[0] * in[1] * in[2];
        int outPlane = out[0] * out[1] * out[2];
        int kSize = k[0] * k[1] * k[2];
        double[] y = new double[n * o * outPlane];
        // scatter within the item's own plane: each output receives its terms in (ci, kd, kh, kw)
        // order, at most one per kernel offset, so its order is fixed by its position
        Parallel.forEach(n * o, (long) cg * kSize * inPlane, item -> {
            int ni = item / o;
            int oi = item % o;
            int g = oi / og;
            int yBase = item * outPlane;
            for (int ci = 0; ci < cg; ci++) {
                int cin = g * cg + ci;
                int xBase = (ni * c + cin) * inPlane;
                int wBase = (cin * og + oi % og) * kSize;
                for (int kd = 0; kd < k[0]; kd++) {
                    int lo0 = lo(p[0] - kd * d[0], s[0]);
                    int hi0 = hi(out[0] - 1 + p[0] - kd * d[0], s[0], in[0]);
                    for (int kh = 0; kh < k[1]; kh++) {
                        int lo1 = lo(p[1] - kh * d[1], s[1]);
                        int hi1 = hi(out[1] - 1 + p[1] - kh * d[1], s[1], in[1]);
                        for (int kw = 0; kw < k[2]; kw++) {
                            double wt = wv[wBase + (kd * k[1] + kh) * k[2] + kw];
                            int lo2 = lo(p[2] - kw * d[2], s[2]);
                            int hi2 = hi(out[2] - 1 + p[2] - kw * d[2], s[2], in[2]);
                            int off = kw * d[2] - p[2];
                            for (int id = lo0; id < hi0; id++) {
                                int od = id * s[0] - p[0] + kd * d[0];
                                for (int ih = lo1; ih < hi1; ih++) {
                                    int oh = ih * s[1] - p[1] + kh * d[1];
                                    int xRow = xBase + (id * in[1] + ih) * in[2];
                                    int yRow = yBase + (od * out[1] + oh) * out[2] + off;
                                    for (int iw = lo2; iw < hi2; iw++) {
                                        y[yRow + iw * s[2]] += wt * xv[xRow + iw];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if (bv != null) {
                for (int j = 0; j < outPlane; j++) {
                    y[yBase + j] += bv[oi];
                }
            }
        });
        return result(y, outShape(xs, o, out, r), x.getDataType());
    }

    // ------------------------------------------------------------------ pooling

    /** The window geometry of a pooling call over one input. */
    private static final class Window {
        final int n;
        final int c;
        final int[] in;
        final int[] k;
        final int[] s;
        final int[] p;
        final int[] out = new int[3];
        final Shape shape;

        Window(Shape xs, Shape kernel, Shape stride, Shape padding, boolean ceilMode, String op) {
            int r = spatialRank(xs, op);
            n = (int) xs.get(0);
            c = (int) xs.get(1);
            in = dims3(xs.slice(2), r, 1, "input");
            k = positive(dims3(kernel, r, 1, "kernel"), "kernel");
            // an empty stride means the kernel size, as in PyTorch
            s = positive(stride.dimension() == 0 ? k.clone() : dims3(stride, r, 1, "stride"), "stride");
            p = dims3(padding, r, 0, "padding");
            for (int i = 0; i < 3; i++) {
                if (p[i] < 0 || p[i] > k[i] / 2) {
                    throw new IllegalArgumentException(op + ": padding " + padding + " must be >= 0 and at most half"
                            + " the kernel " + kernel);
                }
                int num = in[i] + 2 * p[i] - k[i];
                out[i] = (ceilMode ? -Math.floorDiv(-num, s[i]) : Math.floorDiv(num, s[i])) + 1;
                // a last window must start inside the input or the left padding
                if (ceilMode && (out[i] - 1) * s[i] >= in[i] + p[i]) {
                    out[i]--;
                }
                if (out[i] < 1) {
                    throw new IllegalArgumentException(op + ": input " + xs + " is smaller than the kernel " + kernel);
                }
            }
            shape = outShape(xs, c, out, r);
        }

        int outPlane() {
            return out[0] * out[1] * out[2];
        }

        int inPlane() {
            return in[0] * in[1] * in[2];
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor maxPool(Tensor x, Shape kernel, Shape stride, Shape padding, boolean ceilMode) {
        Window g = new Window(x.getShape(), kernel, stride, padding, ceilMode, "maxPool");
        return pool(x, g, 0, false, 0);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor avgPool(Tensor x, Shape kernel, Shape stride, Shape padding, boolean ceilMode,
            boolean countIncludePad) {
        Window g = new Window(x.getShape(), kernel, stride, padding, ceilMode, "avgPool");
        return pool(x, g, countIncludePad ? 2 : 1, false, 0);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor lpPool(Tensor x, float normType, Shape kernel, Shape stride, boolean ceilMode) {
        Window g = new Window(x.getShape(), kernel, stride, new Shape(), ceilMode, "lpPool");
        return pool(x, g, 2, true, normType);
    }

    /**
     * Pools every window: mode 0 max, 1 mean over the window's input positions, 2 mean over the
     * window clipped to the padded input (PyTorch's count_include_pad). With {@code lp}, the
     * terms are {@code x^p} and the mean is scaled by the kernel size and raised to {@code 1/p}.
     */
    private static Tensor pool(Tensor x, Window g, int mode, boolean lp, double norm) {
        double[] xv = doubles(x);
        int inPlane = g.inPlane();
        int outPlane = g.outPlane();
        double[] y = new double[g.n * g.c * outPlane];
        int[] in = g.in;
        int[] k = g.k;
        int[] s = g.s;
        int[] p = g.p;
        int[] out = g.out;
        double kernelSize = (double) k[0] * k[1] * k[2];
        Parallel.forEach(g.n * g.c, (long) outPlane * (long) kernelSize, item -> {
            int xBase = item * inPlane;
            int yi = item * outPlane;
            for (int od = 0; od < out[0]; od++) {
                int d0 = od * s[0] - p[0];
                int d1 = Math.min(d0 + k[0], in[0] + p[0]);
                for (int oh = 0; oh < out[1]; oh++) {
                    int h0 = oh * s[1] - p[1];
                    int h1 = Math.min(h0 + k[1], in[1] + p[1]);
                    for (int ow = 0; ow < out[2]; ow++, yi++) {
                        int w0 = ow * s[2] - p[2];
                        int w1 = Math.min(w0 + k[2], in[2] + p[2]);
                        int padded = (d1 - d0) * (h1 - h0) * (w1 - w0);
                        int ds = Math.max(d0, 0);
                        int de = Math.min(d1, in[0]);
                        int hs = Math.max(h0, 0);
                        int he = Math.min(h1, in[1]);
                        int ws = Math.max(w0, 0);
                        int we = Math.min(w1, in[2]);
                        double acc = mode == 0 ? Double.NEGATIVE_INFINITY : 0;
                        for (int id = ds; id < de; id++) {
                            for (int ih = hs; ih < he; ih++) {
                                int row = xBase + (id * in[1] + ih) * in[2];
                                for (int iw = ws; iw < we; iw++) {
                                    double v = xv[row + iw];
                                    if (mode == 0) {
                                        // NaN wins, as in PyTorch
                                        if (v > acc || Double.isNaN(v)) {
                                            acc = v;
                                        }
                                    } else {
                                        acc += lp ? Math.pow(v, norm) : v;
                                    }
                                }
                            }
                        }
                        if (mode != 0) {
                            int count = mode == 2 ? padded : (de - ds) * (he - hs) * (we - ws);
                            acc = count == 0 ? 0 : acc / count;
                            if (lp) {
                                acc = Math.pow(acc * kernelSize, 1.0 / norm);
                            }
                        }
                        y[yi] = acc;
                    }
                }
            }
        });
        return result(y, g.shape, x.getDataType());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor globalPool(Tensor x, boolean max) {
        Shape xs = x.getShape();
        spatialRank(xs, max ? "globalMaxPool" : "globalAvgPool");
        int planes = (int) (xs.get(0) * xs.get(1));
        int plane = (int) xs.slice(2).size();
        double[] xv = doubles(x);
        double[] y = new double[planes];
        Parallel.forEach(planes, plane, item -> {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (int i = item * plane, e = i + plane; i < e; i++) {
                double v = xv[i];
                if (max) {
                    if (v > acc || Double.isNaN(v)) {
                        acc = v;
                    }
                } else {
                    acc += v;
                }
            }
            y[item] = max ? acc : acc / plane;
        });
        return result(y, xs.slice(0, 2), x.getDataType());
    }

    // ------------------------------------------------------------------ resize

    /**
     * {@inheritDoc}
     *
     * <p>As DJL's PyTorch engine: the values go through float32, source positions follow PyTorch's
     * {@code interpolate} without aligned corners (nearest: {@code floor(dst * in / out)}; bilinear:
     * {@code (dst + 0.5) * in / out - 0.5}, clamped at 0), all in float32 arithmetic, and the result
     * converts back to the input type (truncating for integer types).
     */
    @Override
    public Tensor resize(Tensor x, int width, int height, int interpolation) {
        Shape xs = x.getShape();
        if (xs.dimension() != 3 && xs.dimension() != 4) {
            throw new IllegalArgumentException("resize needs (H, W, C) or (N, H, W, C) images, got " + xs);
        }
        if (xs.size() == 0) {
            throw new IllegalArgumentException("attempt to resize of an empty NDArray");
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: width and height must be positive, got " + width + "x" + height);
        }
        if (interpolation != 0 && interpolation != 1) {
            throw new UnsupportedOperationException("BatchInvariant engine does not support NDArrayEx.resize with"
                    + " interpolation " + interpolation + " (0 nearest and 1 bilinear are supported)");
        }
        int r = xs.dimension();
        int n = r == 4 ? (int) xs.get(0) : 1;
        int ih = (int) xs.get(r - 3);
        int iw = (int) xs.get(r - 2);
        int c = (int) xs.get(r - 1);
        float[] xv = HostData.toFloats(x.hostData(), x.getDataType(), x.size32());
        float[] y = new float[n * height * width * c];
        int[] h0 = new int[height];
        int[] h1 = new int[height];
        float[] hl = new float[height];
        int[] w0 = new int[width];
        int[] w1 = new int[width];
        float[] wl = new float[width];
        sources(ih, height, interpolation, h0, h1, hl);
        sources(iw, width, interpolation, w0, w1, wl);
        Parallel.forEach(n * height, (long) width * c * 8, item -> {
            int b = item / height;
            int oh = item % height;
            int base = b * ih * iw * c;
            float l1 = hl[oh];
            float l0 = 1f - l1;
            for (int ow = 0; ow < width; ow++) {
                int o = (item * width + ow) * c;
                if (interpolation == 0) {
                    int src = base + (h0[oh] * iw + w0[ow]) * c;
                    System.arraycopy(xv, src, y, o, c);
                    continue;
                }
                float m1 = wl[ow];
                float m0 = 1f - m1;
                float q00 = l0 * m0;
                float q01 = l0 * m1;
                float q10 = l1 * m0;
                float q11 = l1 * m1;
                int i00 = base + (h0[oh] * iw + w0[ow]) * c;
                int i01 = base + (h0[oh] * iw + w1[ow]) * c;
                int i10 = base + (h1[oh] * iw + w0[ow]) * c;
                int i11 = base + (h1[oh] * iw + w1[ow]) * c;
                for (int ch = 0; ch < c; ch++) {
                    y[o + ch] = q00 * xv[i00 + ch] + q01 * xv[i01 + ch] + q10 * xv[i10 + ch] + q11 * xv[i11 + ch];
                }
            }
        });
        long[] dims = xs.getShape().clone();
        dims[r - 3] = height;
        dims[r - 2] = width;
        DataType t = x.getDataType();
        return Tensor.host(new Shape(dims), t, HostData.fromFloats(y, t));
    }

    /** Source indices and the weight of the second one along one axis, in float32 as PyTorch. */
    private static void sources(int in, int out, int mode, int[] i0, int[] i1, float[] lambda) {
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            if (mode == 0) {
                i0[o] = in == out ? o : out == 2 * in ? o >> 1 : Math.min((int) Math.floor(o * scale), in - 1);
                i1[o] = i0[o];
            } else if (in == out) {
                i0[o] = o;
                i1[o] = o;
                lambda[o] = 0f;
            } else {
                float src = scale * ((float) o + 0.5f) - 0.5f;
                src = src < 0 ? 0f : src;
                i0[o] = Math.min((int) Math.floor(src), in - 1);
                lambda[o] = Math.min(Math.max(src - i0[o], 0f), 1f);
                i1[o] = i0[o] + (i0[o] < in - 1 ? 1 : 0);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int spatialRank(Shape xs, String op) {
        return ConvGeometry.spatialRank(xs, op);
    }

    /** The last {@code r} entries of a three-axis geometry from {@code s}; {@code fill} elsewhere or if empty. */
    private static int[] dims3(Shape s, int r, int fill, String what) {
        return ConvGeometry.dims3(s, r, fill, what);
    }

    private static int[] positive(int[] v, String what) {
        return ConvGeometry.positive(v, what);
    }

    private static void checkBias(Tensor b, int o, String op) {
        if (b != null && (b.getShape().dimension() != 1 || b.getShape().get(0) != o)) {
            throw new IllegalArgumentException(op + ": bias " + b.getShape() + " must be (" + o + ")");
        }
    }

    /** The first output index whose tap {@code o * s - a} is >= 0 (at least 0). */
    private static int lo(int a, int s) {
        return Math.max(0, -Math.floorDiv(-a, s));
    }

    /** One past the last output index whose tap {@code o * s - a'} is <= limit, at most {@code max}. */
    private static int hi(int b, int s, int max) {
        return b < 0 ? 0 : Math.min(max, Math.floorDiv(b, s) + 1);
    }

    private static Shape outShape(Shape xs, long channels, int[] out, int r) {
        return ConvGeometry.outShape(xs, channels, out, r);
    }

    private static double[] doubles(Tensor t) {
        Object data = t.hostData();
        int n = t.size32();
        if (t.getDataType() == DataType.FLOAT64) {
            return (double[]) data;
        }
        double[] v = new double[n];
        if (data instanceof float[]) {
            float[] f = (float[]) data;
            for (int i = 0; i < n; i++) {
                v[i] = f[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                v[i] = HostData.getDouble(data, t.getDataType(), i);
            }
        }
        return v;
    }

    /** Rounds float64 results once to the input's floating type (float32 for other inputs). */
    private static Tensor result(double[] y, Shape shape, DataType in) {
        DataType t = HostData.isFloating(in) ? in : DataType.FLOAT32;
        if (t == DataType.FLOAT64) {
            return Tensor.host(shape, t, y);
        }
        float[] f = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            f[i] = (float) y[i];
        }
        return Tensor.host(shape, t, HostData.fromFloats(f, t));
    }
}
