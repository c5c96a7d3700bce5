/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** Token embedding: row {@code id} of a (vocab, hidden) table per token, a pure copy. */
public final class EmbeddingLookup implements AutoCloseable {

    private final NDArray table;
    private final int vocab;

    /**
     * Creates the lookup.
     *
     * @param table (vocab, hidden), owned by this block from now on
     */
    public EmbeddingLookup(NDArray table) {
        this.table = table;
        this.vocab = (int) table.getShape().get(0);
    }

    /**
     * Returns the table (shared with a tied LM head).
     *
     * @return (vocab, hidden)
     */
    public NDArray getTable() {
        return table;
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
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        NDArray idx = manager.create(ids, new Shape(ids.length));
        NDArray rows = table.get(new NDIndex("{}", idx));
        // the result is born in the table's manager; the caller's manager owns it from here
        rows.attach(manager);
        return rows;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        table.close();
    }
}
