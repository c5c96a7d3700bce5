/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;

import java.util.Arrays;

/**
 * float32 binary operations with broadcasting: runs of the output over which each operand is
 * contiguous or one value, on the kernels' threads, with the bits of {@link
 * Elementwise#apply(BinaryOp, float, float)} ({@link ElementwiseKernels} takes operands of the
 * output's own shape).
 */
final class BroadcastKernels {

    private BroadcastKernels() {}

    /**
     * o = x op y with broadcasting, without an index array: the output's trailing dimensions over
     * which each operand is either contiguous or one value (the longest such run, "inner") are
     * walked by a plain loop, the leading ones ("outer") give each run's two starting offsets. So x
     * + a row, x · a column, a mask added across heads and x · a scalar all stream; through an
     * index per element (4 bytes each, built first) they took 20-30 times as long. Each element is
     * the same single IEEE operation as in {@link Elementwise#apply(BinaryOp, float, float)}.
     *
     * @param op an arithmetic operation (those {@link ElementwiseKernels#handles} accepts and clip's
     *     bounds by loops C2 vectorises, the others element by element)
     * @param x the left operand
     * @param xs x's strides over the output's dimensions, 0 where broadcast ({@code
     *     Strided.broadcastStrides})
     * @param y the right operand
     * @param ys y's strides likewise
     * @param o the output (row-major over dims)
     * @param dims the output's dimensions
     */
    static void broadcast(BinaryOp op, float[] x, int[] xs, float[] y, int[] ys, float[] o, long[] dims) {
        if (ElementwiseKernels.handles(op) || op == BinaryOp.CLIP_LO || op == BinaryOp.CLIP_HI) {
            inRuns(xs, ys, dims, (xo, xStep, yo, yStep, oo, len) -> span(op, x, xo, xStep, y, yo, yStep, o, oo, len));
        } else {
            // the rest (mod, pow): the same runs, each element by apply
            inRuns(xs, ys, dims, (xo, xStep, yo, yStep, oo, len) -> {
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Elementwise.apply(op, x[xo + i * xStep], y[yo + i * yStep]);
                }
            });
        }
    }

    /**
     * A comparison (eq, neq, gt, gte, lt, lte) of float32 operands with broadcasting, 1 or 0 a byte,
     * over the same runs as {@link #broadcast}.
     *
     * @param op the comparison
     * @param x the left operand
     * @param xs x's strides over the output's dimensions, 0 where broadcast
     * @param y the right operand
     * @param ys y's strides likewise
     * @param o the output (row-major over dims)
     * @param dims the output's dimensions
     */
    static void compare(BinaryOp op, float[] x, int[] xs, float[] y, int[] ys, byte[] o, long[] dims) {
        inRuns(xs, ys, dims, (xo, xStep, yo, yStep, oo, len) -> {
            int i0 = 0;
            if (Simd.ENABLED && xStep == 1 && yStep <= 1) {
                i0 = VectorCompareKernels.compare(op, x, xo, y, yo, yStep, o, oo, len);
            } else if (Simd.ENABLED && xStep == 0 && yStep == 1) {
                // a value on the left: the mirrored comparison of the run against it
                i0 = VectorCompareKernels.compare(mirrored(op), y, yo, x, xo, 0, o, oo, len);
            }
            switch (op) {
                case EQ:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] == y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case NEQ:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] != y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case GT:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] > y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case GTE:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] >= y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case LT:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] < y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                default:
                    for (int i = i0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] <= y[yo + i * yStep] ? (byte) 1 : 0;
                    }
            }
        });
    }

    /** The comparison with its operands swapped: x op y is y mirrored(op) x, NaN included. */
    private static BinaryOp mirrored(BinaryOp op) {
        switch (op) {
            case GT:
                return BinaryOp.LT;
            case GTE:
                return BinaryOp.LTE;
            case LT:
                return BinaryOp.GT;
            case LTE:
                return BinaryOp.GTE;
            default:
                return op;
        }
    }

    /**
     * Whether {@link #compare} takes the operation.
     *
     * @param op the operation
     * @return true for eq, neq, gt, gte, lt and lte
     */
    static boolean compares(BinaryOp op) {
        switch (op) {
            case EQ:
            case NEQ:
            case GT:
            case GTE:
            case LT:
            case LTE:
                return true;
            default:
                return false;
        }
    }

    /**
     * o = c ? a : b element by element with broadcasting, over the runs of {@link BroadcastRuns}:
     * each element a copy of one operand's, of any storage type (a and b of the output's).
     *
     * @param c the condition, one byte an element (nonzero picks a)
     * @param cs c's strides over the output's dimensions, 0 where broadcast
     * @param a the values where c is set: float[], double[], short[], int[], long[] or byte[]
     * @param as a's strides likewise
     * @param b the values elsewhere, of a's storage type
     * @param bs b's strides likewise
     * @param o the output, of a's storage type (row-major over dims)
     * @param dims the output's dimensions
     */
    static void select(byte[] c, int[] cs, Object a, int[] as, Object b, int[] bs, Object o, long[] dims) {
        BroadcastRuns runs = BroadcastRuns.of(dims, cs, as, bs);
        int c1 = runs.step(0);
        int a1 = runs.step(1);
        int b1 = runs.step(2);
        Parallel.forEach(runs.items(), runs.itemLength(), item -> {
            int co = runs.start(0, item);
            int ao = runs.start(1, item);
            int bo = runs.start(2, item);
            int oo = runs.outStart(item);
            int len = runs.length(item);
            // a mask from the condition, -1 or 0 without a branch ((v | -v) >> 31): a condition
            // that changes from element to element makes a branch per element mispredict half
            // the time; selecting bits with the mask costs the same whatever the condition
            if (o instanceof float[]) {
                float[] x = (float[]) a;
                float[] y = (float[]) b;
                float[] z = (float[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    int m = (v | -v) >> 31;
                    z[oo + i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[ao + i * a1]) & m
                            | Float.floatToRawIntBits(y[bo + i * b1]) & ~m);
                }
            } else if (o instanceof double[]) {
                double[] x = (double[]) a;
                double[] y = (double[]) b;
                double[] z = (double[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    long m = (v | -v) >> 31;
                    z[oo + i] = Double.longBitsToDouble(Double.doubleToRawLongBits(x[ao + i * a1]) & m
                            | Double.doubleToRawLongBits(y[bo + i * b1]) & ~m);
                }
            } else if (o instanceof short[]) {
                short[] x = (short[]) a;
                short[] y = (short[]) b;
                short[] z = (short[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    int m = (v | -v) >> 31;
                    z[oo + i] = (short) (x[ao + i * a1] & m | y[bo + i * b1] & ~m);
                }
            } else if (o instanceof int[]) {
                int[] x = (int[]) a;
                int[] y = (int[]) b;
                int[] z = (int[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    int m = (v | -v) >> 31;
                    z[oo + i] = x[ao + i * a1] & m | y[bo + i * b1] & ~m;
                }
            } else if (o instanceof long[]) {
                long[] x = (long[]) a;
                long[] y = (long[]) b;
                long[] z = (long[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    long m = (v | -v) >> 31;
                    z[oo + i] = x[ao + i * a1] & m | y[bo + i * b1] & ~m;
                }
            } else {
                byte[] x = (byte[]) a;
                byte[] y = (byte[]) b;
                byte[] z = (byte[]) o;
                for (int i = 0; i < len; i++) {
                    int v = c[co + i * c1];
                    int m = (v | -v) >> 31;
                    z[oo + i] = (byte) (x[ao + i * a1] & m | y[bo + i * b1] & ~m);
                }
            }
        });
    }

    /**
     * Whether {@link #logic} takes the operation.
     *
     * @param op the operation
     * @return true for and, or, xor, eq and neq
     */
    static boolean logical(BinaryOp op) {
        return op == BinaryOp.AND || op == BinaryOp.OR || op == BinaryOp.XOR || op == BinaryOp.EQ
                || op == BinaryOp.NEQ;
    }

    /**
     * A logical operation (and, or, xor) or an equality test of two boolean arrays with
     * broadcasting, 1 or 0 a byte, over the same runs as {@link #broadcast}; for the logic any
     * nonzero byte is true, the equality tests compare the bytes, as {@link
     * Elementwise#apply(BinaryOp, double, double)} on their values does. Branch-free loops over
     * 0-or-1 values (through the per-element loop of doubles, and x over 1024 × 4096 took about 50 ms).
     *
     * @param op an operation {@link #logical} accepts
     * @param x the left operand
     * @param xs x's strides over the output's dimensions, 0 where broadcast
     * @param y the right operand
     * @param ys y's strides likewise
     * @param o the output (row-major over dims)
     * @param dims the output's dimensions
     */
    static void logic(BinaryOp op, byte[] x, int[] xs, byte[] y, int[] ys, byte[] o, long[] dims) {
        inRuns(xs, ys, dims, (xo, xStep, yo, yStep, oo, len) -> {
            if (xStep == 1 && yStep == 1 && op != BinaryOp.EQ && op != BinaryOp.NEQ) {
                logicSpan(op, x, xo, y, yo, o, oo, len);
                return;
            }
            // the truth of a byte: (b & 0xff) + 0xff carries into bit 8 exactly when b is nonzero
            switch (op) {
                case AND:
                    for (int i = 0; i < len; i++) {
                        int a = (x[xo + i * xStep] & 0xff) + 0xff;
                        int b = (y[yo + i * yStep] & 0xff) + 0xff;
                        o[oo + i] = (byte) ((a & b) >>> 8);
                    }
                    break;
                case OR:
                    for (int i = 0; i < len; i++) {
                        int a = (x[xo + i * xStep] & 0xff) + 0xff;
                        int b = (y[yo + i * yStep] & 0xff) + 0xff;
                        o[oo + i] = (byte) ((a | b) >>> 8);
                    }
                    break;
                case EQ:
                    // the stored bytes compared, as the loop of doubles compares them
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = (byte) (((x[xo + i * xStep] ^ y[yo + i * yStep]) & 0xff) - 1 >>> 31);
                    }
                    break;
                case NEQ:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = (byte) (1 - (((x[xo + i * xStep] ^ y[yo + i * yStep]) & 0xff) - 1 >>> 31));
                    }
                    break;
                default:
                    for (int i = 0; i < len; i++) {
                        int a = (x[xo + i * xStep] & 0xff) + 0xff;
                        int b = (y[yo + i * yStep] & 0xff) + 0xff;
                        o[oo + i] = (byte) ((a ^ b) >>> 8);
                    }
            }
        });
    }

    /**
     * {@link #logic}'s and, or and xor over a run where both operands are contiguous: the same
     * formulas without a step in the index (with it, and of two masks of 1024 × 4096 took 2.5 ms;
     * without, 0.8-1.2).
     */
    private static void logicSpan(BinaryOp op, byte[] x, int xo, byte[] y, int yo, byte[] o, int oo, int len) {
        if (Simd.ENABLED) {
            int done = VectorSpanKernels.logic(op, x, xo, y, yo, o, oo, len);
            xo += done;
            yo += done;
            oo += done;
            len -= done;
        }
        switch (op) {
            case AND:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = (byte) (((x[xo + i] & 0xff) + 0xff & (y[yo + i] & 0xff) + 0xff) >>> 8);
                }
                break;
            case OR:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = (byte) (((x[xo + i] & 0xff) + 0xff | (y[yo + i] & 0xff) + 0xff) >>> 8);
                }
                break;
            default:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = (byte) (((x[xo + i] & 0xff) + 0xff ^ (y[yo + i] & 0xff) + 0xff) >>> 8);
                }
        }
    }

    /** One run: the operands' first elements and steps (0 or 1), the output's first, the length. */
    @FunctionalInterface
    private interface Run {
        void run(int xo, int xStep, int yo, int yStep, int oo, int len);
    }

    /** Cuts the output into runs ({@link BroadcastRuns}) and calls body for each, on the kernels' threads. */
    private static void inRuns(int[] xs, int[] ys, long[] dims, Run body) {
        BroadcastRuns runs = BroadcastRuns.of(dims, xs, ys);
        int xStep = runs.step(0);
        int yStep = runs.step(1);
        Parallel.forEach(runs.items(), runs.itemLength(), item -> body.run(runs.start(0, item), xStep,
                runs.start(1, item), yStep, runs.outStart(item), runs.length(item)));
    }

    /**
     * o[oo + i] = x[xo + i xs] op y[yo + i ys] for i in [0, len), each stride 0 (one value) or 1: a
     * loop for each case, with no multiplication in the index; +, -, × and ÷ on the Vector API where
     * it is loaded ({@link VectorSpanKernels}: C2 does not vectorise these loops, whose operands
     * start at different offsets).
     */
    private static void span(BinaryOp op, float[] x, int xo, int xs, float[] y, int yo, int ys, float[] o, int oo,
            int len) {
        if (xs == 0 && ys == 0) {
            Arrays.fill(o, oo, oo + len, Elementwise.apply(op, x[xo], y[yo]));
        } else if (ys == 0) {
            spanRight(op, x, xo, y[yo], o, oo, len);
        } else if (xs == 0) {
            spanLeft(op, x[xo], y, yo, o, oo, len);
        } else {
            spanBoth(op, x, xo, y, yo, o, oo, len);
        }
    }

    private static void spanBoth(BinaryOp op, float[] x, int xo, float[] y, int yo, float[] o, int oo, int len) {
        if (Simd.ENABLED && VectorSpanKernels.handles(op)) {
            VectorSpanKernels.both(op, x, xo, y, yo, o, oo, len);
            return;
        }
        switch (op) {
            case ADD:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] + y[yo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] - y[yo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] * y[yo + i];
                }
                break;
            case DIV:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] / y[yo + i];
                }
                break;
            case MAX:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.max(x[xo + i], y[yo + i]);
                }
                break;
            case CLIP_LO:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] < y[yo + i] ? y[yo + i] : x[xo + i];
                }
                break;
            case CLIP_HI:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] > y[yo + i] ? y[yo + i] : x[xo + i];
                }
                break;
            default:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.min(x[xo + i], y[yo + i]);
                }
        }
    }

    private static void spanRight(BinaryOp op, float[] x, int xo, float c, float[] o, int oo, int len) {
        if (op == BinaryOp.DIV && ElementwiseKernels.exactReciprocal(c)) {
            // see ElementwiseKernels.run: the same real quotient, a product instead of a division
            spanRight(BinaryOp.MUL, x, xo, 1f / c, o, oo, len);
            return;
        }
        if (Simd.ENABLED && VectorSpanKernels.handles(op)) {
            VectorSpanKernels.right(op, x, xo, c, o, oo, len);
            return;
        }
        switch (op) {
            case ADD:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] + c;
                }
                break;
            case SUB:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] - c;
                }
                break;
            case MUL:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] * c;
                }
                break;
            case DIV:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] / c;
                }
                break;
            case MAX:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.max(x[xo + i], c);
                }
                break;
            case CLIP_LO:
                if (plainBound(c)) {
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = Math.max(x[xo + i], c);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i] < c ? c : x[xo + i];
                    }
                }
                break;
            case CLIP_HI:
                if (plainBound(c)) {
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = Math.min(x[xo + i], c);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i] > c ? c : x[xo + i];
                    }
                }
                break;
            default:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.min(x[xo + i], c);
                }
        }
    }

    /**
     * Whether a clip bound c lets Math.max(x, c) (Math.min) stand for x &lt; c ? c : x (x &gt; c ? c :
     * x): they differ only where c is NaN (the comparison keeps x) or where x and c are zeros of
     * opposite signs (the comparison keeps x's sign). Math.max is branch-free; the comparison's
     * branch mispredicts wherever values fall on either side at random (clip(-1, 1) of 1024 × 4096
     * normal values: 14.3 ms by the comparison, 2.5 by Math.max and Math.min).
     */
    private static boolean plainBound(float c) {
        return c == c && c != 0f;
    }

    private static void spanLeft(BinaryOp op, float c, float[] y, int yo, float[] o, int oo, int len) {
        if (Simd.ENABLED && VectorSpanKernels.handles(op)) {
            VectorSpanKernels.left(op, c, y, yo, o, oo, len);
            return;
        }
        switch (op) {
            case ADD:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c + y[yo + i];
                }
                break;
            case SUB:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c - y[yo + i];
                }
                break;
            case MUL:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c * y[yo + i];
                }
                break;
            case DIV:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c / y[yo + i];
                }
                break;
            case MAX:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.max(c, y[yo + i]);
                }
                break;
            case CLIP_LO:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c < y[yo + i] ? y[yo + i] : c;
                }
                break;
            case CLIP_HI:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = c > y[yo + i] ? y[yo + i] : c;
                }
                break;
            default:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.min(c, y[yo + i]);
                }
        }
    }
}
