/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * Convolution and pooling values through the NDArray API against direct float64 loops written
 * here from PyTorch's definitions (output size {@code floor((in + 2p - d(k-1) - 1) / s) + 1},
 * ceil mode's last window starting inside the input or left padding, count_include_pad divisors,
 * lp pooling as {@code (avg_pool(x^p) * kernel_size)^(1/p)}), over 1-D, 2-D and 3-D inputs with
 * strides, padding, dilation and groups, in float32 and float64.
 */
class CpuConvPoolValuesTest extends EngineTestBase {

    private final Random rnd = new Random(5);

    private double[] random(int n, boolean positive) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = positive ? 0.1 + rnd.nextDouble() * 2 : rnd.nextGaussian();
        }
        return v;
    }

    private NDArray array(double[] v, Shape s, DataType t) {
        return manager.create(v, s).toType(t, false);
    }

    /** The spatial dims of a (N, C, ...) shape, padded in front with 1 to three. */
    private static int[] dims3(Shape s) {
        int r = s.dimension() - 2;
        int[] d = {1, 1, 1};
        for (int i = 0; i < r; i++) {
            d[3 - r + i] = (int) s.get(2 + i);
        }
        return d;
    }

    private static int[] pad3(long[] v, int r, int fill) {
        int[] d = {fill, fill, fill};
        for (int i = 0; i < r; i++) {
            d[3 - r + i] = (int) v[i];
        }
        return d;
    }

    /** float64 convolution with groups, stride, padding and dilation, on three spatial dims. */
    static double[] conv(double[] x, Shape xs, double[] w, Shape ws, double[] b, int[] s, int[] p, int[] d, int g,
            int[] out) {
        int n = (int) xs.get(0);
        int c = (int) xs.get(1);
        int o = (int) ws.get(0);
        int cg = c / g;
        int og = o / g;
        int[] in = dims3(xs);
        int[] k = dims3(ws);
        for (int i = 0; i < 3; i++) {
            out[i] = (in[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
        }
        double[] y = new double[n * o * out[0] * out[1] * out[2]];
        int yi = 0;
        for (int b0 = 0; b0 < n; b0++) {
            for (int oc = 0; oc < o; oc++) {
                int grp = oc / og;
                for (int z = 0; z < out[0]; z++) {
                    for (int h = 0; h < out[1]; h++) {
                        for (int ww = 0; ww < out[2]; ww++) {
                            double acc = b == null ? 0 : b[oc];
                            for (int ic = 0; ic < cg; ic++) {
                                for (int kz = 0; kz < k[0]; kz++) {
                                    for (int kh = 0; kh < k[1]; kh++) {
                                        for (int kw = 0; kw < k[2]; kw++) {
                                            int iz = z * s[0] - p[0] + kz * d[0];
                                            int ih = h * s[1] - p[1] + kh * d[1];
                                            int iw = ww * s[2] - p[2] + kw * d[2];
                                            if (iz < 0 || ih < 0 || iw < 0 || iz >= in[0] || ih >= in[1] || iw >= in[2]) {
                                                continue;
                                            }
                                            int xc = grp * cg + ic;
                                            double xv = x[(((b0 * c + xc) * in[0] + iz) * in[1] + ih) * in[2] + iw];
                                            double wv = w[(((oc * cg + ic) * k[0] + kz) * k[1] + kh) * k[2] + kw];
                                            acc += xv * wv;
                                        }
                                    }
                                }
                            }
                            y[yi++] = acc;
                        }
                    }
                }
            }
        }
        return y;
    }

    /** float64 pooling: mode 0 max, 1 average of valid entries, 2 count_include_pad, 3 lp. */
    static double[] pool(double[] x, Shape xs, int[] k, int[] s, int[] p, boolean ceil, int mode, double norm,
            int[] out) {
        int planes = (int) (xs.get(0) * xs.get(1));
        int[] in = dims3(xs);
        for (int i = 0; i < 3; i++) {
            int num = in[i] + 2 * p[i] - k[i];
            out[i] = (ceil ? (num + s[i] - 1) / s[i] : num / s[i]) + 1;
            if (ceil && (out[i] - 1) * s[i] >= in[i] + p[i]) {
                out[i]--;
            }
        }
        double[] y = new double[planes * out[0] * out[1] * out[2]];
        int yi = 0;
        for (int pl = 0; pl < planes; pl++) {
            for (int z = 0; z < out[0]; z++) {
                for (int h = 0; h < out[1]; h++) {
                    for (int ww = 0; ww < out[2]; ww++) {
                        int[] st = {z * s[0] - p[0], h * s[1] - p[1], ww * s[2] - p[2]};
                        double acc = mode == 0 ? Double.NEGATIVE_INFINITY : 0;
                        int valid = 0;
                        int padded = 1;
                        for (int i = 0; i < 3; i++) {
                            padded *= Math.min(st[i] + k[i], in[i] + p[i]) - st[i];
                        }
                        for (int a = st[0]; a < st[0] + k[0]; a++) {
                            for (int bb = st[1]; bb < st[1] + k[1]; bb++) {
                                for (int cc = st[2]; cc < st[2] + k[2]; cc++) {
                                    if (a < 0 || bb < 0 || cc < 0 || a >= in[0] || bb >= in[1] || cc >= in[2]) {
                                        continue;
                                    }
                                    double v = x[((pl * in[0] + a) * in[1] + bb) * in[2] + cc];
                                    valid++;
                                    if (mode == 0) {
                                        acc = Double.isNaN(v) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, v);
                                    } else {
                                        acc += mode == 3 ? Math.pow(v, norm) : v;
                                    }
                                }
                            }
                        }
                        if (mode == 1) {
                            acc /= valid;
                        } else if (mode == 2) {
                            acc /= padded;
                        } else if (mode == 3) {
                            acc = Math.pow(acc / padded * k[0] * k[1] * k[2], 1 / norm);
                        }
                        y[yi++] = acc;
                    }
                }
            }
        }
        return y;
    }

    private static Shape outShape(Shape xs, long c, int[] out) {
        int r = xs.dimension() - 2;
        long[] d = new long[r + 2];
        d[0] = xs.get(0);
        d[1] = c;
        for (int i = 0; i < r; i++) {
            d[2 + i] = out[3 - r + i];
        }
        return new Shape(d);
    }

    private static void close(NDArray actual, Shape shape, double[] expected, double tol) {
        assertEquals(shape, actual.getShape());
        double[] got = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(expected[i])) {
                assertTrue(Double.isNaN(got[i]), "element " + i + ": " + got[i] + ", expected NaN");
                continue;
            }
            assertEquals(expected[i], got[i], tol * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    private void checkConv(Shape xs, Shape ws, boolean bias, long[] s, long[] p, long[] d, int g, DataType t) {
        int r = xs.dimension() - 2;
        double[] x = random((int) xs.size(), false);
        double[] w = random((int) ws.size(), false);
        double[] b = bias ? random((int) ws.get(0), false) : null;
        int[] out = new int[3];
        double[] expected = conv(x, xs, w, ws, b, pad3(s, r, 1), pad3(p, r, 0), pad3(d, r, 1), g, out);
        NDArray xa = array(x, xs, t);
        NDArray y = xa.getNDArrayInternal().convolution(xa, array(w, ws, t), bias ? array(b, new Shape(ws.get(0)), t)
                : null, new Shape(s), new Shape(p), new Shape(d), g).singletonOrThrow();
        assertEquals(t, y.getDataType());
        // float32 inputs are rounded once; the sums themselves are float64 in both
        double tol = t == DataType.FLOAT64 ? 1e-12 : 1e-5;
        close(y, outShape(xs, ws.get(0), out), t == DataType.FLOAT64 ? expected : conv(round(x), xs, round(w), ws,
                b == null ? null : round(b), pad3(s, r, 1), pad3(p, r, 0), pad3(d, r, 1), g, out), tol);
    }

    private static double[] round(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (float) v[i];
        }
        return r;
    }

    @Test
    void convolutionMatchesTheDirectSum() {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            checkConv(new Shape(2, 3, 9), new Shape(4, 3, 3), true, new long[] {1}, new long[] {0}, new long[] {1}, 1, t);
            checkConv(new Shape(1, 4, 11), new Shape(6, 2, 3), false, new long[] {2}, new long[] {1}, new long[] {2}, 2, t);
            checkConv(new Shape(2, 2, 5, 6), new Shape(3, 2, 3, 2), true, new long[] {1, 2}, new long[] {1, 0},
                    new long[] {1, 1}, 1, t);
            checkConv(new Shape(1, 4, 7, 7), new Shape(4, 1, 3, 3), true, new long[] {2, 1}, new long[] {1, 2},
                    new long[] {2, 1}, 4, t);
            checkConv(new Shape(1, 2, 4, 5, 3), new Shape(2, 2, 2, 3, 1), true, new long[] {1, 1, 2},
                    new long[] {1, 0, 0}, new long[] {1, 1, 1}, 1, t);
        }
    }

    @Test
    void convolutionRefusesBadArguments() {
        NDArray x = manager.ones(new Shape(1, 4, 5, 5));
        NDArray w = manager.ones(new Shape(2, 3, 3, 3));
        Shape one = new Shape(1, 1);
        Shape zero = new Shape(0, 0);
        assertThrows(RuntimeException.class, () -> x.getNDArrayInternal().convolution(x, w, null, one, zero, one, 1));
        NDArray w2 = manager.ones(new Shape(2, 4, 3, 3));
        assertThrows(RuntimeException.class,
                () -> x.getNDArrayInternal().convolution(x, w2, manager.ones(new Shape(3)), one, zero, one, 1));
        assertThrows(RuntimeException.class, () -> x.getNDArrayInternal().convolution(x, manager.ones(new Shape(2, 4, 7,
                7)), null, one, zero, one, 1));
    }

    private void checkPool(Shape xs, long[] k, long[] s, long[] p, boolean ceil, int mode, float norm, DataType t) {
        int r = xs.dimension() - 2;
        double[] x = round(random((int) xs.size(), mode == 3));
        int[] out = new int[3];
        int[] s3 = s.length == 0 ? pad3(k, r, 1) : pad3(s, r, 1);
        double[] expected = pool(x, xs, pad3(k, r, 1), s3, pad3(p, r, 0), ceil, mode, norm, out);
        NDArray xa = array(x, xs, t);
        NDArray y;
        if (mode == 0) {
            y = xa.getNDArrayInternal().maxPool(new Shape(k), new Shape(s), new Shape(p), ceil);
        } else if (mode == 3) {
            y = xa.getNDArrayInternal().lpPool(norm, new Shape(k), new Shape(s), new Shape(p), ceil);
        } else {
            y = xa.getNDArrayInternal().avgPool(new Shape(k), new Shape(s), new Shape(p), ceil, mode == 2);
        }
        assertEquals(t, y.getDataType());
        close(y, outShape(xs, xs.get(1), out), expected, t == DataType.FLOAT64 ? 1e-12 : 1e-6);
    }

    @Test
    void poolsMatchTheirDefinitions() {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            for (int mode = 0; mode < 3; mode++) {
                for (boolean ceil : new boolean[] {false, true}) {
                    checkPool(new Shape(2, 2, 7), new long[] {3}, new long[] {2}, new long[] {1}, ceil, mode, 0, t);
                    checkPool(new Shape(1, 3, 6, 5), new long[] {2, 3}, new long[] {2, 2}, new long[] {1, 1}, ceil,
                            mode, 0, t);
                    checkPool(new Shape(1, 2, 5, 5), new long[] {3, 3}, new long[] {}, new long[] {0, 1}, ceil, mode,
                            0, t);
                    checkPool(new Shape(1, 1, 4, 5, 6), new long[] {2, 2, 3}, new long[] {2, 1, 2},
                            new long[] {1, 0, 1}, ceil, mode, 0, t);
                }
            }
            for (boolean ceil : new boolean[] {false, true}) {
                checkPool(new Shape(1, 2, 7, 6), new long[] {2, 3}, new long[] {2, 2}, new long[] {0, 0}, ceil, 3, 2f,
                        t);
                checkPool(new Shape(2, 1, 8), new long[] {3}, new long[] {2}, new long[] {0}, ceil, 3, 3f, t);
            }
        }
    }

    @Test
    void maxPoolPropagatesNaNAndKeepsNegativeValues() {
        double[] x = {-5, -3, Double.NaN, -1, -7, -2, -8, -9};
        NDArray y = manager.create(x, new Shape(1, 1, 8)).toType(DataType.FLOAT32, false).getNDArrayInternal()
                .maxPool(new Shape(2), new Shape(2), new Shape(0), false);
        close(y, new Shape(1, 1, 4), new double[] {-3, Double.NaN, -2, -8}, 0);
    }

    @Test
    void poolsRefuseBadArguments() {
        NDArray x = manager.ones(new Shape(1, 1, 4, 4));
        // padding above half the kernel, and a kernel larger than the padded input
        assertThrows(IllegalArgumentException.class,
                () -> x.getNDArrayInternal().maxPool(new Shape(2, 2), new Shape(1, 1), new Shape(2, 2), false));
        assertThrows(IllegalArgumentException.class,
                () -> x.getNDArrayInternal().maxPool(new Shape(5, 5), new Shape(1, 1), new Shape(0, 0), false));
        assertThrows(IllegalArgumentException.class,
                () -> x.getNDArrayInternal().avgPool(new Shape(2, 2), new Shape(0, 1), new Shape(0, 0), false, true));
        assertThrows(IllegalArgumentException.class,
                () -> x.getNDArrayInternal().maxPool(new Shape(0, 2), new Shape(1, 1), new Shape(0, 0), false));
        assertThrows(IllegalArgumentException.class,
                () -> manager.ones(new Shape(4, 4)).getNDArrayInternal().maxPool(new Shape(2), new Shape(1),
                        new Shape(0), false));
    }

    @Test
    void globalPoolsReduceEachPlane() {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            Shape xs = new Shape(2, 3, 4, 5);
            double[] x = round(random((int) xs.size(), true));
            double[] max = new double[6];
            double[] avg = new double[6];
            double[] lp = new double[6];
            for (int pl = 0; pl < 6; pl++) {
                max[pl] = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < 20; i++) {
                    double v = x[pl * 20 + i];
                    max[pl] = Math.max(max[pl], v);
                    avg[pl] += v / 20;
                    lp[pl] += v * v;
                }
                lp[pl] = Math.sqrt(lp[pl]);
            }
            NDArray a = array(x, xs, t);
            double tol = t == DataType.FLOAT64 ? 1e-12 : 1e-6;
            close(a.getNDArrayInternal().globalMaxPool(), new Shape(2, 3), max, 0);
            close(a.getNDArrayInternal().globalAvgPool(), new Shape(2, 3), avg, tol);
            close(a.getNDArrayInternal().globalLpPool(2f), new Shape(2, 3), lp, tol);
        }
        NDArray withNaN = manager.create(new float[] {1, Float.NaN, 3, -4, -2, -6}, new Shape(2, 1, 3));
        close(withNaN.getNDArrayInternal().globalMaxPool(), new Shape(2, 1), new double[] {Double.NaN, -2}, 0);
        assertThrows(IllegalArgumentException.class, () -> manager.ones(new Shape(3, 4)).getNDArrayInternal()
                .globalAvgPool());
    }
}
