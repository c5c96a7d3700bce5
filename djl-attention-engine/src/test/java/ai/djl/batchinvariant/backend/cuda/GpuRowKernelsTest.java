/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CUDA;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.down;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.randoms;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

/**
 * The single-pass row kernels (softmax, log-softmax, RMS norm, layer norm; RowVariants) at row
 * lengths on both sides of every variant boundary, rows whose length no 16-byte chunk divides (the
 * streaming path) and the first length past the last variant (the multi-pass kernel): each row's
 * bits alone and in a batch are the same, values are near a float64 evaluation of the formulas,
 * and NaN and infinities come out where that evaluation puts them. The inverse case shows the
 * bitwise check sees a changed reduction order.
 */
@Tag("gpu")
class GpuRowKernelsTest {

    private static final int[] LENGTHS = {1, 3, 8, 511, 512, 513, 1000, 1001, 1024, 1025, 2048, 2049, 4096, 4100,
        8192, 8200, 16384, 16385, 32768, 32769};
    private static final int ROWS = 9;
    private static final String[] OPS = {"softmax", "logSoftmax", "rmsNorm", "rmsNormNoWeight", "layerNorm",
        "layerNormNoAffine"};

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    private static Tensor host(double[] v, Shape shape, DataType type) {
        Object d = HostData.allocate(type, v.length);
        for (int i = 0; i < v.length; i++) {
            HostData.setDouble(d, type, i, v[i]);
        }
        return Tensor.host(shape, type, d);
    }

    private static double[] values(Tensor host) {
        double[] out = new double[host.size32()];
        for (int i = 0; i < out.length; i++) {
            out[i] = HostData.getDouble(host.hostData(), host.getDataType(), i);
        }
        return out;
    }

    /** One op on the GPU over rows of n: the output, downloaded. */
    private static Tensor run(String op, Tensor x, int n, Tensor g, Tensor b) {
        Tensor gx = up(x);
        Tensor gg = g == null ? null : up(g);
        Tensor gb = b == null ? null : up(b);
        try {
            switch (op) {
                case "softmax": return down(CUDA.reductions().softmax(gx, -1, false));
                case "logSoftmax": return down(CUDA.reductions().softmax(gx, -1, true));
                case "rmsNorm": return down(CUDA.reductions().rmsNorm(gx, gg, 1e-6f));
                case "rmsNormNoWeight": return down(CUDA.reductions().rmsNorm(gx, null, 1e-6f));
                case "layerNorm": return down(CUDA.reductions().layerNorm(gx, new Shape(n), gg, gb, 1e-5f));
                default: return down(CUDA.reductions().layerNorm(gx, new Shape(n), null, null, 1e-5f));
            }
        } finally {
            gx.close();
            if (gg != null) {
                gg.close();
            }
            if (gb != null) {
                gb.close();
            }
        }
    }

    /** The op's formula in float64 over one row (the inputs as stored). */
    private static double[] reference(String op, double[] x, int off, int n, double[] g, double[] b) {
        double[] out = new double[n];
        if (op.endsWith("oftmax")) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                mx = Math.max(mx, x[off + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(x[off + i] - mx);
            }
            for (int i = 0; i < n; i++) {
                out[i] = op.equals("softmax") ? Math.exp(x[off + i] - mx) * (1 / sum) : x[off + i] - (mx + Math.log(sum));
            }
            return out;
        }
        boolean rms = op.startsWith("rms");
        boolean affine = op.equals("rmsNorm") || op.equals("layerNorm");
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += x[off + i];
        }
        mean = rms ? 0 : mean / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            sq += (x[off + i] - mean) * (x[off + i] - mean);
        }
        double scale = 1 / Math.sqrt(sq / n + (rms ? 1e-6f : 1e-5f));
        for (int i = 0; i < n; i++) {
            double y = (x[off + i] - mean) * scale;
            out[i] = affine ? (rms ? y * g[i] : y * g[i] + b[i]) : y;
        }
        return out;
    }

    private static double ulp(DataType t) {
        switch (t) {
            case FLOAT16: return Math.scalb(1.0, -10);
            case BFLOAT16: return Math.scalb(1.0, -7);
            default: return Math.scalb(1.0, -22);
        }
    }

    private static void near(String what, double[] got, int gotOff, double[] want, DataType type) {
        for (int j = 0; j < want.length; j++) {
            double y = got[gotOff + j];
            double w = want[j];
            boolean same = Double.isNaN(w) ? Double.isNaN(y) : Double.isInfinite(w) ? y == w
                    : Math.abs(y - w) <= ulp(type) * 8 * Math.max(1, Math.abs(w));
            if (!same) {
                fail(what + " [" + j + "]: " + y + ", float64 " + w);
            }
        }
    }

    private static long[] bits(Tensor t) {
        long[] out = new long[t.size32()];
        for (int i = 0; i < out.length; i++) {
            out[i] = GpuCompare.bits(t, i);
        }
        return out;
    }

    /** Checks rows alone and in a batch bitwise, and against float64, for one input. */
    private static void check(String op, DataType type, int n, double[] v, double[] gv, double[] bv) {
        Tensor x = host(v, new Shape(ROWS, n), type);
        Tensor g = host(gv, new Shape(n), type);
        Tensor b = host(bv, new Shape(n), type);
        double[] xs = values(x);
        double[] gs = values(g);
        double[] bs = values(b);
        Tensor all = run(op, x, n, g, b);
        long[] full = bits(all);
        double[] got = values(all);
        String what = op + " " + type + " n=" + n;
        for (int r : new int[] {0, ROWS / 2, ROWS - 1}) {
            near(what + " row " + r, got, r * n, reference(op, xs, r * n, n, gs, bs), type);
        }
        for (int[] part : new int[][] {{0, 1}, {ROWS - 1, 1}, {3, 3}}) {
            double[] sub = Arrays.copyOfRange(xs, part[0] * n, (part[0] + part[1]) * n);
            long[] alone = bits(run(op, host(sub, new Shape(part[1], n), type), n, g, b));
            for (int i = 0; i < alone.length; i++) {
                if (alone[i] != full[part[0] * n + i]) {
                    fail(what + ": row " + (part[0] + i / n) + " [" + i % n + "] differs in a " + part[1] + "-row call");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT16", "BFLOAT16"})
    void rowsAreInvariantAndNearFloat64AtEveryBoundary(DataType type) {
        for (int n : LENGTHS) {
            double[] v = randoms(n, ROWS * n, 4);
            for (String op : OPS) {
                check(op, type, n, v, randoms(n + 1, n, 1), randoms(n + 2, n, 1));
            }
        }
    }

    /** NaN, infinities and all-(-inf) rows, on the register path (n = 1000) and the streaming one (1001). */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT16", "BFLOAT16"})
    void nanAndInfinitiesLandWhereTheFormulasPutThem(DataType type) {
        for (int n : new int[] {1000, 1001}) {
            double[] v = randoms(7, ROWS * n, 3);
            v[n + 17] = Double.NaN;
            v[2 * n + 500] = Double.POSITIVE_INFINITY;
            v[3 * n + 3] = Double.NEGATIVE_INFINITY;
            Arrays.fill(v, 4 * n, 5 * n, Double.NEGATIVE_INFINITY);
            v[5 * n + 10] = Double.NEGATIVE_INFINITY;
            v[5 * n + 999] = Double.POSITIVE_INFINITY;
            Arrays.fill(v, 6 * n, 7 * n, 0.0);
            for (String op : OPS) {
                check(op, type, n, v, randoms(8, n, 1), randoms(9, n, 1));
            }
        }
    }

    /**
     * Inverse case: the same rows summed by the variant of another length give other bits somewhere
     * (float32 softmax, whose every output carries the sum's last place; a log-softmax would mostly
     * absorb it in the logarithm's rounding).
     */
    @Test
    void anotherVariantShowsInTheBits() {
        DataType type = DataType.FLOAT32;
        int n = 4096;
        double[] v = randoms(11, ROWS * n, 4);
        double[] padded = new double[ROWS * (n + 8)];
        for (int r = 0; r < ROWS; r++) {
            System.arraycopy(v, r * n, padded, r * (n + 8), n);
            Arrays.fill(padded, r * (n + 8) + n, (r + 1) * (n + 8), Double.NEGATIVE_INFINITY);
        }
        // softmax ignores the -inf padding mathematically, but n + 8 takes the next variant
        double[] a = values(run("softmax", host(v, new Shape(ROWS, n), type), n, null, null));
        double[] p = values(run("softmax", host(padded, new Shape(ROWS, n + 8), type), n + 8, null, null));
        int differ = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < n; j++) {
                differ += Double.doubleToRawLongBits(a[r * n + j]) != Double.doubleToRawLongBits(p[r * (n + 8) + j]) ? 1
                        : 0;
            }
        }
        System.out.println("[rows] " + type + ": " + differ + " of " + ROWS * n + " softmax outputs change with the"
                + " variant");
        assertEquals(RowVariants.maxRow(type, n) * 2, RowVariants.maxRow(type, n + 8));
        assertNotEquals(0, differ, "a changed reduction order must show in the bits");
    }
}
