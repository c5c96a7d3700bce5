/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;

/**
 * Contiguous float32 fast paths of {@link Elementwise}: one loop per operation with no per-element
 * dispatch, so C2 vectorises it, and threads over blocks of elements for large arrays. Each
 * element is the same single IEEE operation as in {@link Elementwise#apply(BinaryOp, float,
 * float)}, so the bits are those of the generic loop.
 */
final class ElementwiseKernels {

    /** Elements per work item: big enough to amortise a task, small enough to spread. */
    static final int BLOCK = 1 << 16;

    private ElementwiseKernels() {}

    /**
     * Whether {@link #binary} handles the operation.
     *
     * @param op the operation
     * @return true for add, sub, mul, div, max and min
     */
    static boolean handles(BinaryOp op) {
        switch (op) {
            case ADD:
            case SUB:
            case MUL:
            case DIV:
            case MAX:
            case MIN:
                return true;
            default:
                return false;
        }
    }

    /**
     * o[i] = x[i] op y[i] for i in [0, n), where a scalar operand is x[0] (or y[0]) for every i.
     *
     * @param op an operation {@link #handles} accepts
     * @param x the left operand
     * @param scalarX whether x is one value for every i
     * @param y the right operand
     * @param scalarY whether y is one value for every i (not both)
     * @param o the output
     * @param n the element count
     */
    static void binary(BinaryOp op, float[] x, boolean scalarX, float[] y, boolean scalarY, float[] o, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        Parallel.forEach(blocks, BLOCK,
                b -> run(op, x, scalarX, y, scalarY, o, b * BLOCK, Math.min(n, (b + 1) * BLOCK)));
    }

    /**
     * {@link #binary}'s loop over [from, to) on the calling thread.
     *
     * @param op an operation {@link #handles} accepts
     * @param x the left operand
     * @param scalarX whether x is one value for every i
     * @param y the right operand
     * @param scalarY whether y is one value for every i (not both)
     * @param o the output
     * @param from the first element
     * @param to the end
     */
    static void run(BinaryOp op, float[] x, boolean scalarX, float[] y, boolean scalarY, float[] o, int from, int to) {
        // loops of their own rather than BroadcastKernels.span with steps of 0 and 1: through
        // span, same-shape float32 add at 1024 x 4096 took 1.09-1.11 ms against 0.50-0.70
        if (!scalarX && !scalarY) {
            same(op, x, y, o, from, to);
        } else if (scalarY && op == BinaryOp.DIV && exactReciprocal(y[0])) {
            // x / 2^k and x · 2^-k are the same real number, so they round to the same float
            // (x / 2 at 1024 x 4096: 1.57 ms divided, 0.38 multiplied)
            right(BinaryOp.MUL, x, 1f / y[0], o, from, to);
        } else if (scalarY) {
            right(op, x, y[0], o, from, to);
        } else {
            left(op, x[0], y, o, from, to);
        }
    }

    /**
     * Whether c is a power of two whose reciprocal is a float too (2^k for k in [-126, 127]: the
     * reciprocal 2^-k is normal, or 2^-127, subnormal but exact).
     */
    static boolean exactReciprocal(float c) {
        int bits = Float.floatToRawIntBits(c);
        int exponent = bits >>> 23 & 0xff;
        return (bits & 0x7fffff) == 0 && exponent >= 1 && exponent <= 254;
    }

    private static void same(BinaryOp op, float[] x, float[] y, float[] o, int from, int to) {
        switch (op) {
            case ADD:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] + y[i];
                }
                break;
            case SUB:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] - y[i];
                }
                break;
            case MUL:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] * y[i];
                }
                break;
            case DIV:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] / y[i];
                }
                break;
            case MAX:
                for (int i = from; i < to; i++) {
                    o[i] = Math.max(x[i], y[i]);
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    o[i] = Math.min(x[i], y[i]);
                }
        }
    }

    private static void right(BinaryOp op, float[] x, float c, float[] o, int from, int to) {
        switch (op) {
            case ADD:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] + c;
                }
                break;
            case SUB:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] - c;
                }
                break;
            case MUL:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] * c;
                }
                break;
            case DIV:
                for (int i = from; i < to; i++) {
                    o[i] = x[i] / c;
                }
                break;
            case MAX:
                for (int i = from; i < to; i++) {
                    o[i] = Math.max(x[i], c);
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    o[i] = Math.min(x[i], c);
                }
        }
    }

    private static void left(BinaryOp op, float c, float[] y, float[] o, int from, int to) {
        switch (op) {
            case ADD:
                for (int i = from; i < to; i++) {
                    o[i] = c + y[i];
                }
                break;
            case SUB:
                for (int i = from; i < to; i++) {
                    o[i] = c - y[i];
                }
                break;
            case MUL:
                for (int i = from; i < to; i++) {
                    o[i] = c * y[i];
                }
                break;
            case DIV:
                for (int i = from; i < to; i++) {
                    o[i] = c / y[i];
                }
                break;
            case MAX:
                for (int i = from; i < to; i++) {
                    o[i] = Math.max(c, y[i]);
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    o[i] = Math.min(c, y[i]);
                }
        }
    }

    /**
     * Whether {@link #unary} handles the operation.
     *
     * @param op the operation
     * @return true for neg, abs, square, relu, sqrt, exp, sigmoid, tanh and log
     */
    static boolean handles(UnaryOp op) {
        switch (op) {
            case NEG:
            case ABS:
            case SQUARE:
            case RELU:
            case SQRT:
            case EXP:
            case SIGMOID:
            case TANH:
            case LOG:
                return true;
            default:
                return false;
        }
    }

    /**
     * o[i] = op(x[i]) for i in [0, n) with the bits of {@link Elementwise#apply(UnaryOp, float)}.
     *
     * @param vector whether exp, sigmoid, tanh, log and relu may use the vector path
     * @param op an operation {@link #handles} accepts
     * @param x the input
     * @param o the output
     * @param n the element count
     */
    static void unary(boolean vector, UnaryOp op, float[] x, float[] o, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        Parallel.forEach(blocks, BLOCK, b -> {
            int from = b * BLOCK;
            int to = Math.min(n, from + BLOCK);
            switch (op) {
                case NEG:
                    for (int i = from; i < to; i++) {
                        o[i] = -x[i];
                    }
                    break;
                case ABS:
                    for (int i = from; i < to; i++) {
                        o[i] = Math.abs(x[i]);
                    }
                    break;
                case SQUARE:
                    for (int i = from; i < to; i++) {
                        o[i] = x[i] * x[i];
                    }
                    break;
                case RELU:
                    if (vector) {
                        VectorElementwiseKernels.relu(x, from, to - from, o, from);
                    } else {
                        for (int i = from; i < to; i++) {
                            o[i] = x[i] < 0 ? 0f : x[i];
                        }
                    }
                    break;
                case SQRT:
                    for (int i = from; i < to; i++) {
                        o[i] = (float) Math.sqrt(x[i]);
                    }
                    break;
                case SIGMOID:
                    sigmoid(vector, x, o, from, to);
                    break;
                case TANH:
                    if (vector) {
                        VectorElementwiseKernels.tanh(x, from, to - from, o, from);
                    } else {
                        for (int i = from; i < to; i++) {
                            o[i] = FastMath.tanh(x[i]);
                        }
                    }
                    break;
                case LOG:
                    if (vector) {
                        VectorElementwiseKernels.log(x, from, to - from, o, from);
                    } else {
                        for (int i = from; i < to; i++) {
                            o[i] = FastMath.log(x[i]);
                        }
                    }
                    break;
                default:
                    AttentionKernels.exp(vector, x, from, to - from, 0f, o, from);
            }
        });
    }

    /**
     * {@code o[i] = Elementwise.apply(op, x[i])} for i in [0, n), for the operations {@link
     * #handles} leaves out: threads over blocks, as for the others. gelu (on the Vector API where
     * asked: {@link VectorElementwiseKernels#gelu}) and erf, costly ones that models use, and the
     * roundings and sign, a few instructions each, get a loop each with apply's formula (through
     * {@code apply}, a switch an element, floor took 4–6 ms at 1024 × 4096 and sign about 16, and a loop
     * calling apply with the op a constant was no faster); the rest loop over {@code apply}.
     *
     * @param vector whether the Vector API paths may run
     * @param op the operation
     * @param x the input
     * @param o the output
     * @param n the element count
     * @param geluInfNaN whether gelu gives NaN at +infinity (PyTorch's oneDNN kernel, {@link
     *     ai.djl.batchinvariant.backend.TypeRules#geluInfIsNaN})
     */
    static void each(boolean vector, UnaryOp op, float[] x, float[] o, int n, boolean geluInfNaN) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        boolean lanes = vector && Simd.DOUBLE_LANES;
        // tens of operations an element (gelu's double rational functions and exponentials)
        Parallel.forEach(blocks, 32L * BLOCK, b -> {
            int from = b * BLOCK;
            int to = Math.min(n, from + BLOCK);
            switch (op) {
                case GELU:
                    if (lanes) {
                        VectorElementwiseKernels.gelu(x, from, to - from, o, from, geluInfNaN);
                        break;
                    }
                    for (int i = from; i < to; i++) {
                        o[i] = geluInfNaN && x[i] == Float.POSITIVE_INFINITY ? Float.NaN : ErfFunctions.gelu(x[i]);
                    }
                    break;
                case ERF:
                case LOG2:
                case SIN:
                case COS:
                    if (lanes) {
                        DoubleLaneKernels.run(op, x, from, to - from, o, from);
                    } else {
                        applyEach(op, x, o, from, to);
                    }
                    break;
                case SOFTPLUS:
                    softPlus(vector, x, o, from, to);
                    break;
                case FLOOR:
                case CEIL:
                case ROUND:
                case TRUNC:
                    if (vector) {
                        VectorElementwiseKernels.rounding(op, x, from, to - from, o, from);
                        break;
                    }
                    rounding(op, x, o, from, to);
                    break;
                case SIGN:
                    if (vector) {
                        VectorElementwiseKernels.sign(x, from, to - from, o, from);
                        break;
                    }
                    for (int i = from; i < to; i++) {
                        o[i] = Elementwise.sign(x[i]);
                    }
                    break;
                default:
                    applyEach(op, x, o, from, to);
            }
        });
    }

    /** o[i] = {@link Elementwise#apply}(op, x[i]) over [from, to). */
    private static void applyEach(UnaryOp op, float[] x, float[] o, int from, int to) {
        for (int i = from; i < to; i++) {
            o[i] = Elementwise.apply(op, x[i]);
        }
    }

    /** floor, ceil, round or trunc over [from, to), a loop each (the op a constant in it). */
    private static void rounding(UnaryOp op, float[] x, float[] o, int from, int to) {
        switch (op) {
            case FLOOR:
                for (int i = from; i < to; i++) {
                    o[i] = (float) Math.floor(x[i]);
                }
                break;
            case CEIL:
                for (int i = from; i < to; i++) {
                    o[i] = (float) Math.ceil(x[i]);
                }
                break;
            case ROUND:
                for (int i = from; i < to; i++) {
                    o[i] = (float) Math.rint(x[i]);
                }
                break;
            default:
                for (int i = from; i < to; i++) {
                    o[i] = Elementwise.trunc(x[i]);
                }
        }
    }

    /**
     * softPlus, {@code x > 20 ? x : log(1 + exp(x))} (the formula of {@link
     * Elementwise#apply(UnaryOp, float)}), over [from, to) in three passes — exp, one plus, log —
     * each rounded as there and each on the Vector API where asked (the same bits); one element at
     * a time through apply it took 51 ms at 1024 × 4096.
     */
    private static void softPlus(boolean vector, float[] x, float[] o, int from, int to) {
        AttentionKernels.exp(vector, x, from, to - from, 0f, o, from);
        for (int i = from; i < to; i++) {
            o[i] = 1f + o[i];
        }
        if (vector) {
            VectorElementwiseKernels.log(o, from, to - from, o, from);
        } else {
            for (int i = from; i < to; i++) {
                o[i] = FastMath.log(o[i]);
            }
        }
        for (int i = from; i < to; i++) {
            o[i] = x[i] > 20f ? x[i] : o[i];
        }
    }

    /**
     * Leaky ReLU, {@code o[i] = x[i] > 0 ? x[i] : alpha · x[i]}, on the kernels' threads (a blend
     * on the Vector API where asked: one element at a time the branch mispredicts on data of both
     * signs).
     *
     * @param vector whether to use the Vector API
     * @param x the input
     * @param o the output
     * @param n the element count
     * @param alpha the slope below zero
     */
    static void leakyRelu(boolean vector, float[] x, float[] o, int n, float alpha) {
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, b -> {
            int from = b * BLOCK;
            int to = Math.min(n, from + BLOCK);
            if (vector) {
                VectorElementwiseKernels.leakyRelu(x, from, to - from, alpha, o, from);
                return;
            }
            for (int i = from; i < to; i++) {
                o[i] = x[i] > 0 ? x[i] : alpha * x[i];
            }
        });
    }

    /**
     * ELU, {@code o[i] = x[i] > 0 ? x[i] : alpha · (FastMath.exp(x[i]) - 1)}, on the kernels'
     * threads: the exponentials of a block first (the vector exp where asked, the same bits), then
     * the choice.
     *
     * @param vector whether to use the Vector API
     * @param x the input
     * @param o the output (not x)
     * @param n the element count
     * @param alpha the scale below zero
     */
    static void elu(boolean vector, float[] x, float[] o, int n, float alpha) {
        Parallel.forEach((n + BLOCK - 1) / BLOCK, 24L * BLOCK, b -> {
            int from = b * BLOCK;
            int to = Math.min(n, from + BLOCK);
            AttentionKernels.exp(vector, x, from, to - from, 0f, o, from);
            if (vector) {
                VectorElementwiseKernels.eluFromExp(x, from, to - from, alpha, o, from);
                return;
            }
            for (int i = from; i < to; i++) {
                o[i] = x[i] > 0 ? x[i] : alpha * (o[i] - 1f);
            }
        });
    }

    /**
     * {@code o[i] = FastMath.sigmoid(x[i])} for i in [from, to): 1 / (1 + exp(-x)), each step
     * rounded as there; the vector path is one pass, {@link VectorElementwiseKernels#sigmoid}.
     *
     * @param vector whether exp, sigmoid, tanh, log and relu may use the vector path
     * @param x the input
     * @param o the output (may be x)
     * @param from the first element
     * @param to past the last element
     */
    static void sigmoid(boolean vector, float[] x, float[] o, int from, int to) {
        if (!vector) {
            for (int i = from; i < to; i++) {
                o[i] = FastMath.sigmoid(x[i]);
            }
            return;
        }
        VectorElementwiseKernels.sigmoid(x, from, to - from, o, from);
    }
}
