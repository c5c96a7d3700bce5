/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static ai.djl.batchinvariant.integration.diff.DiffData.ALL;

import ai.djl.batchinvariant.integration.diff.DiffData.Fill;
import ai.djl.batchinvariant.integration.diff.DiffData.Operand;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The vocabulary the operation table is written in: the shared shapes and data type pairs, and
 * the helpers that turn one table row into its cases (a case per data type × shape, named
 * uniquely). {@link DiffOps} holds the rows.
 */
abstract class DiffTable {

    static Shape sh(long... dims) {
        return new Shape(dims);
    }

    /** Shapes of element-wise unary cases (floating types add {@link #SPECIAL}). */
    static final List<Shape> ELEM = List.of(sh(), sh(7), sh(2, 3), sh(0, 3), sh(2, 0, 4));
    /** Shapes of array-with-number cases. */
    static final List<Shape> SCALAR = List.of(sh(), sh(2, 3), sh(0, 3));
    /** Shapes of reductions and shape operations: rank 0, 1, 3 and zero-size. */
    static final List<Shape> AXIS = List.of(sh(), sh(5), sh(2, 3, 4), sh(0, 3), sh(2, 0, 4));
    /** Shape of the special-values operand, and its text in case names. */
    static final Shape SPECIAL = sh(DiffData.SPECIAL.length);
    static final String SPECIAL_NAME = DiffData.name(SPECIAL) + "special";
    /** Shape indexed by the NDIndex cases. */
    static final Shape BASE = sh(4, 5, 3);
    /** Operand shape pairs of binary cases: equal, broadcast both ways, rank 0, zero-size, mismatch. */
    static final List<Shape[]> PAIRS = List.of(
            new Shape[] {sh(2, 3), sh(2, 3)},
            new Shape[] {sh(2, 3), sh(3)},
            new Shape[] {sh(2, 1, 4), sh(3, 1)},
            new Shape[] {sh(), sh(2, 3)},
            new Shape[] {sh(2, 3), sh()},
            new Shape[] {sh(), sh()},
            new Shape[] {sh(0, 3), sh(1, 3)},
            new Shape[] {sh(2, 0, 4), sh(4)},
            new Shape[] {sh(2, 3), sh(4)});
    /** Mixed data type pairs of promoting binary cases (shapes (2,3) and (3)). */
    static final List<DataType[]> MIXED = List.of(
            new DataType[] {DataType.INT32, DataType.FLOAT32},
            new DataType[] {DataType.FLOAT16, DataType.FLOAT32},
            new DataType[] {DataType.BFLOAT16, DataType.FLOAT32},
            new DataType[] {DataType.FLOAT32, DataType.FLOAT64},
            new DataType[] {DataType.INT64, DataType.FLOAT64},
            new DataType[] {DataType.FLOAT16, DataType.INT64},
            new DataType[] {DataType.INT8, DataType.UINT8},
            new DataType[] {DataType.INT32, DataType.INT64},
            new DataType[] {DataType.BOOLEAN, DataType.INT32},
            new DataType[] {DataType.UINT8, DataType.BOOLEAN});

    @FunctionalInterface
    interface F1 {
        Object apply(NDArray a) throws Exception;
    }

    @FunctionalInterface
    interface F2 {
        Object apply(NDArray a, NDArray b) throws Exception;
    }

    final List<DiffCase> out = new ArrayList<>();
    final Set<String> names = new HashSet<>();

    // ------------------------------------------------------------------ generation helpers

    void add(DiffOp op, String types, String shapes, DataType t, Shape s, Operand... operands) {
        String name = op.label + "[" + types + "," + shapes + "]";
        if (name.contains("#") || !names.add(name)) {
            throw new IllegalStateException("case name not unique or contains '#': " + name);
        }
        out.add(new DiffCase(name, op, t, s, operands));
    }

    static Operand rnd(DataType t, Shape s) {
        return new Operand(t, s, Fill.RANDOM);
    }

    /** One operand per shape in {@code shapes}; floating types also get the special values. */
    void over(DiffOp op, List<DataType> types, List<Shape> shapes, boolean special) {
        for (DataType t : types) {
            for (Shape s : shapes) {
                add(op, DiffData.name(t), DiffData.name(s), t, s, rnd(t, s));
            }
            if (special && DiffData.isFloating(t)) {
                add(op, DiffData.name(t), SPECIAL_NAME, t, SPECIAL, new Operand(t, SPECIAL, Fill.SPECIAL));
            }
        }
    }

    void unary(String api, String label, DiffTolerance tol, List<DataType> types, F1 f) {
        over(new DiffOp(api, label, tol, c -> f.apply(c.a())), types, ELEM, true);
    }

    void number(String api, String label, DiffTolerance tol, F1 f) {
        over(new DiffOp(api, label, tol, c -> f.apply(c.a())), ALL, SCALAR, true);
    }

    void axis(String api, String label, DiffTolerance tol, F1 f) {
        over(new DiffOp(api, label, tol, c -> f.apply(c.a())), ALL, AXIS, false);
    }

    void binary(String api, String label, DiffTolerance tol, boolean mixed, F2 f) {
        DiffOp op = new DiffOp(api, label, tol, c -> f.apply(c.a(), c.b()));
        for (DataType t : ALL) {
            for (Shape[] p : PAIRS) {
                add(op, DiffData.name(t), DiffData.name(p[0]) + "+" + DiffData.name(p[1]), t, p[0],
                        rnd(t, p[0]), rnd(t, p[1]));
            }
            if (DiffData.isFloating(t)) {
                add(op, DiffData.name(t), SPECIAL_NAME + "+" + DiffData.name(SPECIAL), t, SPECIAL, new Operand(t, SPECIAL, Fill.SPECIAL),
                        rnd(t, SPECIAL));
            }
        }
        if (mixed) {
            for (DataType[] p : MIXED) {
                add(op, DiffData.name(p[0]) + "+" + DiffData.name(p[1]), "(2,3)+(3)", p[0], sh(2, 3),
                        rnd(p[0], sh(2, 3)), rnd(p[1], sh(3)));
            }
        }
    }

    /** A case per data type with explicitly given operands (built from the type). */
    void custom(DiffOp op, List<DataType> types, String shapes, OperandsOf operands) {
        for (DataType t : types) {
            Operand[] o = operands.of(t);
            add(op, DiffData.name(t), shapes, t, o.length == 0 ? sh() : o[0].shape, o);
        }
    }

    @FunctionalInterface
    interface OperandsOf {
        Operand[] of(DataType t);
    }

    static NDArray mask(NDManager m, long... dims) {
        return m.create(DiffData.bytes(DataType.BOOLEAN, sh(dims), Fill.RANDOM, 77 + dims.length), sh(dims),
                DataType.BOOLEAN);
    }

    static NDArray longs(NDManager m, Shape s, long... v) {
        return m.create(v, s);
    }
}
