/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Matrix inverse by Gauss-Jordan elimination in float64. The pivot of each column is the first
 * row of largest magnitude at or below the diagonal, so the sequence of operations depends on
 * the matrix alone: every matrix of a batch is inverted exactly as it would be on its own.
 */
final class CpuInverse {

    private CpuInverse() {}

    static Tensor inverse(Tensor a) {
        Shape s = a.getShape();
        int rank = s.dimension();
        if (rank < 2 || s.get(rank - 1) != s.get(rank - 2)) {
            throw new IllegalArgumentException("inverse needs square matrices (..., n, n), got " + s);
        }
        DataType t = a.getDataType();
        int n = (int) s.get(rank - 1);
        int mats = n == 0 ? 0 : a.size32() / (n * n);
        Object src = a.hostData();
        Object dst = HostData.allocate(t, a.size32());
        double[] m = new double[n * n];
        double[] inv = new double[n * n];
        for (int b = 0; b < mats; b++) {
            int base = b * n * n;
            for (int i = 0; i < n * n; i++) {
                m[i] = HostData.getDouble(src, t, base + i);
                inv[i] = i / n == i % n ? 1 : 0;
            }
            invert(m, inv, n);
            for (int i = 0; i < n * n; i++) {
                HostData.setDouble(dst, t, base + i, inv[i]);
            }
        }
        return Tensor.host(s, t, dst);
    }

    /** Reduces m to the identity, applying the same row operations to inv. */
    private static void invert(double[] m, double[] inv, int n) {
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) {
                    p = r;
                }
            }
            double pivot = m[p * n + c];
            if (pivot == 0 || Double.isNaN(pivot)) {
                throw new IllegalArgumentException("inverse: the matrix is singular (column " + c + ")");
            }
            swapRows(m, n, p, c);
            swapRows(inv, n, p, c);
            for (int j = 0; j < n; j++) {
                m[c * n + j] /= pivot;
                inv[c * n + j] /= pivot;
            }
            for (int r = 0; r < n; r++) {
                double f = m[r * n + c];
                if (r == c || f == 0) {
                    continue;
                }
                for (int j = 0; j < n; j++) {
                    m[r * n + j] -= f * m[c * n + j];
                    inv[r * n + j] -= f * inv[c * n + j];
                }
            }
        }
    }

    private static void swapRows(double[] m, int n, int a, int b) {
        if (a == b) {
            return;
        }
        for (int j = 0; j < n; j++) {
            double x = m[a * n + j];
            m[a * n + j] = m[b * n + j];
            m[b * n + j] = x;
        }
    }
}
