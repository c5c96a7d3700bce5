/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;

/**
 * The gated feed-forward block of Llama-family decoders: {@code down(silu(gate(x)) * up(x))} with
 * {@code silu(a) = a * sigmoid(a)}.
 */
public final class GatedMlp implements AutoCloseable {

    private final Projection gate;
    private final Projection up;
    private final Projection down;

    /**
     * Creates the block.
     *
     * @param gate hidden to intermediate
     * @param up hidden to intermediate
     * @param down intermediate to hidden
     */
    public GatedMlp(Projection gate, Projection up, Projection down) {
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    /**
     * Applies the block.
     *
     * @param x (rows, hidden)
     * @return (rows, hidden), in x's manager
     */
    public NDArray forward(NDArray x) {
        NDArray g = gate.forward(x);
        NDArray act = g.mul(g.getNDArrayInternal().sigmoid());
        return down.forward(act.mul(up.forward(x)));
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        gate.close();
        up.close();
        down.close();
    }
}
