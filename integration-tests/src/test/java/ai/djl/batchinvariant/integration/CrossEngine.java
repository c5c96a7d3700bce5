/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Random;

/** Helpers that run the same computation on this engine and on DJL's PyTorch engine. */
final class CrossEngine {

    private CrossEngine() {}

    /** Seeded data, identical for both engines. */
    static NDArray data(NDManager m, long seed, float scale, long... dims) {
        Shape s = new Shape(dims);
        Random r = new Random(seed);
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return m.create(v, s);
    }

    /** Asserts equal shape and values within |a - b| <= atol + rtol * |b| (b: the reference). */
    static void assertClose(String what, NDArray ours, NDArray ref, double rtol, double atol) {
        assertEquals(ref.getShape(), ours.getShape(), what + ": shape");
        double[] a = toDoubles(ours);
        double[] b = toDoubles(ref);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
            if (!(err <= worst) || Double.isNaN(a[i]) != Double.isNaN(b[i])) {
                if (!(Double.isNaN(a[i]) && Double.isNaN(b[i]))) {
                    worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                    at = i;
                }
            }
        }
        assertTrue(at < 0, what + ": element " + at + " is " + (at < 0 ? 0 : a[at]) + ", reference "
                + (at < 0 ? 0 : b[at]) + " (rtol " + rtol + ", atol " + atol + ")");
    }

    /**
     * Asserts equal shape, a relative L2 error ||a - b|| / ||b|| within {@code relTol}, and no element
     * off by more than {@code 20 * relTol} times the reference's RMS. Used where outputs are sums
     * with cancellation, so an element-wise relative bound would measure the cancellation.
     */
    static void assertCloseNorm(String what, NDArray ours, NDArray ref, double relTol) {
        assertEquals(ref.getShape(), ours.getShape(), what + ": shape");
        double[] a = toDoubles(ours);
        double[] b = toDoubles(ref);
        double num = 0;
        double den = 0;
        double maxErr = 0;
        for (int i = 0; i < a.length; i++) {
            double e = a[i] - b[i];
            num += e * e;
            den += b[i] * b[i];
            maxErr = Math.max(maxErr, Math.abs(e));
        }
        double rel = Math.sqrt(num / den);
        double rms = Math.sqrt(den / a.length);
        assertTrue(rel <= relTol, what + ": relative L2 error " + rel + " > " + relTol);
        assertTrue(maxErr <= 20 * relTol * rms, what + ": max error " + maxErr + " > " + (20 * relTol) + " x RMS " + rms);
    }

    static double[] toDoubles(NDArray x) {
        NDArray d = x.getDataType() == DataType.FLOAT64 ? x : x.toType(DataType.FLOAT64, false);
        return d.toDoubleArray();
    }
}
