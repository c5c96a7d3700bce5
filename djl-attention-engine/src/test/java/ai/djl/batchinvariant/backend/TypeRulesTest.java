/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/**
 * The backend-independent type rules, against PyTorch's answers written out here (the
 * differential suite checks the same against the PyTorch engine itself).
 */
class TypeRulesTest {

    @Test
    void promotionFollowsPyTorchsCategories() {
        assertEquals(DataType.FLOAT16, TypeRules.promote(DataType.FLOAT16, DataType.INT64));
        assertEquals(DataType.FLOAT32, TypeRules.promote(DataType.FLOAT16, DataType.BFLOAT16));
        assertEquals(DataType.FLOAT64, TypeRules.promote(DataType.FLOAT32, DataType.FLOAT64));
        assertEquals(DataType.INT8, TypeRules.promote(DataType.BOOLEAN, DataType.INT8));
        assertEquals(DataType.INT64, TypeRules.promote(DataType.INT32, DataType.UINT8));
        assertEquals(DataType.BOOLEAN, TypeRules.promote(DataType.BOOLEAN, DataType.BOOLEAN));
    }

    @Test
    void computeTypesAndArithmetic() {
        assertEquals(DataType.FLOAT32, TypeRules.binaryCompute(BinaryOp.DIV, DataType.INT32, DataType.INT32));
        assertEquals(DataType.FLOAT64, TypeRules.binaryCompute(BinaryOp.AND, DataType.INT8, DataType.INT8));
        assertEquals(TypeRules.Arith.LONG, TypeRules.binaryArith(BinaryOp.ADD, DataType.INT32));
        assertEquals(TypeRules.Arith.DOUBLE, TypeRules.binaryArith(BinaryOp.LT, DataType.FLOAT16));
        assertEquals(TypeRules.Arith.FLOAT, TypeRules.binaryArith(BinaryOp.MUL, DataType.BFLOAT16));
        assertEquals(DataType.INT64, TypeRules.unaryResult(UnaryOp.SQUARE, DataType.BOOLEAN));
        assertEquals(DataType.FLOAT32, TypeRules.unaryResult(UnaryOp.EXP, DataType.INT32));
        assertEquals(DataType.BOOLEAN, TypeRules.unaryResult(UnaryOp.ISNAN, DataType.FLOAT16));
        assertEquals(TypeRules.Arith.LONG, TypeRules.unaryArith(UnaryOp.ABS, DataType.INT8));
        assertEquals(TypeRules.Arith.FLOAT, TypeRules.unaryArith(UnaryOp.EXP, DataType.INT8));
        assertEquals(TypeRules.Arith.LONG, TypeRules.conversion(DataType.INT64, DataType.INT8));
        assertEquals(TypeRules.Arith.DOUBLE, TypeRules.conversion(DataType.FLOAT16, DataType.INT32));
        assertEquals(TypeRules.Arith.FLOAT, TypeRules.conversion(DataType.INT64, DataType.BFLOAT16));
        assertTrue(TypeRules.geluInfIsNaN(UnaryOp.GELU, DataType.BFLOAT16, 2));
        assertTrue(!TypeRules.geluInfIsNaN(UnaryOp.GELU, DataType.FLOAT32, 1));
    }

    /** Every type the backends hold. */
    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16,
        DataType.INT8, DataType.UINT8, DataType.INT32, DataType.INT64, DataType.BOOLEAN};

    @Test
    void theCpuBackendProducesTheTypesTheRulesPredict() {
        // the GPU backend allocates its outputs from these rules: they must be the CPU's types
        for (DataType ta : TYPES) {
            Tensor a = Tensor.host(new Shape(2), ta, HostData.allocate(ta, 2));
            for (UnaryOp op : UnaryOp.values()) {
                if (ta == DataType.BOOLEAN && (op == UnaryOp.NEG || op == UnaryOp.RELU)) {
                    continue;
                }
                assertEquals(TypeRules.unaryResult(op, ta), CpuBackend.INSTANCE.elementwise().unary(op, a).getDataType(),
                        op + " of " + ta);
            }
            for (DataType tb : TYPES) {
                Tensor b = Tensor.host(new Shape(2), tb, HostData.allocate(tb, 2));
                for (BinaryOp op : BinaryOp.values()) {
                    if (op == BinaryOp.SUB && (ta == DataType.BOOLEAN || tb == DataType.BOOLEAN)
                            || op == BinaryOp.MOD && !HostData.isFloating(TypeRules.promote(ta, tb))) {
                        continue; // refused, or a modulo by the zeros above
                    }
                    DataType want = op.isBoolean() ? DataType.BOOLEAN : TypeRules.binaryCompute(op, ta, tb);
                    assertEquals(want, CpuBackend.INSTANCE.elementwise().binary(op, a, b).getDataType(),
                            op + "(" + ta + ", " + tb + ")");
                }
            }
        }
    }

    @Test
    void refusalsAndMessagesNameTheProblem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TypeRules.binaryCompute(BinaryOp.SUB, DataType.BOOLEAN, DataType.INT32));
        assertTrue(e.getMessage().contains("bool"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TypeRules.checkUnary(UnaryOp.NEG, DataType.BOOLEAN));
        assertTrue(e.getMessage().startsWith("neg of a boolean"), e.getMessage());
        assertEquals("embedding index -9 is out of range [0, 5)", TypeRules.indexOutOfRange("embedding index", -9, 5));
    }
}
