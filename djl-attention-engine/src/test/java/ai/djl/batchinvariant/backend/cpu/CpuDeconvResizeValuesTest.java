/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Transposed convolution and image resize through the NDArray API against float64 loops written
 * here: deconvolution as the scatter {@code y[i*s - p + k*d] += x[i] * w[k]} with output size
 * {@code (in - 1)s - 2p + d(k - 1) + outPad + 1}, groups and bias; resize by PyTorch's
 * {@code interpolate} rules without aligned corners (nearest {@code floor(dst * in / out)},
 * bilinear source {@code (dst + 0.5) in / out - 0.5} clamped at 0).
 */
class CpuDeconvResizeValuesTest extends EngineTestBase {

    private final Random rnd = new Random(11);

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** 1-D or 2-D transposed convolution, (N, C, H, W) with H = 1 for 1-D. */
    private static double[] deconv(float[] x, int n, int c, int ih, int iw, float[] w, int og, int kh, int kw,
            float[] b, int g, int[] s, int[] p, int[] op, int[] d, int[] out) {
        out[0] = (ih - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1;
        out[1] = (iw - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1;
        int o = og * g;
        int cg = c / g;
        double[] y = new double[n * o * out[0] * out[1]];
        for (int bi = 0; bi < n; bi++) {
            for (int ci = 0; ci < c; ci++) {
                int grp = ci / cg;
                for (int oo = 0; oo < og; oo++) {
                    int oc = grp * og + oo;
                    for (int i = 0; i < ih; i++) {
                        for (int j = 0; j < iw; j++) {
                            for (int a = 0; a < kh; a++) {
                                for (int e = 0; e < kw; e++) {
                                    int yh = i * s[0] - p[0] + a * d[0];
                                    int yw = j * s[1] - p[1] + e * d[1];
                                    if (yh < 0 || yw < 0 || yh >= out[0] || yw >= out[1]) {
                                        continue;
                                    }
                                    y[((bi * o + oc) * out[0] + yh) * out[1] + yw] +=
                                            (double) x[((bi * c + ci) * ih + i) * iw + j]
                                                    * w[((ci * og + oo) * kh + a) * kw + e];
                                }
                            }
                        }
                    }
                }
            }
        }
        if (b != null) {
            int plane = out[0] * out[1];
            for (int i = 0; i < y.length; i++) {
                y[i] += b[(i / plane) % o];
            }
        }
        return y;
    }

    private void checkDeconv(boolean oneD, int n, int c, int ih, int iw, int og, int kh, int kw, boolean bias, int g,
            int[] s, int[] p, int[] op, int[] d) {
        float[] x = random(n * c * ih * iw);
        float[] w = random(c * og * kh * kw);
        float[] b = bias ? random(og * g) : null;
        int[] out = new int[2];
        double[] expected = deconv(x, n, c, ih, iw, w, og, kh, kw, b, g, s, p, op, d, out);
        Shape xs = oneD ? new Shape(n, c, iw) : new Shape(n, c, ih, iw);
        Shape ws = oneD ? new Shape(c, og, kw) : new Shape(c, og, kh, kw);
        NDArray xa = manager.create(x, xs);
        NDArray y = xa.getNDArrayInternal().deconvolution(xa, manager.create(w, ws),
                bias ? manager.create(b, new Shape(og * g)) : null, shape(oneD, s), shape(oneD, p), shape(oneD, op),
                shape(oneD, d), g).singletonOrThrow();
        Shape ys = oneD ? new Shape(n, og * g, out[1]) : new Shape(n, og * g, out[0], out[1]);
        assertEquals(ys, y.getShape());
        float[] got = y.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 1e-5 * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    private static Shape shape(boolean oneD, int[] v) {
        return oneD ? new Shape(v[1]) : new Shape(v[0], v[1]);
    }

    @Test
    void deconvolutionMatchesTheScatter() {
        int[] one = {1, 1};
        int[] zero = {0, 0};
        checkDeconv(true, 2, 3, 1, 5, 2, 1, 3, true, 1, one, zero, zero, one);
        checkDeconv(true, 1, 4, 1, 6, 1, 1, 3, false, 2, new int[] {1, 2}, new int[] {0, 1}, new int[] {0, 1},
                new int[] {1, 2});
        checkDeconv(false, 1, 2, 4, 3, 3, 3, 2, true, 1, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 0}, one);
        checkDeconv(false, 2, 4, 3, 4, 1, 2, 3, true, 4, new int[] {2, 3}, new int[] {0, 1}, new int[] {1, 2},
                new int[] {2, 1});
        checkDeconv(false, 1, 2, 3, 3, 2, 3, 3, false, 1, one, new int[] {1, 1}, zero, new int[] {2, 2});
    }

    @Test
    void deconvolutionInThreeDimensions() {
        // (N, C, D, H, W) = (1, 2, 2, 3, 2), weight (C, O / g, kd, kh, kw) = (2, 2, 2, 2, 1), g = 1,
        // stride (2, 1, 1), padding (0, 1, 0), dilation (2, 1, 1): out (1, 2, 4, 3, 2)
        int c = 2;
        int og = 2;
        int[] in = {2, 3, 2};
        int[] k = {2, 2, 1};
        int[] s = {2, 1, 1};
        int[] p = {0, 1, 0};
        int[] d = {2, 1, 1};
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            out[i] = (in[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1;
        }
        float[] x = random(c * in[0] * in[1] * in[2]);
        float[] w = random(c * og * k[0] * k[1] * k[2]);
        double[] y = new double[og * out[0] * out[1] * out[2]];
        for (int ci = 0; ci < c; ci++) {
            for (int oc = 0; oc < og; oc++) {
                for (int a = 0; a < in[0]; a++) {
                    for (int b = 0; b < in[1]; b++) {
                        for (int e = 0; e < in[2]; e++) {
                            for (int ka = 0; ka < k[0]; ka++) {
                                for (int kb = 0; kb < k[1]; kb++) {
                                    for (int ke = 0; ke < k[2]; ke++) {
                                        int za = a * s[0] - p[0] + ka * d[0];
                                        int zb = b * s[1] - p[1] + kb * d[1];
                                        int ze = e * s[2] - p[2] + ke * d[2];
                                        if (za < 0 || zb < 0 || ze < 0 || za >= out[0] || zb >= out[1]
                                                || ze >= out[2]) {
                                            continue;
                                        }
                                        y[((oc * out[0] + za) * out[1] + zb) * out[2] + ze] +=
                                                (double) x[((ci * in[0] + a) * in[1] + b) * in[2] + e]
                                                        * w[(((ci * og + oc) * k[0] + ka) * k[1] + kb) * k[2] + ke];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        NDArray xa = manager.create(x, new Shape(1, c, in[0], in[1], in[2]));
        NDArray r = xa.getNDArrayInternal().deconvolution(xa, manager.create(w, new Shape(c, og, k[0], k[1], k[2])),
                null, new Shape(2, 1, 1), new Shape(0, 1, 0), new Shape(0, 0, 0), new Shape(2, 1, 1), 1)
                .singletonOrThrow();
        assertEquals(new Shape(1, og, out[0], out[1], out[2]), r.getShape());
        float[] got = r.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            assertEquals(y[i], got[i], 1e-5 * (1 + Math.abs(y[i])), "element " + i);
        }
    }

    @Test
    void deconvolutionRefusesBadArguments() {
        NDArray x = manager.ones(new Shape(1, 4, 5));
        Shape one = new Shape(1);
        Shape zero = new Shape(0);
        // weight (in, out/groups, k): in must match the input channels, divisible by groups
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(3, 2, 3)), null, one, zero, zero, one, 1));
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(4, 2, 3)), null, one, zero, zero, one, 3));
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(4, 2, 3, 3)), null, one, zero, zero, one, 1));
        // output padding must stay below the stride or the dilation
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(4, 2, 3)), null, one, zero, one, one, 1));
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(4, 2, 3)), manager.ones(new Shape(3)), one, zero, zero, one, 1));
        // a padding that leaves no output
        assertThrows(IllegalArgumentException.class, () -> x.getNDArrayInternal().deconvolution(x,
                manager.ones(new Shape(4, 2, 1)), null, one, new Shape(3), zero, one, 1));
    }

    /** PyTorch's nearest and bilinear (align_corners=False) resize of (N, H, W, C), in float64. */
    private static double[] resize(float[] x, int n, int ih, int iw, int c, int oh, int ow, boolean bilinear) {
        double[] y = new double[n * oh * ow * c];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        double v;
                        if (!bilinear) {
                            int si = Math.min((int) Math.floor(i * (double) ih / oh), ih - 1);
                            int sj = Math.min((int) Math.floor(j * (double) iw / ow), iw - 1);
                            v = x[((b * ih + si) * iw + sj) * c + ch];
                        } else {
                            double sh = Math.max((i + 0.5) * ih / oh - 0.5, 0);
                            double sw = Math.max((j + 0.5) * iw / ow - 0.5, 0);
                            int h0 = Math.min((int) sh, ih - 1);
                            int w0 = Math.min((int) sw, iw - 1);
                            int h1 = Math.min(h0 + 1, ih - 1);
                            int w1 = Math.min(w0 + 1, iw - 1);
                            double lh = sh - h0;
                            double lw = sw - w0;
                            v = (1 - lh) * ((1 - lw) * x[((b * ih + h0) * iw + w0) * c + ch]
                                    + lw * x[((b * ih + h0) * iw + w1) * c + ch])
                                    + lh * ((1 - lw) * x[((b * ih + h1) * iw + w0) * c + ch]
                                    + lw * x[((b * ih + h1) * iw + w1) * c + ch]);
                        }
                        y[((b * oh + i) * ow + j) * c + ch] = v;
                    }
                }
            }
        }
        return y;
    }

    @Test
    void resizeFollowsInterpolate() {
        int[][] sizes = {{3, 4, 6, 8}, {5, 4, 3, 2}, {4, 4, 4, 4}, {2, 3, 7, 5}, {3, 3, 6, 6}};
        for (int[] sz : sizes) {
            for (int mode = 0; mode < 2; mode++) {
                for (boolean batched : new boolean[] {false, true}) {
                    int n = batched ? 2 : 1;
                    int c = 3;
                    float[] x = random(n * sz[0] * sz[1] * c);
                    Shape xs = batched ? new Shape(n, sz[0], sz[1], c) : new Shape(sz[0], sz[1], c);
                    NDArray y = manager.create(x, xs).getNDArrayInternal().resize(sz[3], sz[2], mode);
                    Shape ys = batched ? new Shape(n, sz[2], sz[3], c) : new Shape(sz[2], sz[3], c);
                    assertEquals(ys, y.getShape());
                    double[] expected = resize(x, n, sz[0], sz[1], c, sz[2], sz[3], mode == 1);
                    float[] got = y.toFloatArray();
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(expected[i], got[i], 1e-5, "mode " + mode + " sizes " + sz[0] + "x" + sz[1]
                                + "->" + sz[2] + "x" + sz[3] + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void resizeKeepsIntegerTypesAndRefusesBadArguments() {
        NDArray img = manager.create(new int[] {10, 20, 30, 40}, new Shape(2, 2, 1));
        NDArray up = img.getNDArrayInternal().resize(4, 4, 0);
        assertEquals(DataType.INT32, up.getDataType());
        assertEquals(new Shape(4, 4, 1), up.getShape());
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                new int[] {10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40}, up.toIntArray());
        assertThrows(IllegalArgumentException.class, () -> img.getNDArrayInternal().resize(0, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> img.getNDArrayInternal().resize(2, 0, 1));
        assertThrows(UnsupportedOperationException.class, () -> img.getNDArrayInternal().resize(2, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(4, 4)).getNDArrayInternal()
                .resize(2, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(0, 4, 1)).getNDArrayInternal()
                .resize(2, 2, 0));
    }
}
