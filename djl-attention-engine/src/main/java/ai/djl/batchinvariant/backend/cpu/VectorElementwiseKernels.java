/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.VectorKernels.F;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.L;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;
import static ai.djl.batchinvariant.backend.cpu.VectorKernels.load;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of element-wise functions with branches: every branch's formula runs in
 * every lane and each lane keeps the one its scalar code takes, so each output has the bits of
 * {@link FastMath}'s scalar function (same IEEE operations, same fused multiply-adds). A step
 * with a lane the vector formulas do not cover (NaN, infinities) takes the scalar code. Loaded
 * only when {@link Simd} finds the module; every vector an operation is called on is cast to its
 * exact class ({@link VectorKernels#load}).
 */
final class VectorElementwiseKernels {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VTI = (Class<IntVector>) (Class<?>) I.vectorType();
    private static final int ROUND_BITS = Float.floatToRawIntBits(FastMath.ROUND);

    private VectorElementwiseKernels() {}

    /**
     * {@code o[oOff + i] = FastMath.tanh(x[off + i])} for i in [0, n): per lane, ±1 past 9, the
     * odd polynomial below 1/16, else 1 - 2 / (e^{2|x|} + 1) with the sign of x, e^{2|x|} by
     * {@link FastMath#exp}'s normal-range formula written out (2|x| ≤ 18 is inside it; a helper
     * taking vectors was boxed, see {@link VectorKernels#sigmoid}).
     *
     * @param x the input
     * @param off the first input
     * @param n the count
     * @param o the output (may be x)
     * @param oOff the first output
     */
    static void tanh(float[] x, int off, int n, float[] o, int oOff) {
        FloatVector one = VT.cast(FloatVector.broadcast(F, 1f));
        FloatVector two = VT.cast(FloatVector.broadcast(F, 2f));
        FloatVector nhi = VT.cast(FloatVector.broadcast(F, -FastMath.LN2_HI));
        FloatVector nlo = VT.cast(FloatVector.broadcast(F, -FastMath.LN2_LO));
        FloatVector c2 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C2));
        FloatVector c3 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C3));
        FloatVector c4 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C4));
        FloatVector c5 = VT.cast(FloatVector.broadcast(F, FastMath.EXP_C5));
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = load(x, off + i);
            FloatVector a = VT.cast(v.abs());
            // false for NaN too
            if (!a.compare(VectorOperators.LE, Float.MAX_VALUE).allTrue()) {
                for (int j = i; j < i + L; j++) {
                    o[oOff + j] = FastMath.tanh(x[off + j]);
                }
                continue;
            }
            // x + x z (-1/3 + z (2/15 + z c)), z = x², in the scalar order
            FloatVector z = VT.cast(v.mul(v));
            FloatVector q = VT.cast(VT.cast(z.mul(-0.053968254f)).add(0.133333333f));
            q = VT.cast(VT.cast(z.mul(q)).add(-0.333333333f));
            FloatVector small = VT.cast(v.add(VT.cast(VT.cast(v.mul(z)).mul(q))));
            FloatVector s = VT.cast(a.mul(2f));
            FloatVector t = VT.cast(s.fma(FastMath.LOG2E, FastMath.ROUND));
            FloatVector k = VT.cast(t.sub(FastMath.ROUND));
            FloatVector r = VT.cast(k.fma(nhi, s));
            r = VT.cast(k.fma(nlo, r));
            FloatVector p = VT.cast(r.fma(FastMath.EXP_C0, FastMath.EXP_C1));
            p = VT.cast(p.fma(r, c2));
            p = VT.cast(p.fma(r, c3));
            p = VT.cast(p.fma(r, c4));
            p = VT.cast(p.fma(r, c5));
            FloatVector e = VT.cast(VT.cast(p.fma(VT.cast(r.mul(r)), r)).add(1f));
            e = VT.cast(e.mul(VT.cast(VTI.cast(t.reinterpretAsInts()).add(127 - ROUND_BITS)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())));
            FloatVector big = VT.cast(one.sub(VT.cast(two.div(VT.cast(e.add(1f))))));
            // copySign onto values that are positive (big) or one: or-ing in x's sign bit
            IntVector sign = VTI.cast(VTI.cast(v.reinterpretAsInts()).and(0x80000000));
            big = VT.cast(VTI.cast(big.reinterpretAsInts()).or(sign).reinterpretAsFloats());
            FloatVector unit = VT.cast(VTI.cast(one.reinterpretAsInts()).or(sign).reinterpretAsFloats());
            VectorMask<Float> below = a.compare(VectorOperators.LT, 0.0625f);
            VectorMask<Float> past = a.compare(VectorOperators.GT, 9f);
            VT.cast(VT.cast(big.blend(small, below)).blend(unit, past)).intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            o[oOff + i] = FastMath.tanh(x[off + i]);
        }
    }
}
