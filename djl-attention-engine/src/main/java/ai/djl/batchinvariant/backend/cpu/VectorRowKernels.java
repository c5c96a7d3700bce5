/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.VectorKernels.F;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.L;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.load;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API forms of {@link RowKernels}' passes and {@link LaneSums}: the element-wise passes
 * (division, scale and shift, normalising), the 32 partial sums of a row, and the fused loops
 * that write one row out while they stream the next one in. Every lane computes an output (or a
 * partial sum) of its own with exactly the scalar operation sequence, so each result has the bits
 * of the plain loop it replaces. Loaded only when {@link Simd} finds the module; every vector an
 * operation is called on comes from {@link VectorKernels#load} or is cast to its exact class
 * ({@link VectorKernels#VT}), so that other vector shapes in the process (an application's 512-bit
 * code, say) do not turn these loops' vectors into boxed objects.
 */
final class VectorRowKernels {

    private VectorRowKernels() {}

    /**
     * {@code o[off + i] = v[off + i] / denom} (then {@code * w[i]} when w is given) for i in
     * [0, n): one division and one multiplication per element, each rounded, as in the scalar
     * loop (C2 does not vectorise that loop: its arrays are indexed with different offsets).
     */
    static void divScale(float[] v, int off, int n, float denom, float[] w, float[] o) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector y = VT.cast(load(v, off + i).div(denom));
            if (w != null) {
                y = VT.cast(y.mul(load(w, i)));
            }
            y.intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = w == null ? v[off + i] / denom : v[off + i] / denom * w[i];
        }
    }

    /**
     * {@link #divScale} of the row at {@code off} fused with the first {@link #laneSum} pass of
     * squares over the next row at {@code next}: one loop streams the next row in while the
     * current one is written out, where two passes would each leave half of a core's memory
     * traffic idle. Each output and each partial sum takes exactly the operations of the two
     * separate loops. Returns where the squares stopped (a multiple of 32), their partial sums in
     * {@code s}, for {@link LaneSums#finish}.
     *
     * @param v the rows
     * @param off the current row
     * @param n the row length
     * @param denom the current row's denominator
     * @param w the weight, or null
     * @param o the output rows (may be v)
     * @param next the next row
     * @param s the 32 partial sums of the next row's squares (out)
     * @return the next row's elements summed
     */
    static int divScaleThenSquares(float[] v, int off, int n, float denom, float[] w, float[] o, int next, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector d0 = load(v, next + i);
            FloatVector d1 = load(v, next + i + L);
            FloatVector d2 = load(v, next + i + 2 * L);
            FloatVector d3 = load(v, next + i + 3 * L);
            a0 = VT.cast(a0).add(VT.cast(d0.mul(d0)));
            a1 = VT.cast(a1).add(VT.cast(d1.mul(d1)));
            a2 = VT.cast(a2).add(VT.cast(d2.mul(d2)));
            a3 = VT.cast(a3).add(VT.cast(d3.mul(d3)));
            for (int j = 0; j < 4 * L; j += L) {
                FloatVector y = VT.cast(load(v, off + i + j).div(denom));
                if (w != null) {
                    y = VT.cast(y.mul(load(w, i + j)));
                }
                y.intoArray(o, off + i + j);
            }
        }
        storeSums(a0, a1, a2, a3, s);
        int done = i;
        for (; i + L <= n; i += L) {
            FloatVector y = VT.cast(load(v, off + i).div(denom));
            if (w != null) {
                y = VT.cast(y.mul(load(w, i)));
            }
            y.intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = w == null ? v[off + i] / denom : v[off + i] / denom * w[i];
        }
        return done;
    }

    /**
     * {@code o[off + i] = (x[off + i] - mean) * rstd} (then {@code * gamma[i]}, then {@code +
     * beta[i]}) for i in [0, n): layer norm's output pass, each operation rounded as in the scalar
     * loop. The null checks are loop-invariant, and C2 moves them out of the loop.
     */
    static void normalise(float[] x, int off, int n, float mean, float rstd, float[] gamma, float[] beta, float[] o) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector y = VT.cast(VT.cast(load(x, off + i).sub(mean)).mul(rstd));
            if (gamma != null) {
                y = VT.cast(y.mul(load(gamma, i)));
            }
            if (beta != null) {
                y = VT.cast(y.add(load(beta, i)));
            }
            y.intoArray(o, off + i);
        }
        normaliseFrom(x, off, i, n, mean, rstd, gamma, beta, o);
    }

    /**
     * Layer norm's three passes over three consecutive rows in one loop: {@link #normalise} of
     * the row at {@code off}, the centred squares of the row at {@code mid} (its mean known) and
     * the plain sum of the row at {@code next}. Only the last row comes from memory; the squares
     * pass, from L1, then runs while that row streams in instead of in a loop of its own (which
     * left the core's memory traffic idle for a sixth of the op). Each output and each partial sum
     * takes exactly the operations of the separate loops. Returns where both sums stopped (a
     * multiple of 32), their partial sums in {@code sq} and {@code s}, for {@link LaneSums#finish}.
     *
     * @param x the rows
     * @param off the row written out
     * @param n the row length
     * @param mean that row's mean
     * @param rstd that row's 1 / standard deviation
     * @param gamma the scale, or null
     * @param beta the shift, or null
     * @param o the output rows (may be x)
     * @param mid the row whose centred squares are summed
     * @param midMean its mean
     * @param sq the 32 partial sums of those squares (out)
     * @param next the row whose elements are summed
     * @param s the 32 partial sums of that row (out)
     * @return the elements both sums took
     */
    static int normaliseSquaresSum(float[] x, int off, int n, float mean, float rstd, float[] gamma, float[] beta,
            float[] o, int mid, float midMean, float[] sq, int next, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            b0 = VT.cast(b0).add(load(x, next + i));
            b1 = VT.cast(b1).add(load(x, next + i + L));
            b2 = VT.cast(b2).add(load(x, next + i + 2 * L));
            b3 = VT.cast(b3).add(load(x, next + i + 3 * L));
            FloatVector d0 = VT.cast(load(x, mid + i).sub(midMean));
            FloatVector d1 = VT.cast(load(x, mid + i + L).sub(midMean));
            FloatVector d2 = VT.cast(load(x, mid + i + 2 * L).sub(midMean));
            FloatVector d3 = VT.cast(load(x, mid + i + 3 * L).sub(midMean));
            a0 = VT.cast(a0).add(VT.cast(d0.mul(d0)));
            a1 = VT.cast(a1).add(VT.cast(d1.mul(d1)));
            a2 = VT.cast(a2).add(VT.cast(d2.mul(d2)));
            a3 = VT.cast(a3).add(VT.cast(d3.mul(d3)));
            for (int j = 0; j < 4 * L; j += L) {
                FloatVector y = VT.cast(VT.cast(load(x, off + i + j).sub(mean)).mul(rstd));
                if (gamma != null) {
                    y = VT.cast(y.mul(load(gamma, i + j)));
                }
                if (beta != null) {
                    y = VT.cast(y.add(load(beta, i + j)));
                }
                y.intoArray(o, off + i + j);
            }
        }
        storeSums(a0, a1, a2, a3, sq);
        storeSums(b0, b1, b2, b3, s);
        int done = i;
        normaliseFrom(x, off, i, n, mean, rstd, gamma, beta, o);
        return done;
    }

    /** {@code o[oOff + i] = x[xOff + i] - c} for i in [0, n). */
    static void subScalar(float[] x, int xOff, int n, float c, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(x, xOff + i).sub(c)).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[xOff + i] - c;
        }
    }

    /** {@code o[off + i] = o[off + i] * c} for i in [0, n). */
    static void mulScalar(float[] o, int off, int n, float c) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(o, off + i).mul(c)).intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = o[off + i] * c;
        }
    }

    /**
     * {@code m[i] = max(m[i], x[off + i])} for i in [0, n): the step of one {@link Math#max} chain
     * a lane, for {@link ColumnSoftmax}. A NaN's payload may differ from the plain chain's (the
     * caller redoes a NaN lane in order).
     */
    static void maxLanes(float[] x, int off, float[] m, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(m, i).max(load(x, off + i))).intoArray(m, i);
        }
        for (; i < n; i++) {
            m[i] = Math.max(m[i], x[off + i]);
        }
    }

    /** {@code o[oOff + i] = x[xOff + i] - c[i]} for i in [0, n). */
    static void subLanes(float[] x, int xOff, float[] c, int n, float[] o, int oOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(x, xOff + i).sub(load(c, i))).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = x[xOff + i] - c[i];
        }
    }

    /** {@code s[sOff + i] += e[eOff + i]} for i in [0, n) (s and e may be one array, the runs apart). */
    static void addLanes(float[] e, int eOff, int n, float[] s, int sOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(s, sOff + i).add(load(e, eOff + i))).intoArray(s, sOff + i);
        }
        for (; i < n; i++) {
            s[sOff + i] += e[eOff + i];
        }
    }

    /** {@code o[off + i] = o[off + i] * c[i]} for i in [0, n). */
    static void mulLanes(float[] o, int off, float[] c, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            VT.cast(load(o, off + i).mul(load(c, i))).intoArray(o, off + i);
        }
        for (; i < n; i++) {
            o[off + i] = o[off + i] * c[i];
        }
    }

    /**
     * The vector form of {@link LaneSums#sum}: its 32 partial sums are four vectors of eight
     * lanes, lane l of vector v holding partial sum {@code 8v + l}, each lane adding its terms in
     * index order with the plain loop's roundings (difference, product, sum, never fused). Sums
     * whole blocks of 32 elements into {@code s} (all 32 written) and returns where it stopped;
     * the caller adds the rest of the row to the same partial sums.
     *
     * @param t the term
     * @param x the row's array
     * @param off the row's first element
     * @param n the row length
     * @param c the centre of {@link LaneSums.Term#CENTRED_SQUARE}
     * @param s the 32 partial sums (out)
     * @return the number of elements summed, a multiple of 32
     */
    static int laneSum(LaneSums.Term t, float[] x, int off, int n, float c, float[] s) {
        FloatVector a0 = VT.cast(FloatVector.zero(F));
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        // every term subtracts its centre, +0 unless centred: x - (+0) is x for every float (-0
        // included), and with the subtraction in one case only, a vector exp compiled later in the
        // same process ran seven times slower (its operations lost their exact vector class)
        boolean square = t != LaneSums.Term.VALUE;
        float m = t == LaneSums.Term.CENTRED_SQUARE ? c : 0f;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector d0 = VT.cast(load(x, off + i).sub(m));
            FloatVector d1 = VT.cast(load(x, off + i + L).sub(m));
            FloatVector d2 = VT.cast(load(x, off + i + 2 * L).sub(m));
            FloatVector d3 = VT.cast(load(x, off + i + 3 * L).sub(m));
            if (square) {
                d0 = VT.cast(d0.mul(d0));
                d1 = VT.cast(d1.mul(d1));
                d2 = VT.cast(d2.mul(d2));
                d3 = VT.cast(d3.mul(d3));
            }
            a0 = VT.cast(a0).add(VT.cast(d0));
            a1 = VT.cast(a1).add(VT.cast(d1));
            a2 = VT.cast(a2).add(VT.cast(d2));
            a3 = VT.cast(a3).add(VT.cast(d3));
        }
        storeSums(a0, a1, a2, a3, s);
        return i;
    }

    /** The 32 partial sums of {@link LaneSums} out of their four vectors of eight lanes, in order. */
    private static void storeSums(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] s) {
        VT.cast(a0).intoArray(s, 0);
        VT.cast(a1).intoArray(s, L);
        VT.cast(a2).intoArray(s, 2 * L);
        VT.cast(a3).intoArray(s, 3 * L);
    }

    /** {@link #normalise}'s elements from i to n - 1 one at a time (the rows' tails). */
    private static void normaliseFrom(float[] x, int off, int i, int n, float mean, float rstd, float[] gamma,
            float[] beta, float[] o) {
        for (; i < n; i++) {
            float y = (x[off + i] - mean) * rstd;
            if (gamma != null) {
                y = y * gamma[i];
            }
            if (beta != null) {
                y = y + beta[i];
            }
            o[off + i] = y;
        }
    }
}
