/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernels of {@link PackedGemm} on panels stored as bfloat16 pairs ({@link
 * PackedGemm.Panels#halves}), on the incubating Vector API; loaded only when {@link
 * VectorGemmKernels} is.
 *
 * <p>Each int of a panel row holds two weights' upper 16 bits: its high half is column {@code
 * 2L·g + lane}, its low half column {@code 2L·g + L + lane} (L = {@link VectorGemmKernels#LANES},
 * g = 0 or 1). Masking the low half off, or shifting it up by 16, gives the float32 weight with
 * its exact bits (a weight is packed this way only when its low 16 bits are zero), so every step
 * is the same {@code x.fma(b, acc)} on the same values as {@link VectorGemmKernels}: the same
 * bits, half the bytes streamed from memory.
 */
final class VectorBf16Kernels {

    private static final VectorSpecies<Float> SPECIES = VectorGemmKernels.SPECIES;
    /** Ints of the same vector size as the float species. */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());
    private static final int HIGH = 0xFFFF0000;
    /** See {@link VectorGemmKernels#VT}: loop-carried vectors are cast to it every step. */
    private static final Class<FloatVector> VT = VectorGemmKernels.VT;
    // The widening is written out at each use, not in helper methods: a helper that C2 compiled
    // on its own first is later not inlined ("already compiled into a big method"), its vectors
    // are boxed and every add after it runs the Java fallback (seen in a 1B-model profile).

    private VectorBf16Kernels() {}

    /**
     * Six rows × {@link VectorGemmKernels#WIDTH} columns over k in [k0, k1), as {@link
     * VectorGemmKernels#rows6} with the panel in bfloat16 pairs.
     *
     * @param a the left matrix
     * @param aRow offset of the first of the six rows in {@code a}
     * @param lda distance between rows of {@code a}
     * @param h the packed pairs
     * @param hOff offset of the panel (k = 0) in {@code h}; row kk starts at hOff + kk·WIDTH/2
     * @param t the tile of partial sums, rows WIDTH apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows6(float[] a, int aRow, int lda, int[] h, int hOff, float[] t, int tOff, int k0, int k1,
            boolean first) {
        final int l = VectorGemmKernels.LANES;
        final int w = VectorGemmKernels.WIDTH;
        final int hw = w / 2;
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
        int pb = hOff + k0 * hw;
        for (int kk = k0; kk < k1; kk++, pb += hw) {
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
            IntVector v0 = IntVector.fromArray(INTS, h, pb);
            IntVector v1 = IntVector.fromArray(INTS, h, pb + l);
            FloatVector b0 = VT.cast(v0.and(HIGH).reinterpretAsFloats());
            FloatVector b1 = VT.cast(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            FloatVector b2 = VT.cast(v1.and(HIGH).reinterpretAsFloats());
            FloatVector b3 = VT.cast(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
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
     * Four rows × {@link VectorGemmKernels#WIDTH} columns over k in [k0, k1), as {@link
     * VectorGemmKernels#rows4} with the panel in bfloat16 pairs.
     *
     * @param a the left matrix
     * @param aRow offset of the first of the four rows in {@code a}
     * @param lda distance between rows of {@code a}
     * @param h the packed pairs
     * @param hOff offset of the panel (k = 0) in {@code h}; row kk starts at hOff + kk·WIDTH/2
     * @param t the tile of partial sums, rows WIDTH apart
     * @param tOff offset of the first row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero (otherwise they continue from {@code t})
     */
    static void rows4(float[] a, int aRow, int lda, int[] h, int hOff, float[] t, int tOff, int k0, int k1,
            boolean first) {
        final int l = VectorGemmKernels.LANES;
        final int w = VectorGemmKernels.WIDTH;
        final int hw = w / 2;
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
        int pb = hOff + k0 * hw;
        for (int kk = k0; kk < k1; kk++, pb += hw) {
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
            IntVector v0 = IntVector.fromArray(INTS, h, pb);
            IntVector v1 = IntVector.fromArray(INTS, h, pb + l);
            FloatVector b0 = VT.cast(v0.and(HIGH).reinterpretAsFloats());
            FloatVector b1 = VT.cast(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            FloatVector b2 = VT.cast(v1.and(HIGH).reinterpretAsFloats());
            FloatVector b3 = VT.cast(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
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
     * One row × {@link VectorGemmKernels#WIDTH} columns over k in [k0, k1); the arguments are
     * those of {@link #rows4} for a single row.
     *
     * @param a the left matrix
     * @param aRow offset of the row in {@code a}
     * @param h the packed pairs
     * @param hOff offset of the panel in {@code h}
     * @param t the tile of partial sums
     * @param tOff offset of the row in {@code t}
     * @param k0 first k
     * @param k1 end of the k range
     * @param first whether the sums start at zero
     */
    static void row1(float[] a, int aRow, int[] h, int hOff, float[] t, int tOff, int k0, int k1, boolean first) {
        final int l = VectorGemmKernels.LANES;
        final int hw = VectorGemmKernels.WIDTH / 2;
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
        int pb = hOff + k0 * hw;
        for (int kk = k0; kk < k1; kk++, pb += hw) {
            c0 = VT.cast(c0);
            c1 = VT.cast(c1);
            c2 = VT.cast(c2);
            c3 = VT.cast(c3);
            FloatVector x = VT.cast(FloatVector.broadcast(SPECIES, a[aRow + kk]));
            IntVector v0 = IntVector.fromArray(INTS, h, pb);
            IntVector v1 = IntVector.fromArray(INTS, h, pb + l);
            c0 = x.fma(VT.cast(v0.and(HIGH).reinterpretAsFloats()), c0);
            c1 = x.fma(VT.cast(v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()), c1);
            c2 = x.fma(VT.cast(v1.and(HIGH).reinterpretAsFloats()), c2);
            c3 = x.fma(VT.cast(v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()), c3);
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
}
