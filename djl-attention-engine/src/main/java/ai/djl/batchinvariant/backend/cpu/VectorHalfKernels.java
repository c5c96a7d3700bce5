/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static ai.djl.batchinvariant.backend.cpu.VectorKernels.VT;

import ai.djl.batchinvariant.tensor.Half;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API forms of {@link HalfConversions}' loops, eight lanes a step, each lane the bits
 * of {@link Half}'s scalar conversion (checked on all 65,536 patterns and all 2^32 floats, {@code
 * VectorHalfKernelsTest}): float16 to float32 by one exact multiplication, float32 to float16 by
 * the scalar code's integer rounding for normal results and one exact-rounding addition below
 * them, each lane's case picked by a blend (no branch); bfloat16 by its shift and its rounding
 * addition (a step with a NaN to narrow takes the scalar code). Loaded only when {@link Simd}
 * finds the module; every vector an operation is called on is cast to its exact class (see {@link
 * VectorKernels#load}).
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
     * out[oOff + i] = {@link Half#fromFloat16}(s[sOff + i]) for i in [0, n).
     *
     * @param s float16 bits
     * @param sOff the first element
     * @param out the floats
     * @param oOff the first float
     * @param n the count
     */
    static void widenF16(short[] s, int sOff, float[] out, int oOff, int n) {
        int to = sOff + n;
        int shift = oOff - sOff;
        int i = sOff;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(widened(s, i).and(0xffff));
            IntVector mag = VI.cast(bits.and(0x7fff));
            // the magnitude's bits moved to a float's places read 2^-112 times the value, exactly
            // (a float16 subnormal lands on a float subnormal), and the product by 2^112 is exact:
            // zeros, subnormals and normals in one multiplication, no branch (1.6 times the
            // branching form's rate); infinities and NaN take the top exponent, payload kept
            IntVector moved = VI.cast(mag.lanewise(VectorOperators.LSHL, 13));
            IntVector f = VI.cast(VT.cast(VT.cast(moved.reinterpretAsFloats()).mul(0x1p112f)).reinterpretAsInts());
            f = VI.cast(f.blend(VI.cast(moved.or(0x7f800000)), mag.compare(VectorOperators.GE, 0x7c00)));
            VI.cast(f.or(VI.cast(bits.and(0x8000)).lanewise(VectorOperators.LSHL, 16))).reinterpretAsFloats()
                    .intoArray(out, i + shift);
        }
        for (; i < to; i++) {
            out[i + shift] = Half.fromFloat16(s[i]);
        }
    }

    /**
     * out[oOff + i] = {@link Half#fromBFloat16}(s[sOff + i]) for i in [0, n).
     *
     * @param s bfloat16 bits
     * @param sOff the first element
     * @param out the floats
     * @param oOff the first float
     * @param n the count
     */
    static void widenBf16(short[] s, int sOff, float[] out, int oOff, int n) {
        int to = sOff + n;
        int shift = oOff - sOff;
        int i = sOff;
        for (; i + L <= to; i += L) {
            VI.cast(widened(s, i).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(out, i + shift);
        }
        for (; i < to; i++) {
            out[i + shift] = Half.fromBFloat16(s[i]);
        }
    }

    /**
     * s[sOff + i] = {@link Half#toFloat16}(v[vOff + i]) for i in [0, n).
     *
     * @param v the floats
     * @param vOff the first float
     * @param s float16 bits
     * @param sOff the first element
     * @param n the count
     */
    static void narrowF16(float[] v, int vOff, short[] s, int sOff, int n) {
        int to = vOff + n;
        int shift = sOff - vOff;
        int i = vOff;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(VectorKernels.load(v, i).reinterpretAsInts());
            IntVector abs = VI.cast(bits.and(0x7fffffff));
            // Half.toFloat16's normal range: rebias in place, round to nearest even by one addition
            IntVector h = VI.cast(abs.sub(0x38000000));
            h = VI.cast(VI.cast(VI.cast(h.add(0xfff)).add(VI.cast(h.lanewise(VectorOperators.LSHR, 13)).and(1)))
                    .lanewise(VectorOperators.LSHR, 13));
            // below float16's normals: |x| + 0.5 rounds |x| to a multiple of 2^-24, the subnormal
            // step, to nearest even as the scalar code's integer rounding does, and the sum's low
            // bits count the steps (1024 where it rounds up to the smallest normal)
            IntVector sub = VI.cast(VI.cast(VT.cast(VT.cast(abs.reinterpretAsFloats()).add(0.5f)).reinterpretAsInts())
                    .sub(0x3f000000));
            h = VI.cast(h.blend(sub, abs.compare(VectorOperators.LT, 0x38800000)));
            h = VI.cast(h.blend(0x7c00, abs.compare(VectorOperators.GE, 0x47800000)));
            // NaN: quiet, the top of the payload kept
            h = VI.cast(h.blend(VI.cast(VI.cast(abs.lanewise(VectorOperators.LSHR, 13)).and(0x3ff)).or(0x7e00),
                    abs.compare(VectorOperators.GT, 0x7f800000)));
            store(VI.cast(h.or(VI.cast(bits.lanewise(VectorOperators.LSHR, 16)).and(0x8000))), s, i + shift);
        }
        for (; i < to; i++) {
            s[i + shift] = Half.toFloat16(v[i]);
        }
    }

    /**
     * s[sOff + i] = {@link Half#toBFloat16}(v[vOff + i]) for i in [0, n).
     *
     * @param v the floats
     * @param vOff the first float
     * @param s bfloat16 bits
     * @param sOff the first element
     * @param n the count
     */
    static void narrowBf16(float[] v, int vOff, short[] s, int sOff, int n) {
        int to = vOff + n;
        int shift = sOff - vOff;
        int i = vOff;
        for (; i + L <= to; i += L) {
            IntVector bits = VI.cast(VectorKernels.load(v, i).reinterpretAsInts());
            if (VI.cast(bits.and(0x7fffffff)).compare(VectorOperators.GT, 0x7f800000).anyTrue()) {
                for (int j = i; j < i + L; j++) {
                    s[j + shift] = Half.toBFloat16(v[j]);
                }
                continue;
            }
            IntVector rounding = VI.cast(VI.cast(VI.cast(bits.lanewise(VectorOperators.LSHR, 16)).and(1)).add(0x7fff));
            store(VI.cast(VI.cast(bits.add(rounding)).lanewise(VectorOperators.LSHR, 16)), s, i + shift);
        }
        for (; i < to; i++) {
            s[i + shift] = Half.toBFloat16(v[i]);
        }
    }
}
