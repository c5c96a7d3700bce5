/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.backend.ReduceOp;

import java.util.Arrays;

/**
 * float32 reductions over one block of adjacent axes without an index array. The input is seen as
 * [outer][len][inner] and the output as [outer][inner]; each output reduces its len values in
 * index order, one chain, exactly as {@link CpuReductions}' element loop does (the contract's
 * order, which the GPU's reduction kernel keeps too). The speed comes from independent outputs
 * only: over the last axis (inner 1) eight rows' chains are interleaved so that their adds'
 * latencies overlap; over an axis with elements after it (inner &gt; 1) a run of outputs advances
 * together, one element of each chain per step (a loop without a dependence between its
 * iterations). Threads take disjoint outputs, never part of a chain.
 */
final class ReductionKernels {

    /** Rows whose chains one pass interleaves over the last axis. */
    private static final int ROWS = 8;

    /** Outputs a task takes at once where inner &gt; 1: the run of sums stays in L1. */
    private static final int COLUMNS = 2048;

    private ReductionKernels() {}

    /**
     * out[a * inner + b] = the reduction of x[(a * len + r) * inner + b] over r = 0, 1, …, len - 1 in
     * that order, starting from op's identity; a mean divides the sum by len at the end.
     *
     * @param op the reduction
     * @param x the input, outer * len * inner elements
     * @param outer the count of leading positions
     * @param len the reduced length (at least 1)
     * @param inner the count of trailing positions
     * @param out the output, outer * inner elements
     */
    static void reduce(ReduceOp op, float[] x, int outer, int len, int inner, float[] out) {
        if (inner == 1) {
            int groups = (outer + ROWS - 1) / ROWS;
            Parallel.forEach(groups, (long) ROWS * len, g -> {
                int from = g * ROWS;
                lastAxis(op, x, from, Math.min(outer, from + ROWS), len, out);
            });
        } else {
            int chunks = (inner + COLUMNS - 1) / COLUMNS;
            Parallel.forEach(outer * chunks, (long) len * Math.min(inner, COLUMNS), item -> {
                int a = item / chunks;
                int from = (item % chunks) * COLUMNS;
                int to = Math.min(inner, from + COLUMNS);
                columns(op, x, a * len * inner, len, inner, from, to, out, a * inner);
            });
        }
    }

    private static float identity(ReduceOp op) {
        switch (op) {
            case MAX:
                return Float.NEGATIVE_INFINITY;
            case MIN:
                return Float.POSITIVE_INFINITY;
            case PROD:
                return 1f;
            default:
                return 0f;
        }
    }

    /** Rows [from, to) over the last axis: groups of eight chains, then one at a time. */
    private static void lastAxis(ReduceOp op, float[] x, int from, int to, int len, float[] out) {
        int r = from;
        if (to - from == ROWS) {
            if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
                sumRows(x, r * len, len, out, r);
            } else {
                stepRows(op, x, r * len, len, out, r);
            }
            r = to;
        }
        for (; r < to; r++) {
            float acc = identity(op);
            int b = r * len;
            for (int i = 0; i < len; i++) {
                acc = step(op, acc, x[b + i]);
            }
            out[r] = acc;
        }
        if (op == ReduceOp.MEAN) {
            for (int i = from; i < to; i++) {
                out[i] /= len;
            }
        }
    }

    /** One element of a chain, as {@link CpuReductions}' loop takes it. */
    private static float step(ReduceOp op, float acc, float v) {
        switch (op) {
            case MAX:
                return Float.isNaN(v) ? v : Math.max(acc, v);
            case MIN:
                return Float.isNaN(v) ? v : Math.min(acc, v);
            case PROD:
                return acc * v;
            default:
                return acc + v;
        }
    }

    private static void sumRows(float[] x, int b, int len, float[] out, int o) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
        for (int i = 0; i < len; i++) {
            a0 += x[b + i];
            a1 += x[b + len + i];
            a2 += x[b + 2 * len + i];
            a3 += x[b + 3 * len + i];
            a4 += x[b + 4 * len + i];
            a5 += x[b + 5 * len + i];
            a6 += x[b + 6 * len + i];
            a7 += x[b + 7 * len + i];
        }
        store(out, o, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /**
     * Eight chains of a max, min or product, each element by {@link #step}: the switch on the
     * operation inside the loop measured as fast as a loop written out per operation (max over
     * the last axis 1.16–1.28 against 1.23–1.90 ms at 1024 × 4096).
     */
    private static void stepRows(ReduceOp op, float[] x, int b, int len, float[] out, int o) {
        float a0 = identity(op), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < len; i++) {
            a0 = step(op, a0, x[b + i]);
            a1 = step(op, a1, x[b + len + i]);
            a2 = step(op, a2, x[b + 2 * len + i]);
            a3 = step(op, a3, x[b + 3 * len + i]);
            a4 = step(op, a4, x[b + 4 * len + i]);
            a5 = step(op, a5, x[b + 5 * len + i]);
            a6 = step(op, a6, x[b + 6 * len + i]);
            a7 = step(op, a7, x[b + 7 * len + i]);
        }
        store(out, o, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    private static void store(float[] out, int o, float a0, float a1, float a2, float a3, float a4, float a5,
            float a6, float a7) {
        out[o] = a0;
        out[o + 1] = a1;
        out[o + 2] = a2;
        out[o + 3] = a3;
        out[o + 4] = a4;
        out[o + 5] = a5;
        out[o + 6] = a6;
        out[o + 7] = a7;
    }

    /**
     * Outputs [from, to) of one leading position: their chains advance together, element r of
     * each per pass over the run (the run's partial results live in out, in L1).
     */
    private static void columns(ReduceOp op, float[] x, int base, int len, int inner, int from, int to, float[] out,
            int ob) {
        Arrays.fill(out, ob + from, ob + to, identity(op));
        int r = 0;
        if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
            // four elements of each chain a pass, added in order: a load and a store of the
            // partial sums per four elements instead of per element
            for (; r + 4 <= len; r += 4) {
                int x0 = base + r * inner - ob;
                int x1 = x0 + inner;
                int x2 = x1 + inner;
                int x3 = x2 + inner;
                for (int j = ob + from; j < ob + to; j++) {
                    out[j] = out[j] + x[x0 + j] + x[x1 + j] + x[x2 + j] + x[x3 + j];
                }
            }
        }
        for (; r < len; r++) {
            int xb = base + r * inner - ob;
            switch (op) {
                case MAX:
                    for (int j = ob + from; j < ob + to; j++) {
                        out[j] = step(ReduceOp.MAX, out[j], x[xb + j]);
                    }
                    break;
                case MIN:
                    for (int j = ob + from; j < ob + to; j++) {
                        out[j] = step(ReduceOp.MIN, out[j], x[xb + j]);
                    }
                    break;
                case PROD:
                    for (int j = ob + from; j < ob + to; j++) {
                        out[j] *= x[xb + j];
                    }
                    break;
                default:
                    for (int j = ob + from; j < ob + to; j++) {
                        out[j] += x[xb + j];
                    }
            }
        }
        if (op == ReduceOp.MEAN) {
            for (int j = ob + from; j < ob + to; j++) {
                out[j] /= len;
            }
        }
    }

    /**
     * out[a * inner + b] = the first r in [0, len) whose x[(a * len + r) * inner + b] is the
     * largest (smallest), compared as {@link CpuReductions#argExtreme}'s loop compares: each value
     * only against the best so far, strictly, so a NaN never replaces a number nor one a NaN that
     * came first.
     *
     * @param x the input, outer * len * inner elements
     * @param outer the count of leading positions
     * @param len the length of the searched axis (at least 1)
     * @param inner the count of trailing positions
     * @param max whether the largest is sought
     * @param out the output, outer * inner indices
     */
    static void argExtreme(float[] x, int outer, int len, int inner, boolean max, long[] out) {
        int chunks = (inner + COLUMNS - 1) / COLUMNS;
        Parallel.forEach(outer * chunks, (long) len * Math.min(inner, COLUMNS), item -> {
            int a = item / chunks;
            int from = (item % chunks) * COLUMNS;
            int to = Math.min(inner, from + COLUMNS);
            int base = a * len * inner;
            if (inner == 1) {
                out[a] = argRow(x, base, len, max);
                return;
            }
            // a run of outputs advances together, row by row (the input streams)
            float[] bv = new float[to - from];
            int[] best = new int[to - from];
            System.arraycopy(x, base + from, bv, 0, to - from);
            for (int r = 1; r < len; r++) {
                int k = base + r * inner + from;
                for (int b = 0; b < bv.length; b++) {
                    float v = x[k + b];
                    if (max ? v > bv[b] : v < bv[b]) {
                        bv[b] = v;
                        best[b] = r;
                    }
                }
            }
            for (int b = 0; b < bv.length; b++) {
                out[a * inner + from + b] = best[b];
            }
        });
    }

    private static int argRow(float[] x, int base, int len, boolean max) {
        int best = 0;
        float bv = x[base];
        for (int r = 1; r < len; r++) {
            float v = x[base + r];
            if (max ? v > bv : v < bv) {
                bv = v;
                best = r;
            }
        }
        return best;
    }

    /**
     * Running sums along rows: o[r * n + i] = x[r * n] + … + x[r * n + i], each row's chain in
     * index order from +0 as {@link CpuReductions#cumSum}'s loop takes it; four rows' chains
     * interleaved, rows on the kernels' threads. (Four, not the reductions' eight: a slow first
     * measurement blamed on eight rows' sixteen streams turned out to be a fresh output array a
     * call; the two counts were not compared again.)
     *
     * @param x the input, rows * n elements
     * @param rows the row count
     * @param n the row length
     * @param o the output
     */
    static void cumSum(float[] x, int rows, int n, float[] o) {
        Parallel.forEach((rows + 3) / 4, 4L * n, g -> {
            int r = g * 4;
            int to = Math.min(rows, r + 4);
            if (to - r == 4) {
                int b = r * n;
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
                for (int i = 0; i < n; i++) {
                    o[b + i] = a0 += x[b + i];
                    o[b + n + i] = a1 += x[b + n + i];
                    o[b + 2 * n + i] = a2 += x[b + 2 * n + i];
                    o[b + 3 * n + i] = a3 += x[b + 3 * n + i];
                }
                return;
            }
            for (; r < to; r++) {
                float acc = 0f;
                for (int i = r * n; i < (r + 1) * n; i++) {
                    o[i] = acc += x[i];
                }
            }
        });
    }
}
