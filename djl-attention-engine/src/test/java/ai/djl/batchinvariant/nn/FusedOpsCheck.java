/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.Random;

/**
 * The checks behind the fused decoder ops on one device: {@code siluMul}, {@code rmsNormThenScale}
 * and {@code addRmsNorm} give the bits of the ops they replace (the composition written out
 * with engine ops on the same device), every row equals its solo result, bad input is refused
 * naming the shape or type, and an inverse case (the gate without its intermediate rounding)
 * shows that the bitwise comparison sees a changed rounding.
 */
final class FusedOpsCheck {

    /** Gate widths: vector paths (multiples of 8 and 4) and the element-by-element one. */
    static final int[] GATE_WIDTHS = {1, 7, 8, 12, 2048};
    /** Norm widths: register rows, a streaming row (not a multiple of 8), a multi-pass row. */
    static final int[] NORM_WIDTHS = {64, 1001, 2048, 40000};
    static final int[] ROWS = {1, 3, 17};

    private FusedOpsCheck() {}

    static void all(NDManager m) {
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16, DataType.FLOAT64}) {
            for (int h : GATE_WIDTHS) {
                for (int rows : ROWS) {
                    siluMul(m, t, rows, h);
                }
            }
        }
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16}) {
            for (int n : NORM_WIDTHS) {
                for (int rows : ROWS) {
                    rmsNorm(m, t, rows, n);
                    addRmsNorm(m, t, rows, n);
                }
            }
        }
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16}) {
            for (int rows : new int[] {1, 3, 77, 300}) {
                interleavedGate(m, t, rows, 1040);
                for (int n : new int[] {32, 48, 1040}) {
                    linearSiluMul(m, t, rows, n, rows == 77 ? 200 : 64);
                }
            }
        }
        badInput(m);
        inverse(m);
    }

    static NDArray random(NDManager m, Random r, Shape s, DataType t) {
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 2);
        }
        return m.create(v, s).toType(t, false);
    }

    private static Tensor tensor(NDArray a) {
        return ((TensorArray) a).tensor();
    }

    private static NDArray wrap(NDArray like, Tensor t) {
        return ((TensorFactory) like.getManager()).wrap(t);
    }

    /** The composed gate, written out with engine ops (GatedMlp's composition). */
    static NDArray composedGate(NDArray gu, boolean roundActivation) {
        long h = gu.getShape().get(gu.getShape().dimension() - 1) / 2;
        return composedGate(gu, (int) h, roundActivation);
    }

    /** The composed gate of 2-D rows whose g and u alternate in blocks. */
    static NDArray composedGate(NDArray gu, int block, boolean roundActivation) {
        long rows = gu.getShape().get(0);
        long h = gu.getShape().get(1) / 2;
        NDArray blocks = gu.reshape(rows, h / block, 2, block);
        NDArray g = blocks.get(new NDIndex(":, :, 0, :")).reshape(rows, h);
        NDArray u = blocks.get(new NDIndex(":, :, 1, :")).reshape(rows, h);
        DataType t = gu.getDataType();
        if (t == DataType.FLOAT16 || t == DataType.BFLOAT16) {
            NDArray g32 = g.toType(DataType.FLOAT32, false);
            NDArray act32 = g32.mul(g32.getNDArrayInternal().sigmoid());
            return roundActivation ? act32.toType(t, false).mul(u)
                    : act32.mul(u.toType(DataType.FLOAT32, false)).toType(t, false);
        }
        return g.mul(g.getNDArrayInternal().sigmoid()).mul(u);
    }

    static void siluMul(NDManager m, DataType t, int rows, int h) {
        Random r = new Random(31L * rows + h);
        NDArray gu = random(m, r, new Shape(rows, 2L * h), t);
        NDArray got = wrap(gu, Backends.of(gu.getDevice()).elementwise().siluMul(tensor(gu)));
        String what = "siluMul " + t + " " + rows + "x" + h;
        assertTrue(got.getShape().equals(new Shape(rows, h)) && got.getDataType() == t, what + ": " + got.getShape());
        assertArrayEquals(composedGate(gu, true).toByteArray(), got.toByteArray(), what + " vs the composed ops");
        byte[] all = got.toByteArray();
        int bytes = t.getNumOfBytes() * h;
        for (int i = 0; i < rows; i++) {
            NDArray row = gu.get(new NDIndex("{}:{}", i, i + 1));
            byte[] solo = wrap(row, Backends.of(row.getDevice()).elementwise().siluMul(tensor(row))).toByteArray();
            assertArrayEquals(solo, Arrays.copyOfRange(all, i * bytes, (i + 1) * bytes), what + ": row " + i + " alone");
        }
    }

    /** siluMul over blocks of 8 against the composed ops on the same blocks. */
    static void interleavedGate(NDManager m, DataType t, int rows, int n) {
        NDArray gu = random(m, new Random(7L * rows + n), new Shape(rows, n), t);
        NDArray got = wrap(gu, Backends.of(gu.getDevice()).elementwise().siluMul(tensor(gu), 8));
        assertArrayEquals(composedGate(gu, 8, true).toByteArray(), got.toByteArray(),
                "siluMul " + t + " " + rows + "x" + n + " in blocks of 8");
    }

    /**
     * linearSiluMul (on the Hopper GPU family, the gate in the product's store) against linear then
     * siluMul in blocks of 8; rows alone against the batch.
     */
    static void linearSiluMul(NDManager m, DataType t, int rows, int n, int k) {
        Random r = new Random(3L * rows + n + k);
        NDArray x = random(m, r, new Shape(rows, k), t);
        NDArray w = random(m, r, new Shape(n, k), t);
        NDArray got = wrap(x, Backends.of(x.getDevice()).linalg().linearSiluMul(tensor(x), tensor(w)));
        Tensor y = Backends.of(x.getDevice()).linalg().linear(tensor(x), tensor(w), null);
        NDArray want = wrap(x, Backends.of(x.getDevice()).elementwise().siluMul(y, 8));
        String what = "linearSiluMul " + t + " " + rows + "x" + n + "x" + k;
        assertArrayEquals(want.toByteArray(), got.toByteArray(), what + " vs linear then siluMul");
        byte[] all = got.toByteArray();
        int bytes = t.getNumOfBytes() * n / 2;
        for (int i : new int[] {0, rows - 1}) {
            NDArray row = x.get(new NDIndex("{}:{}", i, i + 1));
            byte[] solo = wrap(row, Backends.of(row.getDevice()).linalg().linearSiluMul(tensor(row), tensor(w)))
                    .toByteArray();
            assertArrayEquals(solo, Arrays.copyOfRange(all, i * bytes, (i + 1) * bytes), what + ": row " + i + " alone");
        }
    }

    static void rmsNorm(NDManager m, DataType t, int rows, int n) {
        Random r = new Random(17L * rows + n);
        NDArray x = random(m, r, new Shape(rows, n), t);
        NDArray w = random(m, r, new Shape(n), t);
        ReductionOps ops = Backends.of(x.getDevice()).reductions();
        NDArray got = wrap(x, ops.rmsNormThenScale(tensor(x), tensor(w), 1e-6f));
        NDArray want = wrap(x, ops.rmsNorm(tensor(x), null, 1e-6f)).mul(w);
        String what = "rmsNormThenScale " + t + " " + rows + "x" + n;
        assertArrayEquals(want.toByteArray(), got.toByteArray(), what + " vs rmsNorm then mul");
        NDArray block = new RmsNorm(w.duplicate(), 1e-6f).forward(x);
        assertArrayEquals(want.toByteArray(), block.toByteArray(), what + ": the RmsNorm block");
        byte[] all = got.toByteArray();
        int bytes = t.getNumOfBytes() * n;
        for (int i = 0; i < rows; i++) {
            NDArray row = x.get(new NDIndex("{}:{}", i, i + 1));
            byte[] solo = wrap(row, ops.rmsNormThenScale(tensor(row), tensor(w), 1e-6f)).toByteArray();
            assertArrayEquals(solo, Arrays.copyOfRange(all, i * bytes, (i + 1) * bytes), what + ": row " + i + " alone");
        }
    }

    static void addRmsNorm(NDManager m, DataType t, int rows, int n) {
        Random r = new Random(13L * rows + n);
        NDArray x = random(m, r, new Shape(rows, n), t);
        NDArray res = random(m, r, new Shape(rows, n), t);
        NDArray w = random(m, r, new Shape(n), t);
        RmsNorm norm = new RmsNorm(w.duplicate(), 1e-6f);
        NDList got = norm.forwardAdd(x, res);
        NDArray sum = x.add(res);
        NDArray want = norm.forward(sum);
        String what = "addRmsNorm " + t + " " + rows + "x" + n;
        assertArrayEquals(sum.toByteArray(), got.get(0).toByteArray(), what + ": the sum vs add");
        assertArrayEquals(want.toByteArray(), got.get(1).toByteArray(), what + ": the norm vs add then norm");
        byte[] all = got.get(1).toByteArray();
        int bytes = t.getNumOfBytes() * n;
        for (int i = 0; i < rows; i++) {
            NDList solo = norm.forwardAdd(x.get(new NDIndex("{}:{}", i, i + 1)), res.get(new NDIndex("{}:{}", i, i + 1)));
            assertArrayEquals(solo.get(1).toByteArray(), Arrays.copyOfRange(all, i * bytes, (i + 1) * bytes),
                    what + ": row " + i + " alone");
        }
    }

    static void badInput(NDManager m) {
        NDArray odd = m.create(new float[] {1, 2, 3}, new Shape(1, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.of(odd.getDevice()).elementwise().siluMul(tensor(odd)));
        assertTrue(e.getMessage().contains("(1, 3)"), e.getMessage());
        NDArray scalar = m.create(1f);
        assertThrows(IllegalArgumentException.class,
                () -> Backends.of(scalar.getDevice()).elementwise().siluMul(tensor(scalar)));
        NDArray ints = m.create(new int[] {1, 2});
        e = assertThrows(IllegalArgumentException.class,
                () -> Backends.of(ints.getDevice()).elementwise().siluMul(tensor(ints)));
        assertTrue(e.getMessage().contains("int32"), e.getMessage());
        NDArray x = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
        NDArray w3 = m.create(new float[] {1, 2, 3});
        e = assertThrows(IllegalArgumentException.class,
                () -> Backends.of(x.getDevice()).reductions().rmsNormThenScale(tensor(x), tensor(w3), 1e-6f));
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
        NDArray y = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2));
        NDArray w2 = m.create(new float[] {1, 2});
        e = assertThrows(IllegalArgumentException.class, () -> Backends.of(x.getDevice()).reductions()
                .addRmsNorm(tensor(x), tensor(y), tensor(w2), 1e-6f));
        assertTrue(e.getMessage().contains("(3, 2)") && e.getMessage().contains("(2, 2)"), e.getMessage());
        NDArray empty = m.create(new float[0], new Shape(0, 4));
        NDArray out = wrap(empty, Backends.of(empty.getDevice()).elementwise().siluMul(tensor(empty)));
        assertTrue(out.getShape().equals(new Shape(0, 2)), out.getShape().toString());
    }

    /** Leaving out the activation's rounding moves bf16 outputs: the bitwise check would see it. */
    static void inverse(NDManager m) {
        NDArray gu = random(m, new Random(5), new Shape(17, 4096), DataType.BFLOAT16);
        NDArray got = wrap(gu, Backends.of(gu.getDevice()).elementwise().siluMul(tensor(gu)));
        assertFalse(Arrays.equals(composedGate(gu, false).toByteArray(), got.toByteArray()),
                "a gate rounded once must differ somewhere from one rounded twice");
    }
}
