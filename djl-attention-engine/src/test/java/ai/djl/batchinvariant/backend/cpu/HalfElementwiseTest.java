/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Element-wise ops on float16 and bfloat16 arrays (widened to float32, the float32 kernels, each
 * result rounded once: {@link HalfConversions}) against the per-element loop they replace — each
 * element read by {@link HostData#getFloat}, one {@code apply}, written by {@link
 * HostData#setFloat} (comparisons in double) — bytes equal: every binary op over 16-bit pairs,
 * 16-bit beside float32 and broadcast layouts, a single value on either side and arrays of several
 * tasks (one 16-bit type is widened a chunk at a time: {@link HalfConversions#binary}), every unary
 * op. Inverse case: a result rounded
 * twice (to float16 through bfloat16) is caught.
 */
class HalfElementwiseTest {

    private final Random rnd = new Random(31);

    private static final DataType[][] PAIRS = {
        {DataType.FLOAT16, DataType.FLOAT16}, {DataType.BFLOAT16, DataType.BFLOAT16},
        {DataType.FLOAT16, DataType.FLOAT32}, {DataType.FLOAT32, DataType.BFLOAT16},
        {DataType.FLOAT16, DataType.BFLOAT16},
    };

    private static final Shape[][] SHAPES = {
        {new Shape(300, 7), new Shape(300, 7)}, {new Shape(64, 33), new Shape(33)}, {new Shape(5, 1), new Shape()},
        // one 16-bit type a chunk at a time: a single value on the left, and tasks past the first
        {new Shape(), new Shape(5, 1)}, {new Shape(70_001), new Shape(70_001)},
    };

    @Test
    void binaryOpsMatchThePerElementLoop() {
        for (DataType[] types : PAIRS) {
            for (Shape[] shapes : SHAPES) {
                Object a = data(types[0], shapes[0]);
                Object b = data(types[1], shapes[1]);
                Shape out = Strided.broadcast(shapes[0], shapes[1]);
                for (BinaryOp op : BinaryOp.values()) {
                    if (op == BinaryOp.AND || op == BinaryOp.OR || op == BinaryOp.XOR) {
                        continue;
                    }
                    DataType compute = TypeRules.binaryCompute(op, types[0], types[1]);
                    Object got = Elementwise.binary(a, types[0], shapes[0], b, types[1], shapes[1], op, compute, out);
                    Object want = loop(op, a, types[0], shapes[0], b, types[1], shapes[1], compute, out);
                    DataType outType = op.isBoolean() ? DataType.BOOLEAN : compute;
                    assertEquals(bytes(want, outType), bytes(got, outType),
                            op + " " + types[0] + " " + types[1] + " " + shapes[0] + " " + shapes[1]);
                }
            }
        }
    }

    @Test
    void unaryOpsMatchThePerElementLoop() {
        for (DataType type : new DataType[] {DataType.FLOAT16, DataType.BFLOAT16}) {
            Shape shape = new Shape(1000);
            Object a = data(type, shape);
            for (UnaryOp op : UnaryOp.values()) {
                if (op.isBoolean()) {
                    continue;
                }
                Elementwise.Result r = Elementwise.unary(a, type, 1000, op);
                Object want = HostData.allocate(type, 1000);
                boolean geluInfNaN = op == UnaryOp.GELU && type == DataType.BFLOAT16;
                for (int i = 0; i < 1000; i++) {
                    float x = HostData.getFloat(a, type, i);
                    HostData.setFloat(want, type, i,
                            geluInfNaN && x == Float.POSITIVE_INFINITY ? Float.NaN : Elementwise.apply(op, x));
                }
                assertEquals(type, r.type());
                assertEquals(bytes(want, type), bytes(r.data(), type), op + " " + type);
            }
        }
    }

    @Test
    void aResultRoundedTwiceIsCaught() {
        Shape shape = new Shape(1000);
        Object a = data(DataType.FLOAT16, shape);
        Object b = data(DataType.FLOAT16, shape);
        Object got = Elementwise.binary(a, DataType.FLOAT16, shape, b, DataType.FLOAT16, shape, BinaryOp.DIV,
                DataType.FLOAT16, shape);
        Object twice = HostData.allocate(DataType.FLOAT16, 1000);
        for (int i = 0; i < 1000; i++) {
            float q = HostData.getFloat(a, DataType.FLOAT16, i) / HostData.getFloat(b, DataType.FLOAT16, i);
            HostData.setFloat(twice, DataType.FLOAT16, i, HostData.round(DataType.BFLOAT16, q));
        }
        assertNotEquals(bytes(twice, DataType.FLOAT16), bytes(got, DataType.FLOAT16));
    }

    /** The per-element loop: float arithmetic rounded to the output type, comparisons in double. */
    private static Object loop(BinaryOp op, Object a, DataType at, Shape as, Object b, DataType bt, Shape bs,
            DataType compute, Shape out) {
        int n = (int) out.size();
        int[] ia = Strided.offsets(out, Strided.broadcastStrides(as, out), 0);
        int[] ib = Strided.offsets(out, Strided.broadcastStrides(bs, out), 0);
        Object o = HostData.allocate(op.isBoolean() ? DataType.BOOLEAN : compute, n);
        for (int i = 0; i < n; i++) {
            if (op.isBoolean()) {
                double r = Elementwise.apply(op, HostData.getDouble(a, at, ia[i]), HostData.getDouble(b, bt, ib[i]));
                HostData.setDouble(o, DataType.BOOLEAN, i, r);
            } else {
                float r = Elementwise.apply(op, HostData.getFloat(a, at, ia[i]), HostData.getFloat(b, bt, ib[i]));
                HostData.setFloat(o, compute, i, r);
            }
        }
        return o;
    }

    private Object data(DataType type, Shape shape) {
        float[] v = KernelReference.data(rnd, (int) shape.size(), 0.05);
        return HostData.fromFloats(v, type);
    }

    private static ByteBuffer bytes(Object data, DataType type) {
        int n = java.lang.reflect.Array.getLength(data);
        return HostData.toByteBuffer(data, type, n);
    }
}
