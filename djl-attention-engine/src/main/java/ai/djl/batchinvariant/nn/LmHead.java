/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The language-model head: logits {@code h E^T} over the vocabulary, with its own weight or tied
 * to the embedding table. Child block {@code projection}.
 */
public final class LmHead extends LoadedBlock {

    private final Projection projection;

    /**
     * Creates the head.
     *
     * @param weight (vocab, hidden): the head's weight, or a copy of a tied embedding table; this
     *     block takes it over (and closes it once transposed)
     */
    public LmHead(NDArray weight) {
        this(new Projection(weight, null));
    }

    private LmHead(Projection projection) {
        this.projection = addChildBlock("projection", projection);
    }

    /**
     * Creates a head over a {@link Projection#linear} projection (the weight kept as (vocab, hidden)).
     *
     * @param weight (vocab, hidden), owned by this block from now on
     * @return the head
     */
    public static LmHead linear(NDArray weight) {
        return new LmHead(Projection.linear(weight, null));
    }

    /**
     * Computes logits.
     *
     * @param h (rows, hidden), already normalised
     * @return (rows, vocab) in the type of h and the weight
     */
    @Override
    public NDArray forward(NDArray h) {
        return projection.forward(h);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return projection.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        projection.close();
    }
}
