/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

/**
 * The decoder blocks against float64 formulas written here, used as DJL blocks, and row
 * independence: a row's output bits are the same alone and among other rows.
 */
class DecoderBlocksTest {

    static float[] rnd(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static void close(float[] got, double[] want, double tol, String what) {
        double max = 0;
        for (double w : want) {
            max = Math.max(max, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) <= tol * max, what + "[" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }

    @Test
    void blocksMatchFloat64AndRowsAreIndependent() {
        Random r = new Random(1);
        int rows = 5;
        int h = 48;
        int inter = 80;
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            float[] x = rnd(r, rows * h);
            float[] g = rnd(r, h);
            float[] wg = rnd(r, inter * h);
            float[] wu = rnd(r, inter * h);
            float[] wd = rnd(r, h * inter);
            float[] b = rnd(r, inter);
            RmsNorm norm = new RmsNorm(m.create(g), 1e-5f);
            Projection gate = new Projection(m.create(wg, new Shape(inter, h)), m.create(b));
            GatedMlp mlp = new GatedMlp(gate, new Projection(m.create(wu, new Shape(inter, h)), null),
                    new Projection(m.create(wd, new Shape(h, inter)), null));
            NDArray in = m.create(x, new Shape(rows, h));
            float[] n = norm.forward(new ParameterStore(), new NDList(in), false).head().toFloatArray();
            float[] y = mlp.forward(new ParameterStore(), new NDList(in), false).head().toFloatArray();
            double[] wantN = new double[rows * h];
            double[] wantY = new double[rows * h];
            for (int i = 0; i < rows; i++) {
                double ss = 0;
                for (int j = 0; j < h; j++) {
                    ss += (double) x[i * h + j] * x[i * h + j];
                }
                double inv = 1 / Math.sqrt(ss / h + 1e-5);
                double[] a = new double[inter];
                for (int k = 0; k < inter; k++) {
                    double gs = b[k];
                    double us = 0;
                    for (int j = 0; j < h; j++) {
                        gs += (double) wg[k * h + j] * x[i * h + j];
                        us += (double) wu[k * h + j] * x[i * h + j];
                    }
                    a[k] = gs / (1 + Math.exp(-gs)) * us;
                }
                for (int j = 0; j < h; j++) {
                    wantN[i * h + j] = x[i * h + j] * inv * g[j];
                    double s = 0;
                    for (int k = 0; k < inter; k++) {
                        s += wd[j * inter + k] * a[k];
                    }
                    wantY[i * h + j] = s;
                }
            }
            close(n, wantN, 1e-6, "rms norm");
            close(y, wantY, 1e-5, "gated mlp");
            for (int i = 0; i < rows; i++) {
                NDArray one = m.create(Arrays.copyOfRange(x, i * h, (i + 1) * h), new Shape(1, h));
                assertArrayEquals(Arrays.copyOfRange(y, i * h, (i + 1) * h), mlp.forward(one).toFloatArray(),
                        "row " + i + " alone");
                assertArrayEquals(Arrays.copyOfRange(n, i * h, (i + 1) * h), norm.forward(one).toFloatArray());
            }
            assertEquals(new Shape(rows, inter), gate.getOutputShapes(new Shape[] {new Shape(rows, h)})[0]);
            mlp.close();
            norm.close();
        }
    }

    @Test
    void embeddingCopiesRowsAndHeadProjects() {
        Random r = new Random(2);
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            float[] t = rnd(r, 10 * 6);
            EmbeddingLookup e = new EmbeddingLookup(m.create(t, new Shape(10, 6)));
            NDArray ids = m.create(new int[] {3, 0, 9, 3}, new Shape(2, 2));
            NDArray out = e.forward(new ParameterStore(), new NDList(ids), false).head();
            assertEquals(new Shape(2, 2, 6), out.getShape());
            float[] o = out.toFloatArray();
            int[] want = {3, 0, 9, 3};
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(Arrays.copyOfRange(t, want[i] * 6, want[i] * 6 + 6),
                        Arrays.copyOfRange(o, i * 6, i * 6 + 6));
            }
            // the lookup leaves only its result in the ids' manager (int64 ids: a cast, rows, a view)
            try (NDManager sub = m.newSubManager()) {
                NDArray ids64 = sub.create(new long[] {3, 0, 9, 3}, new Shape(2, 2));
                NDArray looked = e.forward(ids64);
                assertEquals(2, sub.getManagedArrays().size(), sub.getManagedArrays().toString());
                assertArrayEquals(o, looked.toFloatArray());
            }
            Exception ex = assertThrows(IllegalArgumentException.class, () -> e.forward(m, new int[] {1, 10}));
            assertTrue(ex.getMessage().contains("token id 10 at position 1"), ex.getMessage());
            LmHead head = new LmHead(e.getTable().duplicate());
            float[] hv = rnd(r, 6);
            float[] logits = head.forward(m.create(hv, new Shape(1, 6))).toFloatArray();
            double[] wantL = new double[10];
            for (int v = 0; v < 10; v++) {
                for (int j = 0; j < 6; j++) {
                    wantL[v] += (double) t[v * 6 + j] * hv[j];
                }
            }
            close(logits, wantL, 1e-6, "lm head");
            head.close();
            e.close();
        }
    }
}
