/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** One generated case: an operation applied to operands of given types, shapes and fills. */
final class DiffCase {

    /** Unique name, {@code label[dtype,shape]}, as listed in known-divergences.txt. */
    final String name;
    final DiffOp op;
    final DataType type;
    final Shape shape;
    final DiffData.Operand[] operands;
    private final long seed;

    DiffCase(String name, DiffOp op, DataType type, Shape shape, DiffData.Operand... operands) {
        this.name = name;
        this.op = op;
        this.type = type;
        this.shape = shape;
        this.operands = operands;
        this.seed = name.hashCode() * 1_000_003L;
    }

    /**
     * Creates the operands under a sub-manager of {@code parent}, applies the operation, and
     * snapshots the result (or the exception) before the sub-manager closes.
     */
    DiffOutcome run(NDManager parent) {
        return run(parent, null);
    }

    /**
     * As {@link #run(NDManager)}, with every bfloat16 operand and data type argument replaced by
     * {@code bf16StandIn} (holding the same values) unless it is null.
     */
    DiffOutcome run(NDManager parent, DataType bf16StandIn) {
        try (NDManager m = parent.newSubManager()) {
            NDArray[] in = new NDArray[operands.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = operands[i].create(m, seed + i, bf16StandIn);
            }
            Object r = op.fn.apply(new DiffOp.Ctx(m, in, type, shape, bf16StandIn));
            return DiffOutcome.of(r);
        } catch (Throwable t) {
            return DiffOutcome.error(t);
        }
    }

    /** Tells whether bfloat16 appears in the case (an operand, the case type or a type argument). */
    boolean involvesBfloat16() {
        return name.contains("bfloat16");
    }

    @Override
    public String toString() {
        return name;
    }
}
