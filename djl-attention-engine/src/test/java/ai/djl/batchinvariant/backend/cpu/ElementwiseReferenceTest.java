/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.cpu.Elementwise.Binary;
import ai.djl.batchinvariant.backend.cpu.Elementwise.Unary;
import ai.djl.batchinvariant.tensor.Half;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * Element-wise operations against values written here: each binary operation in float, double and
 * long arithmetic (Python's sign-of-divisor modulo and floor division, comparisons and logic as
 * 0/1), each unary operation against its float64 definition, the promotion table, broadcasting
 * along either operand, and the typed paths (integers kept, booleans out, half precision).
 */
class ElementwiseReferenceTest {

    private static final float[][] PAIRS = {
        {7f, 3f}, {-7f, 3f}, {7f, -3f}, {-7f, -3f}, {6f, 3f}, {-6f, 3f}, {2.5f, 0.5f}, {0f, 5f}, {3f, 3f}, {1.5f, -2f}
    };

    /** The float64 value of a binary op, from its definition (Python semantics for MOD). */
    private static double want(Binary op, double a, double b) {
        switch (op) {
            case ADD:
                return a + b;
            case SUB:
                return a - b;
            case MUL:
                return a * b;
            case DIV:
                return a / b;
            case MOD:
                return a - Math.floor(a / b) * b;
            case POW:
                return Math.pow(a, b);
            case MAX:
                return a >= b ? a : b;
            case MIN:
                return a <= b ? a : b;
            case EQ:
                return a == b ? 1 : 0;
            case NEQ:
                return a == b ? 0 : 1;
            case GT:
                return a > b ? 1 : 0;
            case GTE:
                return a < b ? 0 : 1;
            case LT:
                return b > a ? 1 : 0;
            case LTE:
                return b < a ? 0 : 1;
            case AND:
                return a == 0 || b == 0 ? 0 : 1;
            case OR:
                return a == 0 && b == 0 ? 0 : 1;
            default: // XOR
                return (a == 0 ? 0 : 1) + (b == 0 ? 0 : 1) == 1 ? 1 : 0;
        }
    }

    @Test
    void binaryOpsInFloatDoubleAndLong() {
        for (Binary op : Binary.values()) {
            for (float[] p : PAIRS) {
                double w = want(op, p[0], p[1]);
                String what = op + "(" + p[0] + ", " + p[1] + ")";
                assertEquals(w, op.apply(p[0], p[1]), 1e-6 * (1 + Math.abs(w)), what + " float");
                assertEquals(w, op.apply((double) p[0], (double) p[1]), 1e-12 * (1 + Math.abs(w)), what + " double");
                if (p[0] == Math.rint(p[0]) && p[1] == Math.rint(p[1]) && p[1] != 0) {
                    long a = (long) p[0];
                    long b = (long) p[1];
                    double wl = op == Binary.DIV ? Math.floor((double) a / b) : w;
                    assertEquals((long) wl, op.apply(a, b), what + " long");
                }
            }
        }
        assertThrows(ArithmeticException.class, () -> Binary.DIV.apply(1L, 0L));
        assertThrows(ArithmeticException.class, () -> Binary.MOD.apply(1L, 0L));
        assertEquals(Float.POSITIVE_INFINITY, Binary.DIV.apply(1f, 0f));
        // MOD with a zero remainder keeps it (no divisor added) in every arithmetic
        // (the sign of that zero is not pinned: Java's % gives -0, PyTorch's remainder +0)
        assertEquals(0f, Binary.MOD.apply(-6f, 3f), 0f);
        assertEquals(0.0, Binary.MOD.apply(-6.0, 3.0), 0.0);
        assertEquals(0L, Binary.MOD.apply(-6L, 3L));
        assertEquals(1L << 40, Binary.POW.apply(2L, 40L));
    }

    @Test
    void booleanOpsAreTheComparisonsAndLogic() {
        for (Binary op : Binary.values()) {
            boolean bool = op.ordinal() >= Binary.EQ.ordinal();
            assertEquals(bool, op.isBoolean(), op.toString());
        }
    }

    /** The float64 value of a unary op, from its definition. */
    private static double want(Unary op, double x) {
        switch (op) {
            case NEG:
                return -x;
            case ABS:
                return x < 0 ? -x : x;
            case EXP:
                return Math.exp(x);
            case LOG:
                return Math.log(x);
            case LOG2:
                return Math.log(x) / Math.log(2);
            case LOG10:
                return Math.log(x) / Math.log(10);
            case SQRT:
                return Math.sqrt(x);
            case SQUARE:
                return x * x;
            case TANH:
                return Math.tanh(x);
            case SIGMOID:
                return 1 / (1 + Math.exp(-x));
            case RELU:
                return x > 0 ? x : 0;
            case GELU:
                return x * 0.5 * (1 + erf(x / Math.sqrt(2)));
            case SIN:
                return Math.sin(x);
            case COS:
                return Math.cos(x);
            case TAN:
                return Math.tan(x);
            case FLOOR:
                return Math.floor(x);
            case CEIL:
                return Math.ceil(x);
            case ROUND:
                return Math.rint(x);
            case TRUNC:
                return x < 0 ? -Math.floor(-x) : Math.floor(x);
            case SIGN:
                return x > 0 ? 1 : x < 0 ? -1 : 0;
            case ERF:
                return erf(x);
            case SOFTPLUS:
                return Math.log1p(Math.exp(x));
            case CBRT:
                return Math.cbrt(x);
            case NOT:
                return x == 0 ? 1 : 0;
            case ISNAN:
                return x != x ? 1 : 0;
            default: // ISINF
                return x == Double.POSITIVE_INFINITY || x == Double.NEGATIVE_INFINITY ? 1 : 0;
        }
    }

    /** erf = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (2n+1)!! (positive terms only); +-1 beyond 6. */
    private static double erf(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double term = x;
        double sum = 0;
        for (int n = 0; n < 400; n++) {
            sum += term;
            term *= 2 * x * x / (2 * n + 3);
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    @Test
    void unaryOpsAgainstTheirDefinitions() {
        float[] xs = {-2.5f, -1.5f, -0.7f, -0f, 0f, 0.3f, 0.5f, 1.5f, 2.5f, 3.7f, 25f};
        for (Unary op : Unary.values()) {
            for (float x : xs) {
                if ((op == Unary.LOG || op == Unary.LOG2 || op == Unary.LOG10 || op == Unary.SQRT) && x <= 0) {
                    continue;
                }
                double w = want(op, x);
                float got = op.apply(x);
                assertEquals(w, got, 3e-7 * (1 + Math.abs(w)), op + "(" + x + ")");
            }
        }
        assertTrue(Float.isNaN(Unary.LOG.apply(-1f)));
        assertEquals(1f, Unary.ISNAN.apply(Float.NaN));
        assertEquals(1f, Unary.ISINF.apply(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Unary.ISINF.apply(Float.NaN));
        assertEquals(0f, Unary.ISINF.apply(3f));
        // SOFTPLUS of a large argument is the argument (no overflow through exp)
        assertEquals(100f, Unary.SOFTPLUS.apply(100f));
        assertEquals(20.000000002, Unary.SOFTPLUS.apply(20f), 2e-6);
        for (long x : new long[] {-5, -1, 0, 1, 7}) {
            assertEquals(-x, Unary.NEG.apply(x));
            assertEquals(Math.abs(x), Unary.ABS.apply(x));
            assertEquals(x * x, Unary.SQUARE.apply(x));
            assertEquals(x > 0 ? x : 0, Unary.RELU.apply(x));
            assertEquals(Long.compare(x, 0), Unary.SIGN.apply(x));
            assertEquals(x, Unary.FLOOR.apply(x));
        }
    }

    @Test
    void integerKeepingAndBooleanOps() {
        for (Unary op : Unary.values()) {
            boolean keeps = op == Unary.NEG || op == Unary.ABS || op == Unary.SQUARE || op == Unary.RELU
                    || op == Unary.FLOOR || op == Unary.CEIL || op == Unary.ROUND || op == Unary.TRUNC
                    || op == Unary.SIGN;
            assertEquals(keeps, op.keepsIntegers(), op.toString());
            boolean bool = op == Unary.NOT || op == Unary.ISNAN || op == Unary.ISINF;
            assertEquals(bool, op.isBoolean(), op.toString());
        }
        // integers through an integer-keeping op stay integers, exactly
        Elementwise.Result r = Elementwise.unary(new long[] {-3_000_000_000L, 4}, DataType.INT64, 2, Unary.SQUARE);
        assertSame(DataType.INT64, r.type());
        assertArrayEquals(new long[] {9_000_000_000_000_000_000L, 16}, (long[]) r.data());
        r = Elementwise.unary(new int[] {-3, 4}, DataType.INT32, 2, Unary.ABS);
        assertSame(DataType.INT32, r.type());
        assertArrayEquals(new int[] {3, 4}, (int[]) r.data());
        // integers through a float op become float32
        r = Elementwise.unary(new int[] {1, 4}, DataType.INT32, 2, Unary.SQRT);
        assertSame(DataType.FLOAT32, r.type());
        assertArrayEquals(new float[] {1f, 2f}, (float[]) r.data());
        // boolean ops give booleans whatever the input
        r = Elementwise.unary(new float[] {0f, Float.NaN, 2f}, DataType.FLOAT32, 3, Unary.ISNAN);
        assertSame(DataType.BOOLEAN, r.type());
        assertArrayEquals(new byte[] {0, 1, 0}, (byte[]) r.data());
        r = Elementwise.unary(new int[] {0, 5}, DataType.INT32, 2, Unary.NOT);
        assertSame(DataType.BOOLEAN, r.type());
        assertArrayEquals(new byte[] {1, 0}, (byte[]) r.data());
        // float64 stays float64
        r = Elementwise.unary(new double[] {4.0, 9.0}, DataType.FLOAT64, 2, Unary.SQRT);
        assertSame(DataType.FLOAT64, r.type());
        assertArrayEquals(new double[] {2.0, 3.0}, (double[]) r.data());
        // float16 stays float16: 2.25 and -0.5 are exact in half precision
        short[] h = {Half.toFloat16(1.5f), Half.toFloat16(-0.5f)};
        r = Elementwise.unary(h, DataType.FLOAT16, 2, Unary.SQUARE);
        assertSame(DataType.FLOAT16, r.type());
        short[] hs = (short[]) r.data();
        assertEquals(2.25f, Half.fromFloat16(hs[0]));
        assertEquals(0.25f, Half.fromFloat16(hs[1]));
    }

    @Test
    void promotionTable() {
        DataType f32 = DataType.FLOAT32;
        DataType f64 = DataType.FLOAT64;
        DataType f16 = DataType.FLOAT16;
        DataType i32 = DataType.INT32;
        DataType i64 = DataType.INT64;
        DataType u8 = DataType.UINT8;
        DataType b = DataType.BOOLEAN;
        assertSame(b, Elementwise.promote(b, b));
        assertSame(i32, Elementwise.promote(i32, i32));
        assertSame(f16, Elementwise.promote(f16, f16));
        assertSame(f32, Elementwise.promote(f32, i64));
        assertSame(f32, Elementwise.promote(i64, f32));
        assertSame(f16, Elementwise.promote(i32, f16));
        assertSame(f64, Elementwise.promote(f32, f64));
        assertSame(f64, Elementwise.promote(f64, f16));
        assertSame(f32, Elementwise.promote(f16, f32));
        assertSame(f32, Elementwise.promote(DataType.BFLOAT16, f16));
        assertSame(i32, Elementwise.promote(b, i32));
        assertSame(u8, Elementwise.promote(u8, b));
        assertSame(i64, Elementwise.promote(i32, u8));
        assertSame(i64, Elementwise.promote(DataType.INT8, i32));
    }

    @Test
    void binaryBroadcastsEitherOperandAndTypes() {
        // (2,3) + (3): b broadcast along rows
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] row = {10, 20, 30};
        Shape out = new Shape(2, 3);
        float[] got = (float[]) Elementwise.binary(a, DataType.FLOAT32, out, row, DataType.FLOAT32, new Shape(3),
                Binary.SUB, DataType.FLOAT32, out);
        assertArrayEquals(new float[] {-9, -18, -27, -6, -15, -24}, got);
        // (2,1) * (2,3): a broadcast along columns
        float[] col = {2, -1};
        got = (float[]) Elementwise.binary(col, DataType.FLOAT32, new Shape(2, 1), a, DataType.FLOAT32, out,
                Binary.MUL, DataType.FLOAT32, out);
        assertArrayEquals(new float[] {2, 4, 6, -4, -5, -6}, got);
        // same shapes
        got = (float[]) Elementwise.binary(a, DataType.FLOAT32, out, a, DataType.FLOAT32, out,
                Binary.ADD, DataType.FLOAT32, out);
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, got);
        // comparison: boolean out, computed from float32 inputs
        byte[] cmp = (byte[]) Elementwise.binary(a, DataType.FLOAT32, out, new float[] {3}, DataType.FLOAT32,
                new Shape(1), Binary.GT, DataType.FLOAT32, out);
        assertArrayEquals(new byte[] {0, 0, 0, 1, 1, 1}, cmp);
        // integer arithmetic: floor division and Python modulo, exact beyond 2^24
        long[] li = {-7, 7, 1L << 40};
        long[] lj = {2, -2, 3};
        long[] q = (long[]) Elementwise.binary(li, DataType.INT64, new Shape(3), lj, DataType.INT64, new Shape(3),
                Binary.DIV, DataType.INT64, new Shape(3));
        assertArrayEquals(new long[] {-4, -4, (1L << 40) / 3}, q);
        long[] md = (long[]) Elementwise.binary(li, DataType.INT64, new Shape(3), lj, DataType.INT64, new Shape(3),
                Binary.MOD, DataType.INT64, new Shape(3));
        assertArrayEquals(new long[] {1, -1, (1L << 40) % 3}, md);
        // mixed int32 + float32 computed in float32
        float[] mixed = (float[]) Elementwise.binary(new int[] {1, 2}, DataType.INT32, new Shape(2),
                new float[] {0.5f, 0.25f}, DataType.FLOAT32, new Shape(2), Binary.ADD, DataType.FLOAT32, new Shape(2));
        assertArrayEquals(new float[] {1.5f, 2.25f}, mixed);
        // float64 arithmetic keeps double precision
        double[] d = (double[]) Elementwise.binary(new double[] {1e-10}, DataType.FLOAT64, new Shape(1),
                new float[] {1f}, DataType.FLOAT32, new Shape(1), Binary.ADD, DataType.FLOAT64, new Shape(1));
        assertEquals(1.0000000001, d[0], 1e-16);
        // comparisons of int64 beyond float precision are exact (done in double, not float)
        byte[] eq = (byte[]) Elementwise.binary(new long[] {(1L << 30) + 1}, DataType.INT64, new Shape(1),
                new long[] {1L << 30}, DataType.INT64, new Shape(1), Binary.EQ, DataType.INT64, new Shape(1));
        assertArrayEquals(new byte[] {0}, eq);
        // float16 arithmetic stored as float16
        short[] h = (short[]) Elementwise.binary(
                new short[] {Half.toFloat16(1.5f)}, DataType.FLOAT16, new Shape(1),
                new short[] {Half.toFloat16(0.25f)}, DataType.FLOAT16, new Shape(1),
                Binary.MUL, DataType.FLOAT16, new Shape(1));
        assertEquals(0.375f, Half.fromFloat16(h[0]));
    }
}
