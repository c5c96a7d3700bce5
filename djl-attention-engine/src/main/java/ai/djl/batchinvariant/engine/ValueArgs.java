/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.types.DataType;

import java.nio.Buffer;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;

/**
 * Checks of the values handed to creation and buffer writes, written to refuse what DJL's
 * PyTorch engine refuses: a value the array's type cannot hold is an error there, never wrapped
 * or truncated silently.
 */
final class ValueArgs {

    private ValueArgs() {}

    /**
     * Checks a buffer written into an array of {@code size} elements of {@code type}, as the
     * PyTorch engine does: DJL's buffer validation (compatible type, enough elements), then a
     * typed buffer of a compatible type must not have wider elements than the array (the
     * PyTorch engine copies its raw bytes, so they overflow). Narrower compatible values are
     * converted.
     *
     * <p>A bfloat16 array takes a float32 buffer, rounding each value: Java has no bfloat16
     * buffer type.
     *
     * @param buffer the values
     * @param type the array's type
     * @param size the array's element count
     */
    static void checkBuffer(Buffer buffer, DataType type, int size) {
        if (buffer instanceof ByteBuffer) {
            BaseNDManager.validateBuffer(buffer, type, size);
            return;
        }
        DataType from = DataType.fromBuffer(buffer);
        if (type == DataType.BFLOAT16) {
            if (from != DataType.FLOAT32) {
                throw mismatch(from, type);
            }
            return;
        }
        BaseNDManager.validateBuffer(buffer, type, size);
        if (from.getNumOfBytes() > type.getNumOfBytes()) {
            throw new BufferOverflowException();
        }
    }

    private static IllegalArgumentException mismatch(DataType from, DataType type) {
        return new IllegalArgumentException(
                "The input data type: " + from + " does not match target array data type: " + type);
    }

    /**
     * Refuses a fill value the type cannot hold without overflow (PyTorch: "value cannot be
     * converted to type without overflow"); a fractional value into an integer type truncates,
     * as in PyTorch.
     *
     * @param value the value
     * @param type the array's type
     */
    static void checkFill(double value, DataType type) {
        if (Double.isNaN(value) || type.isFloating() || type == DataType.BOOLEAN) {
            return;
        }
        double t = value < 0 ? Math.ceil(value) : Math.floor(value);
        if (t < min(type) || t > max(type)) {
            throw new IllegalArgumentException(
                    "value " + value + " cannot be converted to type " + type + " without overflow");
        }
    }

    /**
     * Refuses a random integer range whose values the type cannot hold (PyTorch: "to - 1 is out
     * of bounds for bool").
     *
     * @param low the lowest value
     * @param high one past the highest value
     * @param type the array's type
     */
    static void checkRandomRange(long low, long high, DataType type) {
        if (type.isFloating()) {
            return;
        }
        double lo = type == DataType.BOOLEAN ? 0 : min(type);
        double hi = type == DataType.BOOLEAN ? 1 : max(type);
        if (low < lo || low > hi) {
            throw new IllegalArgumentException("from is out of bounds for " + type);
        }
        if (high - 1 < lo || high - 1 > hi) {
            throw new IllegalArgumentException("to - 1 is out of bounds for " + type);
        }
    }

    /**
     * Refuses an arange whose step becomes zero in an integer type (PyTorch casts the bounds and
     * step to the type first: "step must be nonzero").
     *
     * @param step the step
     * @param type the array's type
     */
    static void checkArangeStep(float step, DataType type) {
        if (!type.isFloating() && (long) step == 0) {
            throw new IllegalArgumentException("step must be nonzero: " + step + " as " + type);
        }
    }

    private static double min(DataType type) {
        switch (type) {
            case UINT8:
                return 0;
            case INT8:
                return Byte.MIN_VALUE;
            case INT32:
                return Integer.MIN_VALUE;
            default:
                return Long.MIN_VALUE;
        }
    }

    private static double max(DataType type) {
        switch (type) {
            case UINT8:
                return 255;
            case INT8:
                return Byte.MAX_VALUE;
            case INT32:
                return Integer.MAX_VALUE;
            default:
                return Long.MAX_VALUE;
        }
    }
}
