/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.MatMulShape;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/** Matrix products on host arrays, through {@link CpuMath#gemm} and {@link PackedGemm}. */
public final class CpuLinalg implements LinalgOps {

    /** The gate/up block of {@link #linearSiluMul}. */
    private static final int SILU_BLOCK = 8;

    /** The shared instance. */
    public static final CpuLinalg INSTANCE = new CpuLinalg();

    /** Packed weights of {@code linear}, reused while the weight tensor is unchanged. */
    private static final Map<Tensor, PackedGemm.Panels> PACKED = new WeakHashMap<>();
    private static final Map<Tensor, Integer> PACKED_VERSION = new WeakHashMap<>();

    private CpuLinalg() {}

    private static float[] floats(Tensor t) {
        return HostData.toFloats(t.hostData(), t.getDataType(), t.size32());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor matMul(Tensor a, Tensor b) {
        MatMulShape g = MatMulShape.of(a.getShape(), b.getShape());
        int m = g.m;
        int k = g.k;
        int n = g.n;
        Shape batchA = g.batchA;
        Shape batchB = g.batchB;
        Shape batch = g.batch;
        int nb = (int) batch.size();
        int[] oa = Strided.offsets(batch, Strided.broadcastStrides(batchA, batch), 0);
        int[] ob = Strided.offsets(batch, Strided.broadcastStrides(batchB, batch), 0);
        DataType t = Elementwise.promote(a.getDataType(), b.getDataType());
        Object out;
        if (t == DataType.FLOAT64) {
            double[] x = doubles(a);
            double[] y = doubles(b);
            double[] c = new double[nb * m * n];
            for (int i = 0; i < nb; i++) {
                WideKernels.gemm(x, oa[i] * m * k, y, ob[i] * k * n, c, i * m * n, m, n, k);
            }
            out = c;
        } else if (exactIntegers(t)) {
            long[] x = longs(a);
            long[] y = longs(b);
            long[] c = new long[nb * m * n];
            for (int i = 0; i < nb; i++) {
                WideKernels.gemm(x, oa[i] * m * k, y, ob[i] * k * n, c, i * m * n, m, n, k);
            }
            out = narrow(c, t);
        } else {
            float[] x = HostArrays.borrowFloats(a);
            float[] y = HostArrays.borrowFloats(b);
            float[] c = HostArrays.floats(nb * m * n);
            // a right operand broadcast over the batch is packed once, before the products
            Map<Integer, PackedGemm.Panels> packs = new HashMap<>();
            if (m >= PackedGemm.PACK_MIN_ROWS) {
                for (int i = 0; i < nb; i++) {
                    packs.computeIfAbsent(ob[i] * k * n, o -> PackedGemm.packRows(y, o, k, n));
                }
            }
            // the batch's products side by side on the threads (each product splits its rows and
            // columns further, never k): 64 products of 128 x 64 x 128 took 1.4-2.0 ms one at a
            // time, 0.8-1.0 side by side
            Parallel.forEach(nb, 2L * m * n * k, i -> {
                if (m >= PackedGemm.PACK_MIN_ROWS) {
                    PackedGemm.multiply(x, oa[i] * m * k, packs.get(ob[i] * k * n), c, i * m * n, m, null);
                } else {
                    CpuMath.gemm(x, oa[i] * m * k, y, ob[i] * k * n, c, i * m * n, m, n, k);
                }
            });
            if (!HostData.isFloating(t)) {
                t = DataType.FLOAT32;
            }
            out = HostArrays.fromFloats(c, t);
        }
        return HostArrays.wrap(g.out, t, out);
    }

    /** Integer types whose products PyTorch computes exactly in the type (booleans excluded). */
    private static boolean exactIntegers(DataType t) {
        return t == DataType.INT8 || t == DataType.UINT8 || t == DataType.INT32 || t == DataType.INT64;
    }

    private static double[] doubles(Tensor t) {
        if (t.getDataType() == DataType.FLOAT64) {
            return (double[]) t.hostData();
        }
        double[] d = new double[t.size32()];
        for (int i = 0; i < d.length; i++) {
            d[i] = HostData.getDouble(t.hostData(), t.getDataType(), i);
        }
        return d;
    }

    private static long[] longs(Tensor t) {
        if (t.getDataType() == DataType.INT64) {
            return (long[]) t.hostData();
        }
        long[] d = new long[t.size32()];
        for (int i = 0; i < d.length; i++) {
            d[i] = HostData.getLong(t.hostData(), t.getDataType(), i);
        }
        return d;
    }

    /** Truncates exact 64-bit results to the storage type, which wraps like the type's own arithmetic. */
    private static Object narrow(long[] c, DataType t) {
        if (t == DataType.INT64) {
            return c;
        }
        Object out = HostData.allocate(t, c.length);
        for (int i = 0; i < c.length; i++) {
            HostData.setLong(out, t, i, c[i]);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor batchMatMul(Tensor a, Tensor b) {
        MatMulShape.checkBatched(a.getShape(), b.getShape());
        return matMul(a, b);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor linearSiluMul(Tensor x, Tensor w) {
        Tensor y = linear(x, w, null);
        try {
            return CpuElementwise.INSTANCE.siluMul(y, SILU_BLOCK);
        } finally {
            y.close();
        }
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
        DataType xt = x.getDataType();
        if (xt == DataType.FLOAT64 || exactIntegers(xt)) {
            return linearWide(x, w, bias, rows, n, k, new Shape(od));
        }
        float[] b = null;
        if (bias != null) {
            b = HostArrays.borrowFloats(bias);
            if (b.length != n) {
                throw new IllegalArgumentException("linear: bias " + bias.getShape() + " does not match " + n + " outputs");
            }
        }
        float[] out = HostArrays.floats(rows * n);
        // the bias is added to each finished sum (one rounding), as a separate add would
        PackedGemm.multiply(HostArrays.borrowFloats(x), 0, packed(w, n, k), out, 0, rows, b);
        DataType t = HostData.isFloating(x.getDataType()) ? x.getDataType() : DataType.FLOAT32;
        return HostArrays.wrap(new Shape(od), t, HostArrays.fromFloats(out, t));
    }

    /** linear in double (float64) or exact 64-bit integers, like PyTorch, which keeps the type. */
    private Tensor linearWide(Tensor x, Tensor w, Tensor bias, int rows, int n, int k, Shape outShape) {
        if (bias != null && bias.getShape().size() != n) {
            throw new IllegalArgumentException("linear: bias " + bias.getShape() + " does not match " + n + " outputs");
        }
        Shape wt2 = new Shape(k, n);
        Tensor wt = Tensor.host(wt2, w.getDataType(), transposeAny(w, n, k));
        Tensor x2 = Tensor.host(new Shape(rows, k), x.getDataType(), x.hostData());
        Tensor y = matMul(x2, wt);
        if (bias != null) {
            y = CpuElementwise.INSTANCE.binary(ai.djl.batchinvariant.backend.BinaryOp.ADD, y, bias);
        }
        return Tensor.host(outShape, y.getDataType(), y.hostData());
    }

    private static Object transposeAny(Tensor w, int n, int k) {
        Object src = w.hostData();
        DataType t = w.getDataType();
        Object out = HostData.allocate(t, n * k);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                if (HostData.isFloating(t)) {
                    HostData.setDouble(out, t, j * n + i, HostData.getDouble(src, t, i * k + j));
                } else {
                    HostData.setLong(out, t, j * n + i, HostData.getLong(src, t, i * k + j));
                }
            }
        }
        return out;
    }

    private static PackedGemm.Panels packed(Tensor w, int n, int k) {
        synchronized (PACKED) {
            PackedGemm.Panels cached = PACKED.get(w);
            Integer v = PACKED_VERSION.get(w);
            if (cached != null && v != null && v == w.version()) {
                return cached;
            }
        }
        PackedGemm.Panels p = PackedGemm.packColumns(floats(w), 0, n, k);
        synchronized (PACKED) {
            PACKED.put(w, p);
            PACKED_VERSION.put(w, w.version());
        }
        return p;
    }
}
