/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * The argument rules of {@link ShapeArgs}, {@link ValueArgs} and {@link InPlaceCast} at their
 * edges, against the limits PyTorch states (axis ranges, integer type bounds, kind order of
 * in-place results), each written out here rather than read from the code.
 */
class ArgRulesTest {

    @Test
    void axisRangeIsMinusRankToRankMinusOne() {
        assertEquals(0, ShapeArgs.axis(0, 3));
        assertEquals(2, ShapeArgs.axis(2, 3));
        assertEquals(2, ShapeArgs.axis(-1, 3));
        assertEquals(0, ShapeArgs.axis(-3, 3));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.axis(3, 3));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.axis(-4, 3));
        // rank 0 takes 0 and -1, nothing else
        assertEquals(0, ShapeArgs.axis(0, 0));
        assertEquals(0, ShapeArgs.axis(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.axis(1, 0));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.axis(-2, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShapeArgs.axis(5, 2));
        assertTrue(e.getMessage().contains("[-2, 1]"), e.getMessage());
        assertTrue(e.getMessage().contains("got 5"), e.getMessage());
    }

    @Test
    void reduceAxesRefusesRepeatsAndCollapsesRankZero() {
        assertNull(ShapeArgs.reduceAxes(null, 3));
        int[] axes = {0, -1};
        assertArrayEquals(axes, ShapeArgs.reduceAxes(axes, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapeArgs.reduceAxes(new int[] {1, -2}, 3));
        assertTrue(e.getMessage().contains("dim 1 appears multiple times"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.reduceAxes(new int[] {0, 0}, 2));
        assertNull(ShapeArgs.reduceAxes(new int[] {0}, 0));
        assertNull(ShapeArgs.reduceAxes(new int[] {-1}, 0));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.reduceAxes(new int[] {0, -1}, 0));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.reduceAxes(new int[] {2}, 2));
    }

    @Test
    void squeezeDropsOnlyNamedUnitAxes() {
        assertEquals(new Shape(2, 3), ShapeArgs.squeeze(new Shape(2, 1, 3), new int[] {1}));
        assertEquals(new Shape(2, 1, 3), ShapeArgs.squeeze(new Shape(2, 1, 3), new int[] {0}));
        assertEquals(new Shape(2, 3), ShapeArgs.squeeze(new Shape(2, 3, 1), new int[] {-1}));
        assertEquals(new Shape(3), ShapeArgs.squeeze(new Shape(1, 3, 1), new int[] {0, 2}));
        assertEquals(new Shape(), ShapeArgs.squeeze(new Shape(), new int[] {0}));
        assertEquals(new Shape(), ShapeArgs.squeeze(new Shape(1), new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.squeeze(new Shape(2, 1), new int[] {2}));
    }

    @Test
    void swapPermutesTwoAxes() {
        assertArrayEquals(new int[] {2, 1, 0}, ShapeArgs.swap(3, 0, -1));
        assertArrayEquals(new int[] {0, 2, 1}, ShapeArgs.swap(3, 2, 1));
        assertArrayEquals(new int[] {0, 1}, ShapeArgs.swap(2, 1, 1));
        assertNull(ShapeArgs.swap(0, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.swap(2, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.swap(2, -3, 0));
    }

    @Test
    void tileAndRepeatChecks() {
        assertDoesNotThrow(() -> ShapeArgs.checkTile(new Shape(2, 3), new long[] {1, 2}));
        assertDoesNotThrow(() -> ShapeArgs.checkTile(new Shape(2, 3), new long[] {1, 1, 2}));
        assertDoesNotThrow(() -> ShapeArgs.checkTile(new Shape(), new long[] {}));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.checkTile(new Shape(2, 3), new long[] {2}));
        assertDoesNotThrow(() -> ShapeArgs.checkRepeat(new Shape(1)));
        assertThrows(IllegalArgumentException.class, () -> ShapeArgs.checkRepeat(new Shape()));
    }

    @Test
    void inPlaceCastNeverLowersTheKind() {
        assertTrue(InPlaceCast.allowed(DataType.FLOAT32, DataType.FLOAT32));
        assertTrue(InPlaceCast.allowed(DataType.BOOLEAN, DataType.BOOLEAN));
        assertTrue(InPlaceCast.allowed(DataType.INT32, DataType.FLOAT32));
        assertTrue(InPlaceCast.allowed(DataType.FLOAT64, DataType.FLOAT16));
        assertTrue(InPlaceCast.allowed(DataType.INT64, DataType.INT8));
        assertTrue(InPlaceCast.allowed(DataType.BOOLEAN, DataType.INT32));
        assertFalse(InPlaceCast.allowed(DataType.FLOAT32, DataType.INT32));
        assertFalse(InPlaceCast.allowed(DataType.FLOAT16, DataType.BOOLEAN));
        assertFalse(InPlaceCast.allowed(DataType.INT32, DataType.BOOLEAN));
        assertFalse(InPlaceCast.allowed(DataType.UINT8, DataType.BOOLEAN));
    }

    @Test
    void fillValuesMustFitTheIntegerType() {
        ValueArgs.checkFill(255, DataType.UINT8);
        ValueArgs.checkFill(0, DataType.UINT8);
        ValueArgs.checkFill(255.9, DataType.UINT8);
        ValueArgs.checkFill(-0.9, DataType.UINT8);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(256, DataType.UINT8));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(-1, DataType.UINT8));
        ValueArgs.checkFill(127, DataType.INT8);
        ValueArgs.checkFill(-128, DataType.INT8);
        ValueArgs.checkFill(-128.5, DataType.INT8);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(128, DataType.INT8));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(-129, DataType.INT8));
        ValueArgs.checkFill(Integer.MAX_VALUE, DataType.INT32);
        ValueArgs.checkFill(Integer.MIN_VALUE, DataType.INT32);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(2147483648.0, DataType.INT32));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(-2147483649.0, DataType.INT32));
        ValueArgs.checkFill(1e18, DataType.INT64);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(1e19, DataType.INT64));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkFill(-1e19, DataType.INT64));
        // floating, boolean and NaN are never refused
        ValueArgs.checkFill(1e300, DataType.FLOAT16);
        ValueArgs.checkFill(1e300, DataType.BOOLEAN);
        ValueArgs.checkFill(Double.NaN, DataType.INT8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueArgs.checkFill(300, DataType.INT8));
        assertTrue(e.getMessage().contains("300") && e.getMessage().contains("overflow"), e.getMessage());
    }

    @Test
    void randomIntegerRangesMustFitTheType() {
        ValueArgs.checkRandomRange(0, 2, DataType.BOOLEAN);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(0, 3, DataType.BOOLEAN));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(-1, 1, DataType.BOOLEAN));
        ValueArgs.checkRandomRange(0, 256, DataType.UINT8);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(0, 257, DataType.UINT8));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(256, 257, DataType.UINT8));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(0, 0, DataType.UINT8));
        ValueArgs.checkRandomRange(-128, 128, DataType.INT8);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(-129, 0, DataType.INT8));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(0, 129, DataType.INT8));
        ValueArgs.checkRandomRange(Integer.MIN_VALUE, 1L + Integer.MAX_VALUE, DataType.INT32);
        assertThrows(IllegalArgumentException.class,
                () -> ValueArgs.checkRandomRange(Integer.MIN_VALUE - 1L, 0, DataType.INT32));
        ValueArgs.checkRandomRange(-1_000_000_000_000L, 5, DataType.INT64);
        ValueArgs.checkRandomRange(-5, 5, DataType.FLOAT32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueArgs.checkRandomRange(0, 300, DataType.INT8));
        assertTrue(e.getMessage().startsWith("to - 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkRandomRange(300, 301, DataType.INT8));
        assertTrue(e.getMessage().startsWith("from"), e.getMessage());
    }

    @Test
    void arangeStepMustStayNonzeroInIntegerTypes() {
        ValueArgs.checkArangeStep(0.5f, DataType.FLOAT32);
        ValueArgs.checkArangeStep(1f, DataType.INT32);
        ValueArgs.checkArangeStep(-1f, DataType.INT64);
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkArangeStep(0.5f, DataType.INT32));
        assertThrows(IllegalArgumentException.class, () -> ValueArgs.checkArangeStep(-0.9f, DataType.INT8));
    }

    @Test
    void buffersMustNotBeWiderThanTheArray() {
        ValueArgs.checkBuffer(FloatBuffer.allocate(4), DataType.FLOAT32, 4);
        ValueArgs.checkBuffer(FloatBuffer.allocate(4), DataType.FLOAT64, 4);
        ValueArgs.checkBuffer(IntBuffer.allocate(4), DataType.INT64, 4);
        ValueArgs.checkBuffer(ByteBuffer.allocate(16), DataType.FLOAT32, 4);
        ValueArgs.checkBuffer(FloatBuffer.allocate(4), DataType.BFLOAT16, 4);
        assertThrows(BufferOverflowException.class,
                () -> ValueArgs.checkBuffer(DoubleBuffer.allocate(4), DataType.FLOAT32, 4));
        assertThrows(BufferOverflowException.class,
                () -> ValueArgs.checkBuffer(LongBuffer.allocate(4), DataType.INT32, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueArgs.checkBuffer(IntBuffer.allocate(4), DataType.BFLOAT16, 4));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ValueArgs.checkBuffer(DoubleBuffer.allocate(4), DataType.BFLOAT16, 4));
    }
}
