/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.VectorKernels.F;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.L;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.load;

import ai.djl.batchinvariant.backend.BinaryOp;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The broadcast runs of {@link BroadcastKernels} for +, -, × and ÷ on the Vector API: o[oo + i] = x[xo
 * + i] op y[yo + i], x[xo + i] op c and c op y[yo + i]. The plain loops have three different
 * offsets, which C2 does not vectorise (x minus a row, 1024 × 4096: 2.6–3.0 ms a thread against
 * 1.1 here); each lane is the same single IEEE operation, so the bits are the plain loops'. A loop
 * per operator: the Vector API intrinsifies an operation only where its operator is a constant.
 * The same for the logic of two contiguous boolean runs ({@link #logic}) and a float32 run copied
 * backwards ({@link #reversed}, a flip). Loaded only when {@link Simd} finds the module.
 */
final class VectorSpanKernels {

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final int BL = B.length();
    @SuppressWarnings("unchecked")
    private static final Class<ByteVector> VB = (Class<ByteVector>) (Class<?>) B.vectorType();

    /** Lane i takes lane L - 1 - i: a vector reversed. */
    private static final VectorShuffle<Float> REVERSE = VectorShuffle.iota(F, L - 1, -1, false);

    private VectorSpanKernels() {}

    /**
     * o[oo + i] = x[xo - i] for i in [0, len): a run copied backwards (flip), L elements at a time
     * reversed in a register.
     *
     * @param x the source
     * @param xo the source's element for the first output (the run's last in memory)
     * @param o the output
     * @param oo its first element
     * @param len the count
     */
    static void reversed(float[] x, int xo, float[] o, int oo, int len) {
        int n = len - len % L;
        for (int i = 0; i < n; i += L) {
            VT.cast(load(x, xo - i - L + 1).rearrange(REVERSE)).intoArray(o, oo + i);
        }
        for (int i = n; i < len; i++) {
            o[oo + i] = x[xo - i];
        }
    }

    /**
     * Whether these loops cover an operation.
     *
     * @param op the operation
     * @return true for add, sub, mul and div
     */
    static boolean handles(BinaryOp op) {
        return op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
    }

    /**
     * o[oo + i] = x[xo + i] op y[yo + i] for i in [0, len).
     *
     * @param op add, sub, mul or div
     * @param x the left operand
     * @param xo its first element
     * @param y the right operand
     * @param yo its first element
     * @param o the output
     * @param oo its first element
     * @param len the count
     */
    static void both(BinaryOp op, float[] x, int xo, float[] y, int yo, float[] o, int oo, int len) {
        int n = len - len % L;
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).add(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] + y[yo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).sub(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] - y[yo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).mul(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] * y[yo + i];
                }
                break;
            default:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).div(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] / y[yo + i];
                }
        }
    }

    /**
     * o[oo + i] = x[xo + i] op c for i in [0, len).
     *
     * @param op add, sub, mul or div
     * @param x the left operand
     * @param xo its first element
     * @param c the right operand
     * @param o the output
     * @param oo its first element
     * @param len the count
     */
    static void right(BinaryOp op, float[] x, int xo, float c, float[] o, int oo, int len) {
        int n = len - len % L;
        FloatVector cv = VT.cast(FloatVector.broadcast(F, c));
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).add(cv)).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] + c;
                }
                break;
            case SUB:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).sub(cv)).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] - c;
                }
                break;
            case MUL:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).mul(cv)).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] * c;
                }
                break;
            default:
                for (int i = 0; i < n; i += L) {
                    VT.cast(load(x, xo + i).div(cv)).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = x[xo + i] / c;
                }
        }
    }

    /**
     * o[oo + i] = c op y[yo + i] for i in [0, len).
     *
     * @param op add, sub, mul or div
     * @param c the left operand
     * @param y the right operand
     * @param yo its first element
     * @param o the output
     * @param oo its first element
     * @param len the count
     */
    static void left(BinaryOp op, float c, float[] y, int yo, float[] o, int oo, int len) {
        int n = len - len % L;
        FloatVector cv = VT.cast(FloatVector.broadcast(F, c));
        switch (op) {
            case ADD:
                for (int i = 0; i < n; i += L) {
                    VT.cast(cv.add(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = c + y[yo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < n; i += L) {
                    VT.cast(cv.sub(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = c - y[yo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < n; i += L) {
                    VT.cast(cv.mul(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = c * y[yo + i];
                }
                break;
            default:
                for (int i = 0; i < n; i += L) {
                    VT.cast(cv.div(load(y, yo + i))).intoArray(o, oo + i);
                }
                for (int i = n; i < len; i++) {
                    o[oo + i] = c / y[yo + i];
                }
        }
    }

    /**
     * o[oo + i] = x[xo + i] op y[yo + i] for boolean bytes (any nonzero byte true), 1 or 0: the
     * truths as masks, combined, the result 1 where set.
     *
     * @param op and, or or xor
     * @param x the left operand
     * @param xo its first element
     * @param y the right operand
     * @param yo its first element
     * @param o the output
     * @param oo its first element
     * @param len the count
     * @return the count done, a multiple of the vector length (the caller does the rest)
     */
    static int logic(BinaryOp op, byte[] x, int xo, byte[] y, int yo, byte[] o, int oo, int len) {
        int n = len - len % BL;
        ByteVector zero = VB.cast(ByteVector.zero(B));
        for (int i = 0; i < n; i += BL) {
            VectorMask<Byte> a = VB.cast(ByteVector.fromArray(B, x, xo + i)).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> b = VB.cast(ByteVector.fromArray(B, y, yo + i)).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> r;
            switch (op) {
                case AND:
                    r = a.and(b);
                    break;
                case OR:
                    r = a.or(b);
                    break;
                default:
                    r = a.eq(b).not();
            }
            VB.cast(zero.blend((byte) 1, r)).intoArray(o, oo + i);
        }
        return n;
    }
}
