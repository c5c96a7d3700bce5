/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * Token embedding: row {@code id} of a (vocab, hidden) table per token, a pure copy. Parameter
 * {@code weight}; as a DJL block it maps integer ids of any shape to (..., hidden).
 */
public final class EmbeddingLookup extends LoadedBlock {

    private final Parameter table;
    private final int vocab;
    private final long hidden;

    /**
     * Creates the lookup.
     *
     * @param table (vocab, hidden), owned by this block from now on
     */
    public EmbeddingLookup(NDArray table) {
        this.vocab = (int) table.getShape().get(0);
        this.hidden = table.getShape().get(1);
        this.table = param("weight", Parameter.Type.WEIGHT, table);
    }

    /**
     * Returns the table (shared with a tied LM head).
     *
     * @return (vocab, hidden)
     */
    public NDArray getTable() {
        return table.getArray();
    }

    /**
     * Looks tokens up.
     *
     * @param manager the manager of the result
     * @param ids token ids, each in [0, vocab)
     * @return (ids.length, hidden)
     * @throws IllegalArgumentException naming the first id outside the vocabulary
     */
    public NDArray forward(NDManager manager, int[] ids) {
        checkIds(ids);
        NDArray rows;
        try (NDArray idx = manager.create(ids, new Shape(ids.length))) {
            rows = table.getArray().get(new NDIndex("{}", idx));
        }
        // the result is born in the table's manager; the caller's manager owns it from here
        rows.attach(manager);
        return rows;
    }

    /**
     * Checks token ids against the vocabulary.
     *
     * @param ids token ids
     * @throws IllegalArgumentException naming the first id outside the vocabulary
     */
    public void checkIds(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    /**
     * Looks up integer ids of any shape.
     *
     * @param ids the ids
     * @return (ids shape..., hidden), in ids' manager
     */
    @Override
    public NDArray forward(NDArray ids) {
        NDArray i32 = ids.toType(DataType.INT32, false);
        int[] flat = i32.toIntArray();
        if (i32 != ids) {
            i32.close();
        }
        NDArray rows = forward(ids.getManager(), flat);
        NDArray shaped = rows.reshape(ids.getShape().add(hidden));
        if (shaped != rows) {
            rows.close();
        }
        return shaped;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hidden)};
    }
}
