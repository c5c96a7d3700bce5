/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

/**
 * The scalar rules of the element-wise kernels in float32, float64 and int64, each against the
 * value Python / PyTorch defines, written out here: floor division and a modulo that takes the
 * divisor's sign, exact integer powers that wrap, negative integer exponents, clip bounds,
 * comparisons and logical operations on truth values, NaN in max / min, and the type promotion
 * table.
 */
class ElementwiseScalarRulesTest {

    @Test
    void float64Arithmetic() {
        assertEquals(5.5, Elementwise.apply(BinaryOp.ADD, 2.25, 3.25));
        assertEquals(-1.0, Elementwise.apply(BinaryOp.SUB, 2.25, 3.25));
        assertEquals(7.3125, Elementwise.apply(BinaryOp.MUL, 2.25, 3.25));
        assertEquals(0.75, Elementwise.apply(BinaryOp.DIV, 2.25, 3.0));
        // Python's modulo: the sign of the divisor
        assertEquals(1.0, Elementwise.apply(BinaryOp.MOD, 7.0, 3.0));
        assertEquals(2.0, Elementwise.apply(BinaryOp.MOD, -7.0, 3.0));
        assertEquals(-2.0, Elementwise.apply(BinaryOp.MOD, 7.0, -3.0));
        assertEquals(-1.0, Elementwise.apply(BinaryOp.MOD, -7.0, -3.0));
        assertEquals(0.5, Elementwise.apply(BinaryOp.MOD, 5.5, 1.0));
        assertEquals(0.0, Math.abs(Elementwise.apply(BinaryOp.MOD, 6.0, 3.0)));
        assertEquals(8.0, Elementwise.apply(BinaryOp.POW, 2.0, 3.0));
        assertEquals(Math.sqrt(2), Elementwise.apply(BinaryOp.POW, 2.0, 0.5), 1e-16);
        assertEquals(3.0, Elementwise.apply(BinaryOp.MAX, -3.0, 3.0));
        assertEquals(-3.0, Elementwise.apply(BinaryOp.MIN, -3.0, 3.0));
        assertTrue(Double.isNaN(Elementwise.apply(BinaryOp.MAX, Double.NaN, 3.0)));
        assertTrue(Double.isNaN(Elementwise.apply(BinaryOp.MIN, 3.0, Double.NaN)));
        assertEquals(2.0, Elementwise.apply(BinaryOp.CLIP_LO, 1.0, 2.0));
        assertEquals(3.0, Elementwise.apply(BinaryOp.CLIP_LO, 3.0, 2.0));
        assertEquals(2.0, Elementwise.apply(BinaryOp.CLIP_HI, 3.0, 2.0));
        assertEquals(1.0, Elementwise.apply(BinaryOp.CLIP_HI, 1.0, 2.0));
        double[][] cmp = {{1, 2}, {2, 2}, {3, 2}};
        double[][] expect = {
            // EQ NEQ GT GTE LT LTE
            {0, 1, 0, 0, 1, 1}, {1, 0, 0, 1, 0, 1}, {0, 1, 1, 1, 0, 0}};
        BinaryOp[] ops = {BinaryOp.EQ, BinaryOp.NEQ, BinaryOp.GT, BinaryOp.GTE, BinaryOp.LT, BinaryOp.LTE};
        for (int i = 0; i < cmp.length; i++) {
            for (int j = 0; j < ops.length; j++) {
                assertEquals(expect[i][j], Elementwise.apply(ops[j], cmp[i][0], cmp[i][1]), ops[j] + " " + i);
                assertEquals((float) expect[i][j], Elementwise.apply(ops[j], (float) cmp[i][0], (float) cmp[i][1]),
                        ops[j] + " float " + i);
                assertEquals((long) expect[i][j], Elementwise.apply(ops[j], (long) cmp[i][0], (long) cmp[i][1]),
                        ops[j] + " long " + i);
            }
        }
        double[][] truth = {{0, 0}, {0, 5}, {-2, 0}, {3, 0.5}};
        double[][] logic = {{0, 0, 0}, {0, 1, 1}, {0, 1, 1}, {1, 1, 0}};
        BinaryOp[] lops = {BinaryOp.AND, BinaryOp.OR, BinaryOp.XOR};
        for (int i = 0; i < truth.length; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(logic[i][j], Elementwise.apply(lops[j], truth[i][0], truth[i][1]), lops[j] + " " + i);
            }
        }
    }

    @Test
    void float32Arithmetic() {
        assertEquals(5.5f, Elementwise.apply(BinaryOp.ADD, 2.25f, 3.25f));
        assertEquals(-1f, Elementwise.apply(BinaryOp.SUB, 2.25f, 3.25f));
        assertEquals(7.3125f, Elementwise.apply(BinaryOp.MUL, 2.25f, 3.25f));
        assertEquals(0.75f, Elementwise.apply(BinaryOp.DIV, 2.25f, 3f));
        assertEquals(2f, Elementwise.apply(BinaryOp.MOD, -7f, 3f));
        assertEquals(-2f, Elementwise.apply(BinaryOp.MOD, 7f, -3f));
        assertEquals(1f, Elementwise.apply(BinaryOp.MOD, 7f, 3f));
        assertEquals(-1f, Elementwise.apply(BinaryOp.MOD, -7f, -3f));
        assertEquals(9f, Elementwise.apply(BinaryOp.POW, 3f, 2f));
        assertEquals(3f, Elementwise.apply(BinaryOp.MAX, 3f, -3f));
        assertEquals(-3f, Elementwise.apply(BinaryOp.MIN, 3f, -3f));
        assertTrue(Float.isNaN(Elementwise.apply(BinaryOp.MAX, 1f, Float.NaN)));
        assertEquals(2f, Elementwise.apply(BinaryOp.CLIP_LO, 1f, 2f));
        assertEquals(3f, Elementwise.apply(BinaryOp.CLIP_LO, 3f, 2f));
        assertEquals(2f, Elementwise.apply(BinaryOp.CLIP_HI, 3f, 2f));
        assertEquals(1f, Elementwise.apply(BinaryOp.CLIP_HI, 1f, 2f));
        assertEquals(1f, Elementwise.apply(BinaryOp.AND, 2f, -1f));
        assertEquals(0f, Elementwise.apply(BinaryOp.XOR, 2f, -1f));
    }

    @Test
    void int64ArithmeticFloorsAndWraps() {
        assertEquals(7, Elementwise.apply(BinaryOp.ADD, 3L, 4L));
        assertEquals(-1, Elementwise.apply(BinaryOp.SUB, 3L, 4L));
        assertEquals(12, Elementwise.apply(BinaryOp.MUL, 3L, 4L));
        assertEquals(Long.MIN_VALUE, Elementwise.apply(BinaryOp.ADD, Long.MAX_VALUE, 1L));
        assertEquals(2, Elementwise.apply(BinaryOp.DIV, 7L, 3L));
        assertEquals(-3, Elementwise.apply(BinaryOp.DIV, -7L, 3L));
        assertEquals(-3, Elementwise.apply(BinaryOp.DIV, 7L, -3L));
        assertEquals(2, Elementwise.apply(BinaryOp.MOD, -7L, 3L));
        assertEquals(-2, Elementwise.apply(BinaryOp.MOD, 7L, -3L));
        assertEquals(1, Elementwise.apply(BinaryOp.MOD, 7L, 3L));
        assertThrows(EngineException.class, () -> Elementwise.apply(BinaryOp.DIV, 1L, 0L));
        assertThrows(EngineException.class, () -> Elementwise.apply(BinaryOp.MOD, 1L, 0L));
        assertEquals(4, Elementwise.apply(BinaryOp.MAX, -4L, 4L));
        assertEquals(-4, Elementwise.apply(BinaryOp.MIN, -4L, 4L));
        assertEquals(2, Elementwise.apply(BinaryOp.CLIP_LO, 1L, 2L));
        assertEquals(3, Elementwise.apply(BinaryOp.CLIP_LO, 3L, 2L));
        assertEquals(2, Elementwise.apply(BinaryOp.CLIP_HI, 3L, 2L));
        assertEquals(1, Elementwise.apply(BinaryOp.CLIP_HI, 1L, 2L));
        assertEquals(1, Elementwise.apply(BinaryOp.OR, 0L, 9L));
        assertEquals(0, Elementwise.apply(BinaryOp.AND, 0L, 9L));
        assertEquals(81, Elementwise.apply(BinaryOp.POW, 3L, 4L));
    }

    @Test
    void integerPowers() {
        assertEquals(1, Elementwise.intPow(5, 0));
        assertEquals(5, Elementwise.intPow(5, 1));
        assertEquals(3125, Elementwise.intPow(5, 5));
        assertEquals(-128, Elementwise.intPow(-2, 7));
        assertEquals(1024, Elementwise.intPow(2, 10));
        assertEquals(1L << 62, Elementwise.intPow(2, 62));
        // wraps like repeated multiplication
        assertEquals(0, Elementwise.intPow(2, 64));
        long wrap = 1;
        for (int i = 0; i < 41; i++) {
            wrap *= 3;
        }
        assertEquals(wrap, Elementwise.intPow(3, 41));
        // negative exponents: 1/x truncated
        assertEquals(1, Elementwise.intPow(1, -3));
        assertEquals(-1, Elementwise.intPow(-1, -3));
        assertEquals(1, Elementwise.intPow(-1, -4));
        assertEquals(0, Elementwise.intPow(2, -1));
        assertEquals(0, Elementwise.intPow(-5, -2));
        assertEquals(0, Elementwise.intPow(0, 3));
    }

    @Test
    void integerUnaries() {
        assertEquals(-5, Elementwise.apply(UnaryOp.NEG, 5L));
        assertEquals(5, Elementwise.apply(UnaryOp.ABS, -5L));
        assertEquals(25, Elementwise.apply(UnaryOp.SQUARE, -5L));
        assertEquals(0, Elementwise.apply(UnaryOp.RELU, -5L));
        assertEquals(5, Elementwise.apply(UnaryOp.RELU, 5L));
        assertEquals(-1, Elementwise.apply(UnaryOp.SIGN, -5L));
        assertEquals(1, Elementwise.apply(UnaryOp.SIGN, 7L));
        assertEquals(0, Elementwise.apply(UnaryOp.SIGN, 0L));
        assertEquals(7, Elementwise.apply(UnaryOp.FLOOR, 7L));
    }

    @Test
    void float32Unaries() {
        assertEquals(-2f, Elementwise.apply(UnaryOp.NEG, 2f));
        assertEquals(2f, Elementwise.apply(UnaryOp.ABS, -2f));
        assertEquals(3f, Elementwise.apply(UnaryOp.LOG2, 8f), 1e-7f);
        assertEquals(2f, Elementwise.apply(UnaryOp.LOG10, 100f), 1e-7f);
        assertEquals(3f, Elementwise.apply(UnaryOp.SQRT, 9f));
        assertEquals(6.25f, Elementwise.apply(UnaryOp.SQUARE, -2.5f));
        assertEquals(0f, Elementwise.apply(UnaryOp.RELU, -2f));
        assertEquals(2f, Elementwise.apply(UnaryOp.RELU, 2f));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Elementwise.apply(UnaryOp.RELU, -0f)));
        assertTrue(Float.isNaN(Elementwise.apply(UnaryOp.RELU, Float.NaN)));
        assertEquals((float) Math.sin(1), Elementwise.apply(UnaryOp.SIN, 1f), 1e-7f);
        assertEquals((float) Math.cos(1), Elementwise.apply(UnaryOp.COS, 1f), 1e-7f);
        assertEquals((float) Math.tan(1), Elementwise.apply(UnaryOp.TAN, 1f), 1e-6f);
        assertEquals(-3f, Elementwise.apply(UnaryOp.FLOOR, -2.5f));
        assertEquals(-2f, Elementwise.apply(UnaryOp.CEIL, -2.5f));
        // round half to even, as PyTorch
        assertEquals(2f, Elementwise.apply(UnaryOp.ROUND, 2.5f));
        assertEquals(-4f, Elementwise.apply(UnaryOp.ROUND, -3.5f));
        assertEquals(-2f, Elementwise.apply(UnaryOp.TRUNC, -2.7f));
        assertEquals(2f, Elementwise.apply(UnaryOp.TRUNC, 2.7f));
        assertEquals(-1f, Elementwise.apply(UnaryOp.SIGN, -0.1f));
        assertEquals(1f, Elementwise.apply(UnaryOp.SIGN, 3f));
        assertEquals(0.8427008f, Elementwise.apply(UnaryOp.ERF, 1f), 1e-7f);
        assertEquals((float) Math.log1p(Math.exp(1)), Elementwise.apply(UnaryOp.SOFTPLUS, 1f), 1e-6f);
        assertEquals(25f, Elementwise.apply(UnaryOp.SOFTPLUS, 25f));
        assertEquals(3f, Elementwise.apply(UnaryOp.CBRT, 27f), 1e-6f);
        assertEquals(1f, Elementwise.apply(UnaryOp.NOT, 0f));
        assertEquals(0f, Elementwise.apply(UnaryOp.NOT, -1f));
        assertEquals(1f, Elementwise.apply(UnaryOp.ISNAN, Float.NaN));
        assertEquals(0f, Elementwise.apply(UnaryOp.ISNAN, 1f));
        assertEquals(1f, Elementwise.apply(UnaryOp.ISINF, Float.NEGATIVE_INFINITY));
        assertEquals(0f, Elementwise.apply(UnaryOp.ISINF, Float.NaN));
        // x * Phi(x), Phi(1.5) = 0.9331927987311419 (the normal table)
        double gelu = 1.5 * 0.9331927987311419;
        assertEquals((float) gelu, Elementwise.apply(UnaryOp.GELU, 1.5f), 1e-6f);
        assertEquals((float) (1.0507009873554805 * 2), Elementwise.apply(UnaryOp.SELU, 2f), 1e-6f);
        assertEquals((float) (1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1)),
                Elementwise.apply(UnaryOp.SELU, -1f), 1e-6f);
    }

    @Test
    void promotion() {
        assertEquals(DataType.BOOLEAN, Elementwise.promote(DataType.BOOLEAN, DataType.BOOLEAN));
        assertEquals(DataType.INT8, Elementwise.promote(DataType.INT8, DataType.INT8));
        assertEquals(DataType.FLOAT16, Elementwise.promote(DataType.FLOAT16, DataType.INT64));
        assertEquals(DataType.FLOAT16, Elementwise.promote(DataType.INT32, DataType.FLOAT16));
        assertEquals(DataType.FLOAT64, Elementwise.promote(DataType.FLOAT32, DataType.FLOAT64));
        assertEquals(DataType.FLOAT64, Elementwise.promote(DataType.FLOAT64, DataType.FLOAT16));
        assertEquals(DataType.FLOAT32, Elementwise.promote(DataType.FLOAT16, DataType.BFLOAT16));
        assertEquals(DataType.INT32, Elementwise.promote(DataType.BOOLEAN, DataType.INT32));
        assertEquals(DataType.UINT8, Elementwise.promote(DataType.UINT8, DataType.BOOLEAN));
        assertEquals(DataType.INT64, Elementwise.promote(DataType.INT8, DataType.INT32));
        assertEquals(DataType.INT64, Elementwise.promote(DataType.UINT8, DataType.INT8));
    }
}
