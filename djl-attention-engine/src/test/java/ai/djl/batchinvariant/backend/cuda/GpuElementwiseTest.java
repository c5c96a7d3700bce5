/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CPU;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CUDA;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.TYPES;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.both;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.data;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.down;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.report;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.show;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.up;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
/**
 * The element-wise kernels against the CPU backend over every op, every pair of storage types
 * and shapes with broadcasting, rank 0 and empty arrays: the same result type, the same bits for
 * the exactly rounded operations, a few ulps for the transcendental ones (docs/contract.md), the
 * same exception for the refused inputs. float32 add/sub/mul/div/sqrt are also checked against
 * float64 arithmetic rounded once, a reference independent of both backends.
 */
@Tag("gpu")
class GpuElementwiseTest {

    /** Operations computed by a library function: allowed to differ in the last places. */
    static final Set<UnaryOp> TRANSCENDENTAL = EnumSet.of(UnaryOp.EXP, UnaryOp.LOG, UnaryOp.LOG2, UnaryOp.LOG10,
            UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.GELU, UnaryOp.SIN, UnaryOp.COS, UnaryOp.TAN, UnaryOp.ERF,
            UnaryOp.SOFTPLUS, UnaryOp.CBRT, UnaryOp.SELU);

    /** {a shape, b shape} pairs: equal, broadcast both ways, scalar, rank 0, empty, rank 6. */
    static final Shape[][] SHAPES = {
        {new Shape(37), new Shape(37)},
        {new Shape(3, 1, 5), new Shape(1, 4, 1)},
        {new Shape(2, 3), new Shape()},
        {new Shape(), new Shape()},
        {new Shape(0, 3), new Shape(1, 3)},
        {new Shape(2, 1, 3, 1, 2, 2), new Shape(3, 4, 1, 1)},
        {new Shape(64, 33), new Shape(33)},
    };

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    /** Ulps a result may differ by: 0 for exact operations, else per output width. */
    static long tolerance(boolean exact, DataType out) {
        if (exact) {
            return 0;
        }
        return out == DataType.FLOAT16 || out == DataType.BFLOAT16 ? 1 : 16;
    }

    @Test
    void everyBinaryOpOverEveryTypePairMatchesTheCpu() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 1;
        for (DataType ta : TYPES) {
            for (DataType tb : TYPES) {
                for (Shape[] s : SHAPES) {
                    Tensor a = data(s[0], ta, seed++);
                    Tensor b = data(s[1], tb, seed++);
                    Tensor ga = up(a);
                    Tensor gb = up(b);
                    for (BinaryOp op : BinaryOp.values()) {
                        boolean exact = op != BinaryOp.POW || !isFloat(ta, tb);
                        DataType out = op.isBoolean() ? DataType.BOOLEAN : HostData.isFloating(ta) ? ta : tb;
                        both(failures, op + "(" + ta + ", " + tb + ")", () -> CPU.elementwise().binary(op, a, b),
                                () -> CUDA.elementwise().binary(op, ga, gb), tolerance(exact, out), () -> show(a, b));
                        cases++;
                    }
                    ga.close();
                    gb.close();
                }
            }
        }
        report(failures, cases);
    }

    private static boolean isFloat(DataType a, DataType b) {
        return HostData.isFloating(a) || HostData.isFloating(b);
    }

    @Test
    void everyUnaryOpOverEveryTypeMatchesTheCpu() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 100;
        for (DataType t : TYPES) {
            for (Shape s : new Shape[] {new Shape(257), new Shape(), new Shape(0), new Shape(1), new Shape(3, 5, 7)}) {
                Tensor a = data(s, t, seed++);
                Tensor ga = up(a);
                for (UnaryOp op : UnaryOp.values()) {
                    both(failures, op + "(" + t + ")", () -> CPU.elementwise().unary(op, a),
                            () -> CUDA.elementwise().unary(op, ga), tolerance(!TRANSCENDENTAL.contains(op), t),
                            () -> show(a));
                    cases++;
                }
                for (float alpha : new float[] {0.01f, 1.5f}) {
                    both(failures, "leakyRelu(" + t + ", " + alpha + ")", () -> CPU.elementwise().leakyRelu(a, alpha),
                            () -> CUDA.elementwise().leakyRelu(ga, alpha), 0, () -> show(a));
                    both(failures, "elu(" + t + ", " + alpha + ")", () -> CPU.elementwise().elu(a, alpha),
                            () -> CUDA.elementwise().elu(ga, alpha), 16, () -> show(a));
                    cases += 2;
                }
                for (double v : new double[] {0, 1, Double.NaN}) {
                    boolean c = CPU.elementwise().allEqual(a, v);
                    if (c != CUDA.elementwise().allEqual(ga, v)) {
                        failures.add("allEqual(" + t + " " + s + ", " + v + "): CPU " + c + "\n  inputs: " + show(a));
                    }
                    cases++;
                }
                ga.close();
            }
        }
        report(failures, cases);
    }

    @Test
    void whereOverTypesAndBroadcastsMatchesTheCpu() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 500;
        for (DataType tc : new DataType[] {DataType.BOOLEAN, DataType.FLOAT32, DataType.INT64}) {
            for (DataType ta : TYPES) {
                for (DataType tb : TYPES) {
                    Tensor c = data(new Shape(4, 1), tc, seed++);
                    Tensor a = data(new Shape(3), ta, seed++);
                    Tensor b = data(new Shape(1, 1), tb, seed++);
                    Tensor gc = up(c);
                    Tensor ga = up(a);
                    Tensor gb = up(b);
                    both(failures, "where(" + tc + ", " + ta + ", " + tb + ")", () -> CPU.elementwise().where(c, a, b),
                            () -> CUDA.elementwise().where(gc, ga, gb), 0, () -> show(c, a, b));
                    cases++;
                    gc.close();
                    ga.close();
                    gb.close();
                }
            }
        }
        report(failures, cases);
    }

    @Test
    void whereKeepsInt64PastDoublesExactly() {
        long big = (1L << 60) + 1;
        Tensor c = Tensor.host(new Shape(3), DataType.BOOLEAN, new byte[] {1, 0, 1});
        Tensor a = Tensor.host(new Shape(3), DataType.INT64, new long[] {big, 5, -big - 2});
        Tensor b = Tensor.host(new Shape(), DataType.INT32, new int[] {-7});
        long[] want = {big, -7, -big - 2};
        assertArrayEquals(want, (long[]) CPU.elementwise().where(c, a, b).hostData());
        assertArrayEquals(want,
                (long[]) down(CUDA.elementwise().where(up(c), up(a), up(b))).hostData());
    }

    @Test
    void float32ArithmeticIsFloat64ArithmeticRoundedOnce() {
        Tensor a = data(new Shape(4096), DataType.FLOAT32, 7);
        Tensor b = data(new Shape(4096), DataType.FLOAT32, 8);
        float[] x = (float[]) a.hostData();
        float[] y = (float[]) b.hostData();
        Tensor ga = up(a);
        Tensor gb = up(b);
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV};
        for (BinaryOp op : ops) {
            float[] g = (float[]) down(CUDA.elementwise().binary(op, ga, gb)).hostData();
            for (int i = 0; i < x.length; i++) {
                double r = op == BinaryOp.ADD ? (double) x[i] + y[i] : op == BinaryOp.SUB ? (double) x[i] - y[i]
                        : op == BinaryOp.MUL ? (double) x[i] * y[i] : (double) x[i] / y[i];
                float want = (float) r;
                assertTrue(Float.floatToIntBits(want) == Float.floatToIntBits(g[i]),
                        op + " at " + i + ": " + x[i] + ", " + y[i] + " gives " + g[i] + ", float64 rounded " + want);
            }
        }
        float[] s = (float[]) down(CUDA.elementwise().unary(UnaryOp.SQRT, ga)).hostData();
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits((float) Math.sqrt(x[i])), Float.floatToIntBits(s[i]), "sqrt " + x[i]);
        }
        ga.close();
        gb.close();
    }

    @Test
    void integerArithmeticWrapsAndModuloByZeroThrows() {
        Tensor a = Tensor.host(new Shape(3), DataType.INT8, new byte[] {127, -128, 7});
        Tensor b = Tensor.host(new Shape(3), DataType.INT8, new byte[] {1, -1, -2});
        Tensor ga = up(a);
        Tensor gb = up(b);
        byte[] sum = (byte[]) down(CUDA.elementwise().binary(BinaryOp.ADD, ga, gb)).hostData();
        assertEquals(-128, sum[0]); // 127 + 1 wraps, as int8 storage does in PyTorch
        assertEquals(127, sum[1]);
        byte[] mod = (byte[]) down(CUDA.elementwise().binary(BinaryOp.MOD, ga, gb)).hostData();
        assertEquals(-1, mod[2]); // floor modulo takes the divisor's sign: 7 mod -2 = -1
        Tensor z = up(Tensor.host(new Shape(3), DataType.INT8, new byte[] {1, 0, 1}));
        Object r = GpuCompare.outcome(() -> CUDA.elementwise().binary(BinaryOp.MOD, ga, z));
        assertEquals("EngineException: ZeroDivisionError", r);
        ga.close();
        gb.close();
        z.close();
    }

    @Test
    void aRowComputedAloneHasTheBitsItHasInABatch() {
        Tensor batch = data(new Shape(16, 129), DataType.FLOAT32, 42);
        Tensor row = Tensor.host(new Shape(1, 129), DataType.FLOAT32,
                java.util.Arrays.copyOfRange((float[]) batch.hostData(), 5 * 129, 6 * 129));
        Tensor bias = data(new Shape(129), DataType.FLOAT32, 43);
        Tensor gBatch = up(batch);
        Tensor gRow = up(row);
        Tensor gBias = up(bias);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.GELU, UnaryOp.TANH}) {
            float[] all = (float[]) down(CUDA.elementwise().unary(op, gBatch)).hostData();
            float[] one = (float[]) down(CUDA.elementwise().unary(op, gRow)).hostData();
            float[] other = java.util.Arrays.copyOfRange(all, 4 * 129, 5 * 129);
            float[] mine = java.util.Arrays.copyOfRange(all, 5 * 129, 6 * 129);
            assertEquals(0, rawDiff(mine, one), op + ": row 5 differs between the batch and alone");
            // the inverse case: another row's bits differ, so the comparison can fail
            assertNotEquals(0, rawDiff(other, one), op + ": the inverse case found no difference");
        }
        float[] all = (float[]) down(CUDA.elementwise().binary(BinaryOp.ADD, gBatch, gBias)).hostData();
        float[] one = (float[]) down(CUDA.elementwise().binary(BinaryOp.ADD, gRow, gBias)).hostData();
        assertEquals(0, rawDiff(java.util.Arrays.copyOfRange(all, 5 * 129, 6 * 129), one));
        assertFalse(rawDiff(java.util.Arrays.copyOfRange(all, 0, 129), one) == 0);
        gBatch.close();
        gRow.close();
        gBias.close();
    }

    /** Elements whose bits differ; NaNs compare equal whatever their payload or sign. */
    private static int rawDiff(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i]) ? 1 : 0;
        }
        return n;
    }
}
