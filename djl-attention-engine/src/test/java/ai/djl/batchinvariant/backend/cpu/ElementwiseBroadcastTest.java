/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.IntToDoubleFunction;

/**
 * float32 binary operations with broadcasting ({@link BroadcastKernels#broadcast}, through
 * {@link Elementwise#binary}) against a per-element loop over the broadcast index of every output,
 * bits equal: a row, a column, a scalar on either side, a mask across batch and heads, operands
 * broadcast on both sides, dimensions of one inside the run, rank 6, runs longer than a work item,
 * NaN, infinities and signed zeros; the same for clip's bounds, mod, pow and the six comparisons
 * (on the Vector API where runs are contiguous or one value: {@link VectorCompareKernels}), and
 * the logic of boolean arrays (any nonzero byte true); division by every power of two (a
 * multiplication by its reciprocal) against the division.
 * Inverse case: an output read with the other operand's layout
 * (a row taken for a column) is caught.
 */
class ElementwiseBroadcastTest {

    private final Random rnd = new Random(5);

    /** {a shape, b shape} pairs. */
    private static final Shape[][] PAIRS = {
        {new Shape(64, 33), new Shape(33)},
        {new Shape(33), new Shape(64, 33)},
        {new Shape(64, 33), new Shape(64, 1)},
        {new Shape(2, 3), new Shape()},
        {new Shape(), new Shape(5, 7)},
        {new Shape(3, 1, 5), new Shape(1, 4, 1)},
        {new Shape(2, 4, 9, 9), new Shape(1, 1, 9, 9)},
        {new Shape(2, 1, 3, 1, 2, 2), new Shape(3, 4, 1, 1)},
        {new Shape(4, 1, 6), new Shape(4, 7, 1)},
        {new Shape(5, 1, 1, 8), new Shape(1, 3, 1, 8)},
        {new Shape(3, 70_000), new Shape(70_000)},
        {new Shape(70_000, 2), new Shape(70_000, 1)},
        // runs of the comparisons' vector steps: same shapes, a value on either side, odd lengths
        {new Shape(3, 7001), new Shape(3, 7001)},
        {new Shape(2, 7001), new Shape()},
        {new Shape(), new Shape(2, 7001)},
    };

    @Test
    void broadcastOperationsMatchThePerElementLoop() {
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAX, BinaryOp.MIN};
        for (Shape[] pair : PAIRS) {
            Shape out = Strided.broadcast(pair[0], pair[1]);
            float[] a = KernelReference.data(rnd, (int) pair[0].size(), 0.05);
            float[] b = KernelReference.data(rnd, (int) pair[1].size(), 0.05);
            for (BinaryOp op : ops) {
                float[] want = reference(op, a, pair[0], b, pair[1], out);
                float[] got = (float[]) Elementwise.binary(a, DataType.FLOAT32, pair[0], b, DataType.FLOAT32, pair[1],
                        op, DataType.FLOAT32, out);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " " + pair[0] + " " + pair[1]);
            }
        }
    }

    @Test
    void theOtherArithmeticAndTheComparisonsMatchThePerElementLoop() {
        BinaryOp[] arithmetic = {BinaryOp.CLIP_LO, BinaryOp.CLIP_HI, BinaryOp.MOD, BinaryOp.POW};
        BinaryOp[] comparisons = {BinaryOp.EQ, BinaryOp.NEQ, BinaryOp.GT, BinaryOp.GTE, BinaryOp.LT, BinaryOp.LTE};
        for (Shape[] pair : PAIRS) {
            Shape out = Strided.broadcast(pair[0], pair[1]);
            float[] a = KernelReference.data(rnd, (int) pair[0].size(), 0.05);
            float[] b = KernelReference.data(rnd, (int) pair[1].size(), 0.05);
            // some equal pairs, so that eq and the non-strict comparisons see both answers
            for (int i = 0; i < Math.min(a.length, b.length); i += 3) {
                a[i] = b[i];
            }
            int[] ia = Strided.offsets(out, Strided.broadcastStrides(pair[0], out), 0);
            int[] ib = Strided.offsets(out, Strided.broadcastStrides(pair[1], out), 0);
            for (BinaryOp op : arithmetic) {
                float[] want = reference(op, a, pair[0], b, pair[1], out);
                float[] got = (float[]) Elementwise.binary(a, DataType.FLOAT32, pair[0], b, DataType.FLOAT32, pair[1],
                        op, DataType.FLOAT32, out);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " " + pair[0] + " " + pair[1]);
            }
            for (BinaryOp op : comparisons) {
                byte[] got = (byte[]) Elementwise.binary(a, DataType.FLOAT32, pair[0], b, DataType.FLOAT32, pair[1],
                        op, DataType.FLOAT32, out);
                assertEquals(0, differences(op, got, i -> a[ia[i]], i -> b[ib[i]]), op + " " + pair[0] + " " + pair[1]);
            }
        }
    }

    @Test
    void logicOfBooleansMatchesThePerElementLoop() {
        BinaryOp[] ops = {BinaryOp.AND, BinaryOp.OR, BinaryOp.XOR, BinaryOp.EQ, BinaryOp.NEQ};
        // bytes other than 0 and 1 count as true, as the loop reads them
        byte[] values = {0, 1, 0, 1, 2, -1, (byte) 0x80};
        for (Shape[] pair : PAIRS) {
            Shape out = Strided.broadcast(pair[0], pair[1]);
            byte[] a = new byte[(int) pair[0].size()];
            byte[] b = new byte[(int) pair[1].size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = values[rnd.nextInt(values.length)];
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = values[rnd.nextInt(values.length)];
            }
            int[] ia = Strided.offsets(out, Strided.broadcastStrides(pair[0], out), 0);
            int[] ib = Strided.offsets(out, Strided.broadcastStrides(pair[1], out), 0);
            for (BinaryOp op : ops) {
                byte[] got = (byte[]) Elementwise.binary(a, DataType.BOOLEAN, pair[0], b, DataType.BOOLEAN, pair[1],
                        op, DataType.BOOLEAN, out);
                assertEquals(0, differences(op, got, i -> a[ia[i]], i -> b[ib[i]]), op + " " + pair[0] + " " + pair[1]);
            }
        }
    }

    @Test
    void divisionByAPowerOfTwoMatchesTheDivision() {
        // float bit patterns of every exponent, subnormals and the specials
        float[] x = new float[70_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(rnd.nextInt());
        }
        float[] specials = KernelReference.data(rnd, 9, 1.0);
        System.arraycopy(specials, 0, x, 0, 9);
        Shape shape = new Shape(x.length);
        for (int k = -127; k <= 128; k++) {
            for (float sign : new float[] {1f, -1f}) {
                float c = sign * (float) Math.pow(2, k);
                float[] want = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    want[i] = x[i] / c;
                }
                float[] got = (float[]) Elementwise.binary(x, DataType.FLOAT32, shape, new float[] {c}, DataType.FLOAT32,
                        new Shape(), BinaryOp.DIV, DataType.FLOAT32, shape);
                assertEquals(-1, KernelReference.firstDifference(want, got), "x / " + c + " broadcast");
                float[] same = new float[x.length];
                ElementwiseKernels.binary(BinaryOp.DIV, x, false, new float[] {c}, true, same, x.length);
                assertEquals(-1, KernelReference.firstDifference(want, same), "x / " + c);
            }
        }
        assertEquals(false, ElementwiseKernels.exactReciprocal(3f));
        assertEquals(false, ElementwiseKernels.exactReciprocal(Float.MIN_VALUE));
        assertEquals(true, ElementwiseKernels.exactReciprocal(0x1p127f));
    }

    @Test
    void powerTwoAsASquareMatchesStrictMathPow() {
        // every 4099th float bit pattern of both signs, and the specials
        int count = (int) (0x100000000L / 4099) + 1;
        float[] x = new float[count + 9];
        for (int i = 0; i < count; i++) {
            x[i] = Float.intBitsToFloat((int) (i * 4099L));
        }
        float[] specials = KernelReference.data(rnd, 9, 1.0);
        System.arraycopy(specials, 0, x, count, 9);
        Shape shape = new Shape(x.length);
        float[] got = (float[]) Elementwise.binary(x, DataType.FLOAT32, shape, new float[] {2f}, DataType.FLOAT32,
                new Shape(), BinaryOp.POW, DataType.FLOAT32, shape);
        float[] want = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = Elementwise.apply(BinaryOp.POW, x[i], 2f);
        }
        assertEquals(-1, KernelReference.firstDifference(want, got));
        // another exponent takes the loop by apply: a square there would differ
        float[] cube = (float[]) Elementwise.binary(x, DataType.FLOAT32, shape, new float[] {3f}, DataType.FLOAT32,
                new Shape(), BinaryOp.POW, DataType.FLOAT32, shape);
        assertNotEquals(-1, KernelReference.firstDifference(want, cube));
    }

    @Test
    void clipBoundsOfEveryKindMatchThePerElementLoop() {
        // Math.max / Math.min stand in for the comparison only for bounds that are neither NaN
        // nor zero: each kind of bound on either side, against zeros of both signs and NaN
        float[] bounds = {-1f, 1f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Shape shape = new Shape(3, 300);
        float[] a = KernelReference.data(rnd, (int) shape.size(), 0.3);
        for (float bound : bounds) {
            float[] c = {bound};
            for (BinaryOp op : new BinaryOp[] {BinaryOp.CLIP_LO, BinaryOp.CLIP_HI}) {
                float[] want = reference(op, a, shape, c, new Shape(), shape);
                float[] got = (float[]) Elementwise.binary(a, DataType.FLOAT32, shape, c, DataType.FLOAT32,
                        new Shape(), op, DataType.FLOAT32, shape);
                assertEquals(-1, KernelReference.firstDifference(want, got), op + " bound " + bound);
                float[] left = reference(op, c, new Shape(), a, shape, shape);
                float[] gotLeft = (float[]) Elementwise.binary(c, DataType.FLOAT32, new Shape(), a, DataType.FLOAT32,
                        shape, op, DataType.FLOAT32, shape);
                assertEquals(-1, KernelReference.firstDifference(left, gotLeft), op + " left " + bound);
            }
        }
    }

    @Test
    void aRowTakenForAColumnIsCaught() {
        Shape a = new Shape(33, 33);
        float[] x = KernelReference.data(rnd, 33 * 33, 0);
        float[] v = KernelReference.data(rnd, 33, 0);
        float[] asRow = reference(BinaryOp.ADD, x, a, v, new Shape(33), a);
        float[] got = (float[]) Elementwise.binary(x, DataType.FLOAT32, a, v, DataType.FLOAT32, new Shape(33, 1),
                BinaryOp.ADD, DataType.FLOAT32, a);
        assertNotEquals(-1, KernelReference.firstDifference(asRow, got));
    }

    /** Every output from its two broadcast indices, one {@code apply} each. */
    private static float[] reference(BinaryOp op, float[] a, Shape as, float[] b, Shape bs, Shape out) {
        int[] ia = Strided.offsets(out, Strided.broadcastStrides(as, out), 0);
        int[] ib = Strided.offsets(out, Strided.broadcastStrides(bs, out), 0);
        float[] o = new float[ia.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = Elementwise.apply(op, a[ia[i]], b[ib[i]]);
        }
        return o;
    }

    /** How many outputs of a boolean op differ from the per-element loop's {@code apply} on doubles. */
    private static int differences(BinaryOp op, byte[] got, IntToDoubleFunction a, IntToDoubleFunction b) {
        int differ = 0;
        for (int i = 0; i < got.length; i++) {
            if (got[i] != (byte) Elementwise.apply(op, a.applyAsDouble(i), b.applyAsDouble(i))) {
                differ++;
            }
        }
        return differ;
    }
}
