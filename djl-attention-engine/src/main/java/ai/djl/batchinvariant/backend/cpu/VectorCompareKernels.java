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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link BroadcastKernels#compare}'s runs: eight float comparisons a step,
 * each lane's mask bit turned into 1 or 0 by a blend of ints and narrowed to bytes. A comparison
 * has no rounding and a lane's result is its own operands' IEEE comparison (NaN unordered, -0 equal
 * to +0), so the bytes are the plain loop's. The operator is a constant in each loop: passed in
 * as a variable, C2 did not intrinsify the comparison ({@code -XX:+PrintIntrinsics}: "failed to
 * inline (intrinsic)"), and every vector was boxed (67 MB a call at 1024 × 4096, slower than the
 * plain loop). Every vector and mask an operation is called on is cast to its exact class, as
 * {@link VectorKernels#load} explains.
 */
final class VectorCompareKernels {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VI = (Class<IntVector>) (Class<?>) I.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<ByteVector> VB = (Class<ByteVector>) (Class<?>) B.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<VectorMask<Float>> MF = (Class<VectorMask<Float>>) (Class<?>) F.maskAll(true).getClass();
    @SuppressWarnings("unchecked")
    private static final Class<VectorMask<Integer>> MI =
            (Class<VectorMask<Integer>>) (Class<?>) I.maskAll(true).getClass();

    private VectorCompareKernels() {}

    /**
     * {@code o[oo + i] = x[xo + i] op y[yo + i · yStep] ? 1 : 0} for the whole steps of i in [0,
     * len), yStep 0 (one value) or 1; the caller's loop does the rest.
     *
     * @param op eq, neq, gt, gte, lt or lte
     * @param x the left operand
     * @param xo its first element
     * @param y the right operand
     * @param yo its first element
     * @param yStep 0 or 1
     * @param o the output
     * @param oo its first element
     * @param len the run's length
     * @return the elements done, a multiple of the step
     */
    static int compare(BinaryOp op, float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        // a loop per operator: with the operator a variable the comparison is not intrinsified
        // (each vector boxed, 67 MB a call at 1024 x 4096)
        switch (op) {
            case EQ:
                return eq(x, xo, y, yo, yStep, o, oo, len);
            case NEQ:
                return neq(x, xo, y, yo, yStep, o, oo, len);
            case GT:
                return gt(x, xo, y, yo, yStep, o, oo, len);
            case GTE:
                return gte(x, xo, y, yo, yStep, o, oo, len);
            case LT:
                return lt(x, xo, y, yo, yStep, o, oo, len);
            default:
                return lte(x, xo, y, yo, yStep, o, oo, len);
        }
    }

    private static int eq(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.EQ, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static int neq(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.NE, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static int gt(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.GT, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static int gte(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.GE, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static int lt(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.LT, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static int lte(float[] x, int xo, float[] y, int yo, int yStep, byte[] o, int oo, int len) {
        FloatVector b = VT.cast(FloatVector.broadcast(F, y[yo]));
        int i = 0;
        for (; i + L <= len; i += L) {
            store(MF.cast(load(x, xo + i).compare(VectorOperators.LE, yStep == 0 ? b : load(y, yo + i))), o, oo + i);
        }
        return i;
    }

    private static void store(VectorMask<Float> m, byte[] o, int i) {
        IntVector ones = VI.cast(VI.cast(IntVector.zero(I)).blend(1, MI.cast(m.cast(I))));
        VB.cast(ones.convertShape(VectorOperators.I2B, B, 0)).intoArray(o, i);
    }
}
