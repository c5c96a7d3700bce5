/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The gated feed-forward block of Llama-family decoders: {@code down(silu(gate(x)) * up(x))} with
 * {@code silu(a) = a * sigmoid(a)}. Child blocks {@code gate}, {@code up}, {@code down}. For float16
 * or bfloat16 inputs SiLU runs in float32 and is rounded once to the input's type, as PyTorch's
 * {@code silu} does for those types; the product with {@code up(x)} is then in that type.
 */
public final class GatedMlp extends LoadedBlock {

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
        this.gate = addChildBlock("gate", gate);
        this.up = addChildBlock("up", up);
        this.down = addChildBlock("down", down);
    }

    /**
     * Applies the block.
     *
     * @param x (rows, hidden)
     * @return (rows, hidden), in x's manager
     */
    @Override
    public NDArray forward(NDArray x) {
        NDArray g = gate.forward(x);
        DataType type = g.getDataType();
        if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
            NDArray g32 = g.toType(DataType.FLOAT32, false);
            g.close();
            NDArray sig = g32.getNDArrayInternal().sigmoid();
            NDArray act32 = g32.mul(sig);
            g32.close();
            sig.close();
            NDArray act = act32.toType(type, false);
            act32.close();
            NDArray u = up.forward(x);
            NDArray h = act.mul(u);
            act.close();
            u.close();
            NDArray y = down.forward(h);
            h.close();
            return y;
        }
        NDArray act = g.mul(g.getNDArrayInternal().sigmoid());
        return down.forward(act.mul(up.forward(x)));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        gate.close();
        up.close();
        down.close();
    }
}
