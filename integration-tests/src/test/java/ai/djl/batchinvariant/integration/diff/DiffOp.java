/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One row of the operation table: the DJL method it exercises, a label for case names, the
 * tolerance class, and the call itself, written once and applied to both engines' arrays.
 */
final class DiffOp {

    /** The call under test; returns an NDArray, an NDList, or a plain value. */
    @FunctionalInterface
    interface Fn {
        Object apply(Ctx c) throws Exception;
    }

    /**
     * What a call sees: the manager of the case, its operands, the case's data type and shape (the
     * first operand's, or the shape argument of a creation call).
     */
    static final class Ctx {
        final NDManager m;
        final NDArray[] in;
        final DataType type;
        final Shape shape;
        private final DataType bf16StandIn;

        Ctx(NDManager m, NDArray[] in, DataType type, Shape shape, DataType bf16StandIn) {
            this.m = m;
            this.in = in;
            this.bf16StandIn = bf16StandIn;
            this.type = type;
            this.shape = shape;
        }

        /** An array created inside the call, from the same bytes on both engines. */
        NDArray array(DataType t, Shape s, DiffData.Fill fill, long seed) {
            return new DiffData.Operand(t, s, fill).create(m, seed, bf16StandIn);
        }

        /**
         * A data type passed to the call: itself, or the stand-in for bfloat16 when the reference
         * runs a bfloat16 case (see {@link DiffSuiteTest#reference}). {@link #type} is always the
         * case's own type.
         */
        DataType dt(DataType t) {
            return t == DataType.BFLOAT16 && bf16StandIn != null ? bf16StandIn : t;
        }

        NDArray a() {
            return in[0];
        }

        NDArray b() {
            return in[1];
        }
    }

    /** Interface and method, e.g. {@code NDArray.add}; a refusal must name the method. */
    final String api;
    /** The call as it appears in case names, e.g. {@code add(2)}. */
    final String label;
    final DiffTolerance tol;
    final Fn fn;
    /**
     * Whether PyTorch's own answer at an element may be +infinity or NaN depending on the CPU it
     * runs on, so that either answer matches there (see {@link #referenceInfinityVaries}).
     */
    final boolean infinityOrNaN;

    DiffOp(String api, String label, DiffTolerance tol, Fn fn) {
        this(api, label, tol, fn, false);
    }

    private DiffOp(String api, String label, DiffTolerance tol, Fn fn, boolean infinityOrNaN) {
        this.api = api;
        this.label = label;
        this.tol = tol;
        this.fn = fn;
        this.infinityOrNaN = infinityOrNaN;
    }

    /**
     * This op, with +infinity and NaN accepted for each other element by element: for an op whose
     * PyTorch kernel depends on the CPU (gelu at +infinity is +infinity in ATen's kernel and NaN in
     * oneDNN's, and which one takes a dtype depends on the CPU: float16 gave +infinity on an AMD
     * EPYC and NaN on an Intel Xeon with AVX-512 FP16).
     *
     * @return the op so marked
     */
    DiffOp referenceInfinityVaries() {
        return new DiffOp(api, label, tol, fn, true);
    }

    /** The method name alone ({@code add} of {@code NDArray.add}). */
    String method() {
        return api.substring(api.indexOf('.') + 1);
    }

    /** The interface alone ({@code NDArray} of {@code NDArray.add}). */
    String iface() {
        return api.substring(0, api.indexOf('.'));
    }
}
