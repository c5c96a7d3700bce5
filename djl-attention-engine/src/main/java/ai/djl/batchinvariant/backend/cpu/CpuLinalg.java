/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/** Matrix products on host arrays, through {@link CpuMath#gemm}. */
public final class CpuLinalg implements LinalgOps {

    /** The shared instance. */
    public static final CpuLinalg INSTANCE = new CpuLinalg();

    /** Transposed weights of {@code linear}, reused while the weight tensor is unchanged. */
    private static final Map<Tensor, float[]> TRANSPOSED = new WeakHashMap<>();
    private static final Map<Tensor, Integer> TRANSPOSED_VERSION = new WeakHashMap<>();

    private CpuLinalg() {}

    private static float[] floats(Tensor t) {
        return HostData.toFloats(t.hostData(), t.getDataType(), t.size32());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor matMul(Tensor a, Tensor b) {
        Shape as = a.getShape();
        Shape bs = b.getShape();
        if (as.dimension() == 0 || bs.dimension() == 0) {
            throw new IllegalArgumentException("matMul needs arrays of rank >= 1, got " + as + " and " + bs);
        }
        boolean aVec = as.dimension() == 1;
        boolean bVec = bs.dimension() == 1;
        Shape a2 = aVec ? new Shape(1, as.get(0)) : as;
        Shape b2 = bVec ? new Shape(bs.get(0), 1) : bs;
        int m = (int) a2.get(a2.dimension() - 2);
        int k = (int) a2.get(a2.dimension() - 1);
        int k2 = (int) b2.get(b2.dimension() - 2);
        int n = (int) b2.get(b2.dimension() - 1);
        if (k != k2) {
            throw new IllegalArgumentException("matMul shapes " + as + " and " + bs + " do not agree on the inner dimension");
        }
        Shape batchA = a2.slice(0, a2.dimension() - 2);
        Shape batchB = b2.slice(0, b2.dimension() - 2);
        Shape batch = Strided.broadcast(batchA, batchB);
        int nb = (int) batch.size();
        int[] oa = Strided.offsets(batch, Strided.broadcastStrides(batchA, batch), 0);
        int[] ob = Strided.offsets(batch, Strided.broadcastStrides(batchB, batch), 0);
        float[] x = floats(a);
        float[] y = floats(b);
        float[] c = new float[nb * m * n];
        for (int i = 0; i < nb; i++) {
            CpuMath.gemm(x, oa[i] * m * k, y, ob[i] * k * n, c, i * m * n, m, n, k);
        }
        List<Long> dims = new ArrayList<>();
        for (long d : batch.getShape()) {
            dims.add(d);
        }
        if (!aVec) {
            dims.add((long) m);
        }
        if (!bVec) {
            dims.add((long) n);
        }
        DataType t = Elementwise.promote(a.getDataType(), b.getDataType());
        if (!HostData.isFloating(t)) {
            t = DataType.FLOAT32;
        }
        return Tensor.host(new Shape(dims), t, HostData.fromFloats(c, t));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Shape xs = x.getShape();
        Shape ws = w.getShape();
        int k = (int) ws.get(1);
        int n = (int) ws.get(0);
        int rows = (int) (xs.size() / Math.max(1, k));
        long[] od = xs.getShape().clone();
        od[od.length - 1] = n;
        float[] wt = transposed(w, n, k);
        float[] out = new float[rows * n];
        CpuMath.gemm(floats(x), 0, wt, 0, out, 0, rows, n, k);
        if (bias != null) {
            float[] b = floats(bias);
            if (b.length != n) {
                throw new IllegalArgumentException("linear: bias " + bias.getShape() + " does not match " + n + " outputs");
            }
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    out[r * n + j] += b[j];
                }
            }
        }
        DataType t = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        return Tensor.host(new Shape(od), t, HostData.fromFloats(out, t));
    }

    private static float[] transposed(Tensor w, int n, int k) {
        synchronized (TRANSPOSED) {
            float[] cached = TRANSPOSED.get(w);
            Integer v = TRANSPOSED_VERSION.get(w);
            if (cached != null && v != null && v == w.version()) {
                return cached;
            }
        }
        float[] src = floats(w);
        float[] t = new float[n * k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                t[j * n + i] = src[i * k + j];
            }
        }
        synchronized (TRANSPOSED) {
            TRANSPOSED.put(w, t);
            TRANSPOSED_VERSION.put(w, w.version());
        }
        return t;
    }
}
