/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi.Elementwise;
import ai.djl.ndarray.types.DataType;

import java.util.EnumSet;
import java.util.Set;

/**
 * When an element-wise launch can take a contiguous kernel of elementwise.cu instead of the
 * strided one: every operand laid out like the output or a single value (after {@link
 * StridedArgs}' simplification: rank 0, or rank 1 with strides 0 or 1), every input of one storage
 * type, and a (input type, output type, arithmetic) combination the kernel file instantiates. The
 * contiguous kernels compute each element with the strided kernel's functions, so the choice never
 * shows in the bits. Pure host logic: tested without a GPU.
 */
final class ContiguousKernels {

    /**
     * The unary operations of the contiguous kernels: all but the boolean tests (boolean output)
     * and sin, cos and tan (their argument reduction needs a stack frame). Mirrors elementwise.cu's
     * {@code BI_UN_CASE} list; a test checks the two agree.
     */
    static final Set<UnaryOp> UNARY = EnumSet.complementOf(EnumSet.of(UnaryOp.SIN, UnaryOp.COS, UnaryOp.TAN,
            UnaryOp.NOT, UnaryOp.ISNAN, UnaryOp.ISINF));

    private ContiguousKernels() {}

    /**
     * Returns the contiguous kernel of a launch, or null where the strided kernel must run.
     *
     * @param args the launch's simplified shape and strides (operands a, b, c)
     * @param kind the {@code bi::EwKind}
     * @param unary for a unary launch, its operation (else ignored)
     * @param a the first operand's type
     * @param b the second operand's type, null for one operand
     * @param out the output type
     * @param mode the arithmetic ({@code bi::Compute})
     * @return the symbol or null
     */
    static String kernel(StridedArgs args, int kind, UnaryOp unary, DataType a, DataType b, DataType out, int mode) {
        switch (kind) {
            case Elementwise.KIND_BINARY:
                if (b != a) {
                    return null;
                }
                break;
            case Elementwise.KIND_UNARY:
                if (out != a || !UNARY.contains(unary)) {
                    return null;
                }
                break;
            case Elementwise.KIND_LEAKY_RELU:
            case Elementwise.KIND_ELU:
                if (out != a || (a != DataType.FLOAT32 && a != DataType.FLOAT64)) {
                    return null;
                }
                break;
            default:
                return null;
        }
        int operands = kind == Elementwise.KIND_BINARY ? 2 : 1;
        if (args.rank() > 1) {
            return null;
        }
        for (int o = 0; o < operands && args.rank() == 1; o++) {
            long s = args.strides(o)[0];
            if (s != 0 && s != 1) {
                return null;
            }
        }
        return DataAbi.contiguousKernel(a, out, mode);
    }

    /**
     * Returns the work items of a contiguous launch: chunks of 16 bytes of the widest operand.
     *
     * @param in the inputs' type
     * @param out the output type
     * @param n the elements
     * @return the chunks, the last one possibly partial
     */
    static long items(DataType in, DataType out, long n) {
        int perChunk = 16 / Math.max(in.getNumOfBytes(), out.getNumOfBytes());
        return (n + perChunk - 1) / perChunk;
    }
}
