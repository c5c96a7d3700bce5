/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.Half;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link HalfConversions}' loops, eight lanes a step, each lane the bits
 * of {@link Half}'s scalar conversion: float16's normal numbers and zeros by the same integer
 * arithmetic on the bits (a step with a subnormal, an infinity or a NaN takes the scalar code),
 * bfloat16 by its shift and its rounding addition (a step with a NaN to narrow takes the scalar
 * code). Loaded only when {@link Simd} finds the module; every vector an operation is called on
 * is cast to its exact class (see {@link VectorKernels#load}).
 */
final class VectorHalfKernels {

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int L = I.length();
    @SuppressWarnings("unchecked")
    private static final Class<ShortVector> VS = (Class<ShortVector>) (Class<?>) S.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> VI = (Class<IntVector>) (Class<?>) I.vectorType();

    private VectorHalfKernels() {}

    private static IntVector widened(short[] s, int i) {
        return VI.cast(VS.cast(ShortVector.fromArray(S, s, i)).convertShape(VectorOperators.S2I, I, 0));
    }

    private static void store(IntVector h, short[] s, int i) {
        VS.cast(h.convertShape(VectorOperators.I2S, S, 0)).intoArray(s, i);
    }

    /**
     * out[i] = {@link Half#fromFloat16}(s[i]) for i in [from, to).
     *
     * @param s float16 bits
     * @param from the first element
     * @param to the end
     * @param out the floats
     */
    static void widenF16(short[] s, int from, int to, float[] out) {
        int i = from;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(widened(s, i).and(0xffff));
            IntVector mag = VI.cast(bits.and(0x7fff));
            IntVector e = VI.cast(bits.and(0x7c00));
            VectorMask<Integer> zero = mag.compare(VectorOperators.EQ, 0);
            VectorMask<Integer> normal = e.compare(VectorOperators.NE, 0).and(e.compare(VectorOperators.NE, 0x7c00));
            if (!normal.or(zero).allTrue()) {
                for (int j = i; j < i + L; j++) {
                    out[j] = Half.fromFloat16(s[j]);
                }
                continue;
            }
            // the exponent rebiased from 15 to 127 by one addition, the sign put back
            IntVector f = VI.cast(VI.cast(VI.cast(mag.lanewise(VectorOperators.LSHL, 13)).add(0x38000000))
                    .blend(0, zero));
            VI.cast(f.or(VI.cast(bits.and(0x8000)).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats()
                    .intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = Half.fromFloat16(s[i]);
        }
    }

    /**
     * out[i] = {@link Half#fromBFloat16}(s[i]) for i in [from, to).
     *
     * @param s bfloat16 bits
     * @param from the first element
     * @param to the end
     * @param out the floats
     */
    static void widenBf16(short[] s, int from, int to, float[] out) {
        int i = from;
        for (; i + L <= to; i += L) {
            VI.cast(widened(s, i).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = Half.fromBFloat16(s[i]);
        }
    }

    /**
     * s[i] = {@link Half#toFloat16}(v[i]) for i in [from, to).
     *
     * @param v the floats
     * @param from the first element
     * @param to the end
     * @param s float16 bits
     */
    static void narrowF16(float[] v, int from, int to, short[] s) {
        int i = from;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(VectorKernels.load(v, i).reinterpretAsInts());
            IntVector abs = VI.cast(bits.and(0x7fffffff));
            VectorMask<Integer> zero = abs.compare(VectorOperators.EQ, 0);
            VectorMask<Integer> normal = abs.compare(VectorOperators.GE, 0x38800000)
                    .and(abs.compare(VectorOperators.LT, 0x47800000));
            if (!normal.or(zero).allTrue()) {
                for (int j = i; j < i + L; j++) {
                    s[j] = Half.toFloat16(v[j]);
                }
                continue;
            }
            // Half.toFloat16's normal range: rebias in place, round to nearest even by one addition
            IntVector h = VI.cast(abs.sub(0x38000000));
            h = VI.cast(VI.cast(VI.cast(h.add(0xfff)).add(VI.cast(h.lanewise(VectorOperators.LSHR, 13)).and(1)))
                    .lanewise(VectorOperators.LSHR, 13));
            h = VI.cast(VI.cast(h.blend(0, zero)).or(VI.cast(bits.lanewise(VectorOperators.LSHR, 16)).and(0x8000)));
            store(h, s, i);
        }
        for (; i < to; i++) {
            s[i] = Half.toFloat16(v[i]);
        }
    }

    /**
     * s[i] = {@link Half#toBFloat16}(v[i]) for i in [from, to).
     *
     * @param v the floats
     * @param from the first element
     * @param to the end
     * @param s bfloat16 bits
     */
    static void narrowBf16(float[] v, int from, int to, short[] s) {
        int i = from;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(VectorKernels.load(v, i).reinterpretAsInts());
            if (VI.cast(bits.and(0x7fffffff)).compare(VectorOperators.GT, 0x7f800000).anyTrue()) {
                for (int j = i; j < i + L; j++) {
                    s[j] = Half.toBFloat16(v[j]);
                }
                continue;
            }
            IntVector rounding = VI.cast(VI.cast(VI.cast(bits.lanewise(VectorOperators.LSHR, 16)).and(1)).add(0x7fff));
            store(VI.cast(VI.cast(bits.add(rounding)).lanewise(VectorOperators.LSHR, 16)), s, i);
        }
        for (; i < to; i++) {
            s[i] = Half.toBFloat16(v[i]);
        }
    }
}
