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
            switch (op) {
                case EQ:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] == y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case NEQ:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] != y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case GT:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] > y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case GTE:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] >= y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                case LT:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] < y[yo + i * yStep] ? (byte) 1 : 0;
                    }
                    break;
                default:
                    for (int i = 0; i < len; i++) {
                        o[oo + i] = x[xo + i * xStep] <= y[yo + i * yStep] ? (byte) 1 : 0;
                    }
            }
        });
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

    /** One run: the operands' first elements and steps (0 or 1), the output's first, the length. */
    @FunctionalInterface
    private interface Run {
        void run(int xo, int xStep, int yo, int yStep, int oo, int len);
    }

    /** Cuts the output into runs (see {@link #broadcast}) and calls body for each, on the kernels' threads. */
    private static void inRuns(int[] xs, int[] ys, long[] dims, Run body) {
        int rank = dims.length;
        // modes over the inner run: 0 undecided (dimensions of 1 so far), 1 contiguous, 2 one value
        int xm = 0;
        int ym = 0;
        int inner = 1;
        int k = rank;
        for (; k > 0; k--) {
            int d = (int) dims[k - 1];
            if (d == 1) {
                continue;
            }
            int xn = mode(xm, xs[k - 1], inner);
            int yn = mode(ym, ys[k - 1], inner);
            if (xn < 0 || yn < 0) {
                break;
            }
            xm = xn;
            ym = yn;
            inner *= d;
        }
        int outerDims = k;
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        if (n == 0) {
            return;
        }
        int outer = n / inner;
        int chunks = (inner + ElementwiseKernels.BLOCK - 1) / ElementwiseKernels.BLOCK;
        int xStep = xm == 2 ? 0 : 1;
        int yStep = ym == 2 ? 0 : 1;
        int innerRun = inner;
        Parallel.forEach(outer * chunks, Math.min(innerRun, ElementwiseKernels.BLOCK), item -> {
            int oi = item / chunks;
            int from = (item % chunks) * ElementwiseKernels.BLOCK;
            int len = Math.min(ElementwiseKernels.BLOCK, innerRun - from);
            int xo = 0;
            int yo = 0;
            int rest = oi;
            for (int d = outerDims - 1; d >= 0; d--) {
                int idx = rest % (int) dims[d];
                rest /= (int) dims[d];
                xo += idx * xs[d];
                yo += idx * ys[d];
            }
            body.run(xo + from * xStep, xStep, yo + from * yStep, yStep, oi * innerRun + from, len);
        });
    }

    /**
     * An operand's mode once the inner run takes one more dimension of stride s, the run so far
     * holding {@code inner} elements: contiguous (1) where s continues it, one value (2) where s is
     * 0, -1 where the dimension breaks the operand's mode.
     */
    private static int mode(int m, int s, int inner) {
        if (s == inner && m != 2) {
            return 1;
        }
        if (s == 0 && m != 1) {
            return 2;
        }
        return -1;
    }

    /**
     * o[oo + i] = x[xo + i xs] op y[yo + i ys] for i in [0, len), each stride 0 (one value) or 1: a
     * loop for each case, with no multiplication in the index, so that C2 vectorises it.
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
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] < c ? c : x[xo + i];
                }
                break;
            case CLIP_HI:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = x[xo + i] > c ? c : x[xo + i];
                }
                break;
            default:
                for (int i = 0; i < len; i++) {
                    o[oo + i] = Math.min(x[xo + i], c);
                }
        }
    }

    private static void spanLeft(BinaryOp op, float c, float[] y, int yo, float[] o, int oo, int len) {
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
