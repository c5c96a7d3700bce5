/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.MatMulShape;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Matrix products on a GPU through the invariant GEMM family ({@link CudaGemm}): float16 and
 * bfloat16 on tensor cores with fp32 accumulation, float32 and float64 on FMA units (no TF32).
 * Integer products refuse by name.
 */
final class CudaLinalg implements LinalgOps {

    /** The gate/up block of {@link #linearSiluMul} (gemm_sm90.cu's SwiGLU store). */
    private static final int SILU_BLOCK = 8;

    static final CudaLinalg INSTANCE = new CudaLinalg();

    private CudaLinalg() {}

    /** The type both operands are computed in (the shared promotion), or a refusal by name for integers. */
    private static DataType computeType(String op, Tensor a, Tensor b) {
        DataType ta = a.getDataType();
        DataType tb = b.getDataType();
        if (!HostData.isFloating(ta) || !HostData.isFloating(tb)) {
            throw Unsupported.op(op + " (" + ta + " x " + tb + "; the GPU multiplies floating-point types)",
                    a.getDevice());
        }
        return TypeRules.promote(ta, tb);
    }

    /** Returns t in the given type: itself, or a converted copy the caller closes. */
    private static Tensor as(Tensor t, DataType type) {
        return t.getDataType() == type ? t : CudaBackend.INSTANCE.shapes().toType(t, type);
    }

    private static void closeIfCopy(Tensor copy, Tensor original) {
        if (copy != null && copy != original) {
            copy.close();
        }
    }

    private static void checkDevice(Tensor x, Tensor other, String op) {
        if (other != null && !other.getDevice().equals(x.getDevice())) {
            throw new IllegalArgumentException(op + ": operands must share a device, got " + x.getDevice() + " and "
                    + other.getDevice());
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor b) {
        return product("NDArrayEx.linear", x, w, b, CudaGemm.Act.NONE);
    }

    /**
     * {@inheritDoc}
     *
     * <p>On the Hopper family the gate is applied in the product's store (no intermediate array);
     * elsewhere the product, then {@code siluMul}.
     */
    @Override
    public Tensor linearSiluMul(Tensor x, Tensor w) {
        checkDevice(x, w, "linearSiluMul");
        DataType type = computeType("linearSiluMul", x, w);
        int n = (int) w.getShape().get(0);
        OpChecks.siluMulShape(new Shape(n), type, SILU_BLOCK);
        if (CudaGemm.swiGlu(type, n, CudaBackend.device(x))) {
            return product("linearSiluMul", x, w, null, CudaGemm.Act.SWIGLU);
        }
        Tensor y = linear(x, w, null);
        try {
            return CudaBackend.INSTANCE.elementwise().siluMul(y, SILU_BLOCK);
        } finally {
            y.close();
        }
    }

    /** x·wᵀ (+ b) with an epilogue, in the operands' compute type; the SwiGLU store halves the columns. */
    private Tensor product(String op, Tensor x, Tensor w, Tensor b, CudaGemm.Act act) {
        checkDevice(x, w, op);
        checkDevice(x, b, op);
        DataType type = computeType(op, x, w);
        int k = (int) w.getShape().get(1);
        int n = (int) w.getShape().get(0);
        if (b != null && b.getShape().size() != n) {
            throw new IllegalArgumentException("linear: bias " + b.getShape() + " does not match " + n + " outputs");
        }
        int rows = (int) (x.getShape().size() / Math.max(1, k));
        long[] od = x.getShape().getShape().clone();
        od[od.length - 1] = act == CudaGemm.Act.SWIGLU ? n / 2 : n;
        Tensor xc = as(x, type);
        Tensor wc = as(w, type);
        Tensor bc = b == null ? null : as(b, type);
        try {
            DeviceMemory y = CudaGemm.run(xc, wc, bc, rows, n, k, true, CudaGemm.Batch.single(), act);
            return Tensor.device(new Shape(od), type, y);
        } finally {
            closeIfCopy(xc, x);
            closeIfCopy(wc, w);
            closeIfCopy(bc, b);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor matMul(Tensor a, Tensor b) {
        checkDevice(a, b, "matMul");
        MatMulShape g = MatMulShape.of(a.getShape(), b.getShape());
        DataType type = computeType("NDArray.matMul", a, b);
        CudaGemm.Batch levels = levels(g.batch, g.batchA, g.batchB, (long) g.m * g.k, (long) g.k * g.n);
        if (levels == null) {
            throw Unsupported.op("NDArray.matMul (batch shapes " + g.batchA + " x " + g.batchB
                    + " broadcast in more than two groups of axes)", a.getDevice());
        }
        Tensor ac = as(a, type);
        Tensor bc = as(b, type);
        try {
            DeviceMemory c = CudaGemm.run(ac, bc, null, g.m, g.n, g.k, false, levels, CudaGemm.Act.NONE);
            return Tensor.device(g.out, type, c);
        } finally {
            closeIfCopy(ac, a);
            closeIfCopy(bc, b);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Tensor batchMatMul(Tensor a, Tensor b) {
        MatMulShape.checkBatched(a.getShape(), b.getShape());
        return matMul(a, b);
    }

    /**
     * Folds broadcast batch axes into at most two levels of (size, a stride, b stride), merging
     * neighbours whose strides chain; null when more than two levels remain.
     *
     * @param batch the broadcast batch shape
     * @param batchA the left operand's batch shape
     * @param batchB the right operand's batch shape
     * @param matA elements of one left matrix
     * @param matB elements of one right matrix
     * @return the levels, or null
     */
    static CudaGemm.Batch levels(Shape batch, Shape batchA, Shape batchB, long matA, long matB) {
        int rank = batch.dimension();
        long[] sa = unitStrides(batchA, batch, matA);
        long[] sb = unitStrides(batchB, batch, matB);
        List<long[]> groups = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            long size = batch.get(i);
            if (size == 1) {
                continue;
            }
            if (!groups.isEmpty()) {
                long[] last = groups.get(groups.size() - 1);
                // (size0, sa0, sb0) followed by (size, sa, sb) is one axis when the outer strides chain
                if (last[1] == sa[i] * size && last[2] == sb[i] * size) {
                    last[0] *= size;
                    last[1] = sa[i];
                    last[2] = sb[i];
                    continue;
                }
            }
            groups.add(new long[] {size, sa[i], sb[i]});
        }
        if (groups.size() > 2) {
            return null;
        }
        while (groups.size() < 2) {
            groups.add(0, new long[] {1, 0, 0});
        }
        long[] g0 = groups.get(0);
        long[] g1 = groups.get(1);
        if (g0[0] * g1[0] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matMul batch " + batch + " is too large");
        }
        return new CudaGemm.Batch((int) g0[0], (int) g1[0], g0[1], g1[1], g0[2], g1[2]);
    }

    /** Element strides of an operand's batch axes within the broadcast batch (0 where broadcast). */
    private static long[] unitStrides(Shape own, Shape batch, long mat) {
        int rank = batch.dimension();
        long[] s = new long[rank];
        long stride = mat;
        for (int i = rank - 1; i >= 0; i--) {
            int j = i - (rank - own.dimension());
            if (j >= 0 && own.get(j) != 1) {
                s[i] = stride;
                stride *= own.get(j);
            }
        }
        return s;
    }
}
