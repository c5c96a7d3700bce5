/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Element-wise operations on host arrays (the loops live in {@link Elementwise}). */
public final class CpuElementwise implements ElementwiseOps {

    /** The shared instance. */
    public static final CpuElementwise INSTANCE = new CpuElementwise();

    private CpuElementwise() {}

    /** {@inheritDoc} */
    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Shape out = Strided.broadcast(a.getShape(), b.getShape());
        DataType compute = TypeRules.binaryCompute(op, a.getDataType(), b.getDataType());
        Object d = Elementwise.binary(a.borrowHostData(), a.getDataType(), a.getShape(), b.borrowHostData(),
                b.getDataType(), b.getShape(), op, compute, out);
        return HostArrays.wrap(out, op.isBoolean() ? DataType.BOOLEAN : compute, d);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor unary(UnaryOp op, Tensor a) {
        TypeRules.checkUnary(op, a.getDataType());
        Elementwise.Result r = Elementwise.unary(a.borrowHostData(), a.getDataType(), a.size32(), op);
        return HostArrays.wrap(a.getShape(), r.type(), r.data());
    }

    /** {@inheritDoc} */
    @Override
    public Tensor where(Tensor c, Tensor a, Tensor b) {
        Shape out = Strided.broadcast(Strided.broadcast(c.getShape(), a.getShape()), b.getShape());
        int n = (int) out.size();
        DataType t = TypeRules.promote(a.getDataType(), b.getDataType());
        if (c.borrowHostData() instanceof byte[] && a.getDataType() == t && b.getDataType() == t) {
            // the common case (a boolean mask, values of one type) by runs, each element a copy
            Object d = HostArrays.uninitialized(t, n);
            BroadcastKernels.select((byte[]) c.borrowHostData(), Strided.broadcastStrides(c.getShape(), out),
                    a.borrowHostData(), Strided.broadcastStrides(a.getShape(), out), b.borrowHostData(),
                    Strided.broadcastStrides(b.getShape(), out), d, out.getShape());
            return HostArrays.wrap(out, t, d);
        }
        return whereByElement(c, a, b, out, t);
    }

    /**
     * where element by element through index arrays (floating values through doubles, integers
     * as longs): conditions of other types and values of two types; also the reference the runs
     * are tested against.
     */
    static Tensor whereByElement(Tensor c, Tensor a, Tensor b, Shape out, DataType t) {
        int n = (int) out.size();
        int[] ic = Strided.offsets(out, Strided.broadcastStrides(c.getShape(), out), 0);
        int[] ia = Strided.offsets(out, Strided.broadcastStrides(a.getShape(), out), 0);
        int[] io = Strided.offsets(out, Strided.broadcastStrides(b.getShape(), out), 0);
        Object d = HostData.allocate(t, n);
        Object cd = c.hostData();
        Object ad = a.hostData();
        Object bd = b.hostData();
        boolean exact = !HostData.isFloating(t);
        for (int i = 0; i < n; i++) {
            boolean pick = HostData.getDouble(cd, c.getDataType(), ic[i]) != 0;
            if (exact) {
                // integers by value: int64 past 2^53 exact
                HostData.setLong(d, t, i, pick ? HostData.getLong(ad, a.getDataType(), ia[i])
                        : HostData.getLong(bd, b.getDataType(), io[i]));
                continue;
            }
            double v = pick
                    ? HostData.getDouble(ad, a.getDataType(), ia[i])
                    : HostData.getDouble(bd, b.getDataType(), io[i]);
            HostData.setDouble(d, t, i, v);
        }
        return Tensor.host(out, t, d);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor siluMul(Tensor x, int block) {
        Shape os = OpChecks.siluMulShape(x.getShape(), x.getDataType(), block);
        int h = (int) os.get(os.dimension() - 1);
        int n = (int) os.size();
        if (x.getDataType() == DataType.FLOAT64) {
            double[] v = (double[]) x.hostData();
            double[] o = new double[n];
            for (int i = 0; i < n; i++) {
                int gi = gateIndex(i, h, block);
                double g = v[gi];
                o[i] = g * Float64Math.apply(UnaryOp.SIGMOID, g) * v[gi + block];
            }
            return Tensor.host(os, DataType.FLOAT64, o);
        }
        DataType t = x.getDataType();
        float[] v = HostArrays.borrowFloats(x);
        float[] o = HostArrays.floats(n);
        // a row at a time: its gates gathered, their sigmoids on the element-wise kernel (the
        // bits of Elementwise.apply(SIGMOID, g)), then g * sigmoid(g) * up as before
        int rows = h == 0 ? 0 : n / h;
        Parallel.forEach(rows, 24L * h, r -> {
            float[] g = new float[h];
            float[] s = new float[h];
            // the row's gate blocks (gateIndex's layout: block b's gates at 2 r h + 2 b block, its up
            // values one block after them), copied out block by block
            for (int j = 0; j < h; j += block) {
                System.arraycopy(v, 2 * r * h + 2 * j, g, j, Math.min(block, h - j));
            }
            ElementwiseKernels.sigmoid(Simd.ENABLED, g, s, 0, h);
            for (int j = 0; j < h; j += block) {
                int up = 2 * r * h + 2 * j + block;
                for (int e = j; e < Math.min(j + block, h); e++) {
                    o[r * h + e] = HostData.round(t, g[e] * s[e]) * v[up + e - j];
                }
            }
        });
        HalfConversions.release(v, x.borrowHostData());
        return HostArrays.wrap(os, t, HostArrays.store(o, t));
    }

    /** Where output i's gate value sits: row i / h, block (i % h) / block, offset i % block. */
    private static int gateIndex(int i, int h, int block) {
        int r = i / h;
        int j = i - r * h;
        int blk = j / block;
        return 2 * r * h + 2 * blk * block + (j - blk * block);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor leakyRelu(Tensor a, float alpha) {
        if (a.getDataType() == DataType.FLOAT64) {
            double[] x = (double[]) a.hostData();
            double[] o = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                o[i] = x[i] > 0 ? x[i] : x[i] * (double) alpha;
            }
            return Tensor.host(a.getShape(), DataType.FLOAT64, o);
        }
        float[] x = HostArrays.borrowFloats(a);
        float[] o = HostArrays.floats(x.length);
        ElementwiseKernels.leakyRelu(Simd.ENABLED, x, o, x.length, alpha);
        HalfConversions.release(x, a.borrowHostData());
        return HostArrays.wrap(a.getShape(), DataType.FLOAT32, o);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor elu(Tensor a, float alpha) {
        if (a.getDataType() == DataType.FLOAT64) {
            double[] x = (double[]) a.hostData();
            double[] o = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                o[i] = x[i] > 0 ? x[i] : (double) alpha * StrictMath.expm1(x[i]);
            }
            return Tensor.host(a.getShape(), DataType.FLOAT64, o);
        }
        float[] x = HostArrays.borrowFloats(a);
        float[] o = HostArrays.floats(x.length);
        ElementwiseKernels.elu(Simd.ENABLED, x, o, x.length, alpha);
        HalfConversions.release(x, a.borrowHostData());
        return HostArrays.wrap(a.getShape(), DataType.FLOAT32, o);
    }

    /** {@inheritDoc} */
    @Override
    public boolean allEqual(Tensor a, double v) {
        Object d = a.hostData();
        int n = a.size32();
        for (int i = 0; i < n; i++) {
            if (HostData.getDouble(d, a.getDataType(), i) != v) {
                return false;
            }
        }
        return true;
    }
}
