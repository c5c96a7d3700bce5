/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The micro-kernels of {@link PackedGemm} on the incubating Vector API. Loaded only when the
 * module {@code jdk.incubator.vector} is in the boot layer ({@link PackedGemm} checks before the
 * first call), so the engine runs without it.
 *
 * <p>Each vector lane is one output column with its own accumulator, and every step is {@code
 * a.fma(b, acc)}: one exactly rounded multiply-add, the scalar {@code c = Math.fma(a, b, c)}. No
 * lane ever combines with another, so the bits are those of the sequential scalar loop (and the
 * fused step runs at twice the rate of a separate multiply and add).
 */
final class VectorGemmKernels {

    /** The widest species the platform runs natively (16 floats with AVX-512). */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int LANES = SPECIES.length();
    /**
     * The exact vector class of {@link #SPECIES}. Loop-carried vectors are cast to it at the top of
     * each step: C2 parses a loop before it knows the type of what the back edge carries, so without
     * the cast each add, mul and store on an accumulator dispatches on FloatVector's shared type
     * profile, and once other code of the process has used another vector size (the attention
     * kernels use 128 and 256 bits) the intrinsics fail and every step runs the Java fallback,
     * allocating arrays: 10 to 20 times slower (seen in the model's decode step).
     */
    @SuppressWarnings("unchecked")
    static final Class<FloatVector> VT = (Class<FloatVector>) (Class<?>) SPECIES.vectorType();
    /** Panel width: four vectors per row, sixteen accumulators for four rows. */
    static final int WIDTH = 4 * LANES;

    private VectorGemmKernels() {}

    /**
     * Four rows × {@link #WIDTH} columns over k in [k0, k1): the sixteen accumulators stay in
     * registers for the whole k range and meet memory only at its ends.
     *
     * @param a the left matrix
     * @param aRow offset of the first of the four rows in {@code a}
     * @param lda distance between rows of {@code a}
     * @param p the packed panel data
     * @param pOff offset of the panel (k = 0) in {@code p}; row kk starts at pOff + kk·WIDTH
     * @param t the tile of partial sums, rows {@link #WIDTH} apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows4(float[] a, int aRow, int lda, float[] p, int pOff, float[] t, int tOff,
            int k0, int k1, boolean first) {
        final int l = LANES;
        final int w = WIDTH;
        FloatVector c00;
        FloatVector c01;
        FloatVector c02;
        FloatVector c03;
        FloatVector c10;
        FloatVector c11;
        FloatVector c12;
        FloatVector c13;
        FloatVector c20;
        FloatVector c21;
        FloatVector c22;
        FloatVector c23;
        FloatVector c30;
        FloatVector c31;
        FloatVector c32;
        FloatVector c33;
        if (first) {
            FloatVector z = FloatVector.zero(SPECIES);
            c00 = z;
            c01 = z;
            c02 = z;
            c03 = z;
            c10 = z;
            c11 = z;
            c12 = z;
            c13 = z;
            c20 = z;
            c21 = z;
            c22 = z;
            c23 = z;
            c30 = z;
            c31 = z;
            c32 = z;
            c33 = z;
        } else {
            int u = tOff;
            c00 = FloatVector.fromArray(SPECIES, t, u);
            c01 = FloatVector.fromArray(SPECIES, t, u + l);
            c02 = FloatVector.fromArray(SPECIES, t, u + 2 * l);
            c03 = FloatVector.fromArray(SPECIES, t, u + 3 * l);
            u += w;
            c10 = FloatVector.fromArray(SPECIES, t, u);
            c11 = FloatVector.fromArray(SPECIES, t, u + l);
            c12 = FloatVector.fromArray(SPECIES, t, u + 2 * l);
            c13 = FloatVector.fromArray(SPECIES, t, u + 3 * l);
            u += w;
            c20 = FloatVector.fromArray(SPECIES, t, u);
            c21 = FloatVector.fromArray(SPECIES, t, u + l);
            c22 = FloatVector.fromArray(SPECIES, t, u + 2 * l);
            c23 = FloatVector.fromArray(SPECIES, t, u + 3 * l);
            u += w;
            c30 = FloatVector.fromArray(SPECIES, t, u);
            c31 = FloatVector.fromArray(SPECIES, t, u + l);
            c32 = FloatVector.fromArray(SPECIES, t, u + 2 * l);
            c33 = FloatVector.fromArray(SPECIES, t, u + 3 * l);
        }
        int a0 = aRow;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int pb = pOff + k0 * w;
        for (int kk = k0; kk < k1; kk++, pb += w) {
            c00 = VT.cast(c00);
            c01 = VT.cast(c01);
            c02 = VT.cast(c02);
            c03 = VT.cast(c03);
            c10 = VT.cast(c10);
            c11 = VT.cast(c11);
            c12 = VT.cast(c12);
            c13 = VT.cast(c13);
            c20 = VT.cast(c20);
            c21 = VT.cast(c21);
            c22 = VT.cast(c22);
            c23 = VT.cast(c23);
            c30 = VT.cast(c30);
            c31 = VT.cast(c31);
            c32 = VT.cast(c32);
            c33 = VT.cast(c33);
            FloatVector b0 = FloatVector.fromArray(SPECIES, p, pb);
            FloatVector b1 = FloatVector.fromArray(SPECIES, p, pb + l);
            FloatVector b2 = FloatVector.fromArray(SPECIES, p, pb + 2 * l);
            FloatVector b3 = FloatVector.fromArray(SPECIES, p, pb + 3 * l);
            FloatVector x = VT.cast(FloatVector.broadcast(SPECIES, a[a0 + kk]));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a1 + kk]));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a2 + kk]));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a3 + kk]));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        c00 = VT.cast(c00);
        c01 = VT.cast(c01);
        c02 = VT.cast(c02);
        c03 = VT.cast(c03);
        c10 = VT.cast(c10);
        c11 = VT.cast(c11);
        c12 = VT.cast(c12);
        c13 = VT.cast(c13);
        c20 = VT.cast(c20);
        c21 = VT.cast(c21);
        c22 = VT.cast(c22);
        c23 = VT.cast(c23);
        c30 = VT.cast(c30);
        c31 = VT.cast(c31);
        c32 = VT.cast(c32);
        c33 = VT.cast(c33);
        int u = tOff;
        c00.intoArray(t, u);
        c01.intoArray(t, u + l);
        c02.intoArray(t, u + 2 * l);
        c03.intoArray(t, u + 3 * l);
        u += w;
        c10.intoArray(t, u);
        c11.intoArray(t, u + l);
        c12.intoArray(t, u + 2 * l);
        c13.intoArray(t, u + 3 * l);
        u += w;
        c20.intoArray(t, u);
        c21.intoArray(t, u + l);
        c22.intoArray(t, u + 2 * l);
        c23.intoArray(t, u + 3 * l);
        u += w;
        c30.intoArray(t, u);
        c31.intoArray(t, u + l);
        c32.intoArray(t, u + 2 * l);
        c33.intoArray(t, u + 3 * l);
    }

    /**
     * Six rows × {@link #WIDTH} columns over k in [k0, k1): 24 accumulators, six broadcasts of A per
     * four panel loads (rows4 takes four per four). Each output's sum is the one of {@link #rows4}
     * (the same fused step in increasing k), so the two kernels give the same bits; six rows cut
     * the panel's reads a flop by a third, which is what the four-row kernel waited on.
     *
     * @param a the left matrix
     * @param aRow offset of the first of the six rows in {@code a}
     * @param lda distance between rows of {@code a}
     * @param p the packed panel data
     * @param pOff offset of the panel (k = 0) in {@code p}; row kk starts at pOff + kk·WIDTH
     * @param t the tile of partial sums, rows {@link #WIDTH} apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows6(float[] a, int aRow, int lda, float[] p, int pOff, float[] t, int tOff,
            int k0, int k1, boolean first) {
        final int l = LANES;
        final int w = WIDTH;
        FloatVector c00;
        FloatVector c01;
        FloatVector c02;
        FloatVector c03;
        FloatVector c10;
        FloatVector c11;
        FloatVector c12;
        FloatVector c13;
        FloatVector c20;
        FloatVector c21;
        FloatVector c22;
        FloatVector c23;
        FloatVector c30;
        FloatVector c31;
        FloatVector c32;
        FloatVector c33;
        FloatVector c40;
        FloatVector c41;
        FloatVector c42;
        FloatVector c43;
        FloatVector c50;
        FloatVector c51;
        FloatVector c52;
        FloatVector c53;
        if (first) {
            FloatVector z = FloatVector.zero(SPECIES);
            c00 = z;
            c01 = z;
            c02 = z;
            c03 = z;
            c10 = z;
            c11 = z;
            c12 = z;
            c13 = z;
            c20 = z;
            c21 = z;
            c22 = z;
            c23 = z;
            c30 = z;
            c31 = z;
            c32 = z;
            c33 = z;
            c40 = z;
            c41 = z;
            c42 = z;
            c43 = z;
            c50 = z;
            c51 = z;
            c52 = z;
            c53 = z;
        } else {
            c00 = FloatVector.fromArray(SPECIES, t, tOff);
            c01 = FloatVector.fromArray(SPECIES, t, tOff + l);
            c02 = FloatVector.fromArray(SPECIES, t, tOff + 2 * l);
            c03 = FloatVector.fromArray(SPECIES, t, tOff + 3 * l);
            c10 = FloatVector.fromArray(SPECIES, t, tOff + w);
            c11 = FloatVector.fromArray(SPECIES, t, tOff + w + l);
            c12 = FloatVector.fromArray(SPECIES, t, tOff + w + 2 * l);
            c13 = FloatVector.fromArray(SPECIES, t, tOff + w + 3 * l);
            c20 = FloatVector.fromArray(SPECIES, t, tOff + 2 * w);
            c21 = FloatVector.fromArray(SPECIES, t, tOff + 2 * w + l);
            c22 = FloatVector.fromArray(SPECIES, t, tOff + 2 * w + 2 * l);
            c23 = FloatVector.fromArray(SPECIES, t, tOff + 2 * w + 3 * l);
            c30 = FloatVector.fromArray(SPECIES, t, tOff + 3 * w);
            c31 = FloatVector.fromArray(SPECIES, t, tOff + 3 * w + l);
            c32 = FloatVector.fromArray(SPECIES, t, tOff + 3 * w + 2 * l);
            c33 = FloatVector.fromArray(SPECIES, t, tOff + 3 * w + 3 * l);
            c40 = FloatVector.fromArray(SPECIES, t, tOff + 4 * w);
            c41 = FloatVector.fromArray(SPECIES, t, tOff + 4 * w + l);
            c42 = FloatVector.fromArray(SPECIES, t, tOff + 4 * w + 2 * l);
            c43 = FloatVector.fromArray(SPECIES, t, tOff + 4 * w + 3 * l);
            c50 = FloatVector.fromArray(SPECIES, t, tOff + 5 * w);
            c51 = FloatVector.fromArray(SPECIES, t, tOff + 5 * w + l);
            c52 = FloatVector.fromArray(SPECIES, t, tOff + 5 * w + 2 * l);
            c53 = FloatVector.fromArray(SPECIES, t, tOff + 5 * w + 3 * l);
        }
        int a0 = aRow;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        int pb = pOff + k0 * w;
        for (int kk = k0; kk < k1; kk++, pb += w) {
            c00 = VT.cast(c00);
            c01 = VT.cast(c01);
            c02 = VT.cast(c02);
            c03 = VT.cast(c03);
            c10 = VT.cast(c10);
            c11 = VT.cast(c11);
            c12 = VT.cast(c12);
            c13 = VT.cast(c13);
            c20 = VT.cast(c20);
            c21 = VT.cast(c21);
            c22 = VT.cast(c22);
            c23 = VT.cast(c23);
            c30 = VT.cast(c30);
            c31 = VT.cast(c31);
            c32 = VT.cast(c32);
            c33 = VT.cast(c33);
            c40 = VT.cast(c40);
            c41 = VT.cast(c41);
            c42 = VT.cast(c42);
            c43 = VT.cast(c43);
            c50 = VT.cast(c50);
            c51 = VT.cast(c51);
            c52 = VT.cast(c52);
            c53 = VT.cast(c53);
            FloatVector b0 = FloatVector.fromArray(SPECIES, p, pb);
            FloatVector b1 = FloatVector.fromArray(SPECIES, p, pb + l);
            FloatVector b2 = FloatVector.fromArray(SPECIES, p, pb + 2 * l);
            FloatVector b3 = FloatVector.fromArray(SPECIES, p, pb + 3 * l);
            FloatVector x = VT.cast(FloatVector.broadcast(SPECIES, a[a0 + kk]));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a1 + kk]));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a2 + kk]));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a3 + kk]));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a4 + kk]));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = VT.cast(FloatVector.broadcast(SPECIES, a[a5 + kk]));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
        }
        VT.cast(c00).intoArray(t, tOff);
        VT.cast(c01).intoArray(t, tOff + l);
        VT.cast(c02).intoArray(t, tOff + 2 * l);
        VT.cast(c03).intoArray(t, tOff + 3 * l);
        VT.cast(c10).intoArray(t, tOff + w);
        VT.cast(c11).intoArray(t, tOff + w + l);
        VT.cast(c12).intoArray(t, tOff + w + 2 * l);
        VT.cast(c13).intoArray(t, tOff + w + 3 * l);
        VT.cast(c20).intoArray(t, tOff + 2 * w);
        VT.cast(c21).intoArray(t, tOff + 2 * w + l);
        VT.cast(c22).intoArray(t, tOff + 2 * w + 2 * l);
        VT.cast(c23).intoArray(t, tOff + 2 * w + 3 * l);
        VT.cast(c30).intoArray(t, tOff + 3 * w);
        VT.cast(c31).intoArray(t, tOff + 3 * w + l);
        VT.cast(c32).intoArray(t, tOff + 3 * w + 2 * l);
        VT.cast(c33).intoArray(t, tOff + 3 * w + 3 * l);
        VT.cast(c40).intoArray(t, tOff + 4 * w);
        VT.cast(c41).intoArray(t, tOff + 4 * w + l);
        VT.cast(c42).intoArray(t, tOff + 4 * w + 2 * l);
        VT.cast(c43).intoArray(t, tOff + 4 * w + 3 * l);
        VT.cast(c50).intoArray(t, tOff + 5 * w);
        VT.cast(c51).intoArray(t, tOff + 5 * w + l);
        VT.cast(c52).intoArray(t, tOff + 5 * w + 2 * l);
        VT.cast(c53).intoArray(t, tOff + 5 * w + 3 * l);
    }

    /**
     * One row × {@link #WIDTH} columns over k in [k0, k1); the arguments are those of {@link
     * #rows4} for a single row.
     *
     * @param a the left matrix
     * @param aRow offset of the row in {@code a}
     * @param p the packed panel data
     * @param pOff offset of the panel in {@code p}
     * @param t the tile of partial sums
     * @param tOff offset of the row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero
     */
    static void row1(float[] a, int aRow, float[] p, int pOff, float[] t, int tOff, int k0, int k1,
            boolean first) {
        final int l = LANES;
        final int w = WIDTH;
        FloatVector c0;
        FloatVector c1;
        FloatVector c2;
        FloatVector c3;
        if (first) {
            FloatVector z = FloatVector.zero(SPECIES);
            c0 = z;
            c1 = z;
            c2 = z;
            c3 = z;
        } else {
            c0 = FloatVector.fromArray(SPECIES, t, tOff);
            c1 = FloatVector.fromArray(SPECIES, t, tOff + l);
            c2 = FloatVector.fromArray(SPECIES, t, tOff + 2 * l);
            c3 = FloatVector.fromArray(SPECIES, t, tOff + 3 * l);
        }
        int pb = pOff + k0 * w;
        for (int kk = k0; kk < k1; kk++, pb += w) {
            c0 = VT.cast(c0);
            c1 = VT.cast(c1);
            c2 = VT.cast(c2);
            c3 = VT.cast(c3);
            FloatVector x = VT.cast(FloatVector.broadcast(SPECIES, a[aRow + kk]));
            c0 = x.fma(FloatVector.fromArray(SPECIES, p, pb), c0);
            c1 = x.fma(FloatVector.fromArray(SPECIES, p, pb + l), c1);
            c2 = x.fma(FloatVector.fromArray(SPECIES, p, pb + 2 * l), c2);
            c3 = x.fma(FloatVector.fromArray(SPECIES, p, pb + 3 * l), c3);
        }
        c0 = VT.cast(c0);
        c1 = VT.cast(c1);
        c2 = VT.cast(c2);
        c3 = VT.cast(c3);
        c0.intoArray(t, tOff);
        c1.intoArray(t, tOff + l);
        c2.intoArray(t, tOff + 2 * l);
        c3.intoArray(t, tOff + 3 * l);
    }
    /**
     * C[rows][c0..c1) = A·B for up to four rows on an unpacked, row-major B, for products with too
     * few rows to repay packing. The sums live in C itself; four k steps per pass over C (fused
     * multiply-adds of a0·b0, a1·b1, a2·b2, a3·b3 in that order) keep each sum in increasing k.
     * Columns past the last whole vector take the same steps in scalar code.
     *
     * @param rows 1 to 4
     * @param a the left matrix
     * @param aRow offset of the first row in {@code a}
     * @param b the right matrix
     * @param bOff offset of B in {@code b}
     * @param c the output
     * @param cRow offset of the first row in {@code c}
     * @param n columns of B and C (their row length)
     * @param k the reduced dimension (row length of A)
     * @param c0 first column
     * @param c1 end of the columns
     */
    static void stream(int rows, float[] a, int aRow, float[] b, int bOff, float[] c, int cRow, int n,
            int k, int c0, int c1) {
        final int l = LANES;
        int vEnd = c0 + (c1 - c0) / l * l;
        for (int r = 0; r < rows; r++) {
            Arrays.fill(c, cRow + r * n + c0, cRow + r * n + c1, 0f);
        }
        int kk = 0;
        for (; kk + 4 <= k; kk += 4) {
            int b0 = bOff + kk * n;
            int b1 = b0 + n;
            int b2 = b1 + n;
            int b3 = b2 + n;
            for (int r = 0; r < rows; r++) {
                int ar = aRow + r * k + kk;
                float a0 = a[ar];
                float a1 = a[ar + 1];
                float a2 = a[ar + 2];
                float a3 = a[ar + 3];
                FloatVector x0 = VT.cast(FloatVector.broadcast(SPECIES, a0));
                FloatVector x1 = VT.cast(FloatVector.broadcast(SPECIES, a1));
                FloatVector x2 = VT.cast(FloatVector.broadcast(SPECIES, a2));
                FloatVector x3 = VT.cast(FloatVector.broadcast(SPECIES, a3));
                int o = cRow + r * n;
                int j = c0;
                for (; j < vEnd; j += l) {
                    FloatVector s = FloatVector.fromArray(SPECIES, c, o + j);
                    s = x0.fma(FloatVector.fromArray(SPECIES, b, b0 + j), s);
                    s = x1.fma(FloatVector.fromArray(SPECIES, b, b1 + j), s);
                    s = x2.fma(FloatVector.fromArray(SPECIES, b, b2 + j), s);
                    s = x3.fma(FloatVector.fromArray(SPECIES, b, b3 + j), s);
                    s.intoArray(c, o + j);
                }
                for (; j < c1; j++) {
                    c[o + j] = Math.fma(a3, b[b3 + j], Math.fma(a2, b[b2 + j], Math.fma(a1, b[b1 + j], Math.fma(a0, b[b0 + j], c[o + j]))));
                }
            }
        }
        for (; kk < k; kk++) {
            int b0 = bOff + kk * n;
            for (int r = 0; r < rows; r++) {
                float a0 = a[aRow + r * k + kk];
                FloatVector x0 = VT.cast(FloatVector.broadcast(SPECIES, a0));
                int o = cRow + r * n;
                int j = c0;
                for (; j < vEnd; j += l) {
                    FloatVector s = FloatVector.fromArray(SPECIES, c, o + j);
                    x0.fma(FloatVector.fromArray(SPECIES, b, b0 + j), s).intoArray(c, o + j);
                }
                for (; j < c1; j++) {
                    c[o + j] = Math.fma(a0, b[b0 + j], c[o + j]);
                }
            }
        }
    }
}
