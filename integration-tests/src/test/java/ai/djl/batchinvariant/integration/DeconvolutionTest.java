/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Transposed convolution against an independent reference. DJL's PyTorch engine has no {@code
 * deconvolution}, so the reference is PyTorch's ordinary convolution of the input with {@code
 * stride - 1} zeros inserted between elements and {@code dilation * (k - 1) - padding} zeros around
 * it ({@code + outPadding} on the high side), with the kernel flipped and its channel axes swapped
 * per group: the textbook identity of transposed convolution.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeconvolutionTest {

    private NDManager ours;
    private NDManager torch;

    @BeforeAll
    void setUp() {
        ours = Engine.getEngine("BatchInvariant").newBaseManager();
        torch = Engine.getEngine("PyTorch").newBaseManager();
    }

    @AfterAll
    void tearDown() {
        ours.close();
        torch.close();
    }

    /** Input and geometry of a 2-D case (1-D cases use a height of 1 and kernel height 1). */
    private void check(long[] xs, long[] ws, int groups, int[] s, int[] p, int[] op, int[] d, boolean oneD) {
        int n = (int) xs[0];
        int c = (int) xs[1];
        int h = (int) xs[2];
        int w = (int) xs[3];
        int og = (int) ws[1];
        int kh = (int) ws[2];
        int kw = (int) ws[3];
        int cg = c / groups;
        int o = og * groups;
        float[] x = CrossEngine.data(torch, 11, 1f, xs).toFloatArray();
        float[] wt = CrossEngine.data(torch, 12, 0.5f, ws).toFloatArray();
        float[] b = CrossEngine.data(torch, 13, 0.5f, o).toFloatArray();

        // the zero-stuffed, padded input and the flipped, channel-swapped kernel
        int lh = d[0] * (kh - 1) - p[0];
        int lw = d[1] * (kw - 1) - p[1];
        int hz = (h - 1) * s[0] + 1 + 2 * lh + op[0];
        int wz = (w - 1) * s[1] + 1 + 2 * lw + op[1];
        float[] z = new float[n * c * hz * wz];
        for (int i = 0; i < n * c; i++) {
            for (int y = 0; y < h; y++) {
                for (int q = 0; q < w; q++) {
                    z[(i * hz + lh + y * s[0]) * wz + lw + q * s[1]] = x[(i * h + y) * w + q];
                }
            }
        }
        float[] wf = new float[o * cg * kh * kw];
        for (int g = 0; g < groups; g++) {
            for (int oc = 0; oc < og; oc++) {
                for (int ci = 0; ci < cg; ci++) {
                    for (int a = 0; a < kh; a++) {
                        for (int e = 0; e < kw; e++) {
                            wf[(((g * og + oc) * cg + ci) * kh + a) * kw + e] =
                                    wt[(((g * cg + ci) * og + oc) * kh + (kh - 1 - a)) * kw + (kw - 1 - e)];
                        }
                    }
                }
            }
        }
        NDArray ref = torch.create(z, new Shape(n, c, hz, wz)).getNDArrayInternal().convolution(
                torch.create(z, new Shape(n, c, hz, wz)), torch.create(wf, new Shape(o, cg, kh, kw)),
                torch.create(b), new Shape(1, 1), new Shape(0, 0), new Shape(d[0], d[1]), groups).head();

        NDArray xo = ours.create(x, new Shape(xs));
        NDArray wo = ours.create(wt, new Shape(ws));
        NDArray bo = ours.create(b);
        NDArray got;
        if (oneD) {
            got = xo.getNDArrayInternal().deconvolution(xo.squeeze(2), wo.squeeze(2), bo, new Shape(s[1]),
                    new Shape(p[1]), new Shape(op[1]), new Shape(d[1]), groups).head().expandDims(2);
        } else {
            got = xo.getNDArrayInternal().deconvolution(xo, wo, bo, new Shape(s[0], s[1]), new Shape(p[0], p[1]),
                    new Shape(op[0], op[1]), new Shape(d[0], d[1]), groups).head();
        }
        CrossEngine.assertClose("deconvolution", got, ref, 1e-5, 1e-5);

        // each sample alone gives the same bits as inside the batch
        for (int i = 0; i < n; i++) {
            NDArray one = xo.get(new NDIndex(i + ":" + (i + 1)));
            NDArray solo = oneD
                    ? one.getNDArrayInternal().deconvolution(one.squeeze(2), wo.squeeze(2), bo, new Shape(s[1]),
                            new Shape(p[1]), new Shape(op[1]), new Shape(d[1]), groups).head().expandDims(2)
                    : one.getNDArrayInternal().deconvolution(one, wo, bo, new Shape(s[0], s[1]), new Shape(p[0], p[1]),
                            new Shape(op[0], op[1]), new Shape(d[0], d[1]), groups).head();
            assertArrayEquals(got.get(new NDIndex(i + ":" + (i + 1))).toFloatArray(), solo.toFloatArray(),
                    "sample " + i + " alone");
        }
    }

    @Test
    void twoDimensionalStrideDilationGroupsOutPadding() {
        check(new long[] {3, 4, 5, 6}, new long[] {4, 3, 3, 2}, 2, new int[] {2, 1}, new int[] {1, 0},
                new int[] {1, 0}, new int[] {1, 2}, false);
    }

    @Test
    void twoDimensionalPlain() {
        check(new long[] {1, 3, 4, 4}, new long[] {3, 2, 3, 3}, 1, new int[] {1, 1}, new int[] {1, 1},
                new int[] {0, 0}, new int[] {1, 1}, false);
    }

    @Test
    void oneDimensionalStrideThree() {
        check(new long[] {2, 2, 1, 7}, new long[] {2, 3, 1, 3}, 1, new int[] {1, 3}, new int[] {0, 1},
                new int[] {0, 2}, new int[] {1, 1}, true);
    }
}
