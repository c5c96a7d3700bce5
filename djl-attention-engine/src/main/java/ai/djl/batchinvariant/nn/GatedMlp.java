/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The gated feed-forward block of Llama-family decoders: {@code down(silu(gate(x)) * up(x))} with
 * {@code silu(a) = a * sigmoid(a)}. For float16 or bfloat16 inputs SiLU runs in float32 and is
 * rounded once to the input's type, as PyTorch's {@code silu} does for those types; the product
 * with {@code up(x)} is then in that type.
 *
 * <p>Two forms with the same arithmetic per element: child blocks {@code gate}, {@code up},
 * {@code down} ({@link #GatedMlp}), or {@code gateUp}, {@code down} ({@link #fused}), where one
 * projection computes gate and up side by side and the gate is one backend op ({@code siluMul}).
 * The fused form launches one matrix product instead of two and one element-wise kernel instead
 * of five on the GPU; each output of a product is the same chain over the input either way.
 */
public final class GatedMlp extends LoadedBlock {

    private final Projection gate;
    private final Projection up;
    private final Projection gateUp;
    private final Projection down;

    /**
     * Creates the block from separate projections.
     *
     * @param gate hidden to intermediate
     * @param up hidden to intermediate
     * @param down intermediate to hidden
     */
    public GatedMlp(Projection gate, Projection up, Projection down) {
        this.gate = addChildBlock("gate", gate);
        this.up = addChildBlock("up", up);
        this.gateUp = null;
        this.down = addChildBlock("down", down);
    }

    private GatedMlp(Projection gateUp, Projection down) {
        this.gate = null;
        this.up = null;
        this.gateUp = addChildBlock("gateUp", gateUp);
        this.down = addChildBlock("down", down);
    }

    /**
     * Creates the block from one projection whose outputs are the gate's then the up projection's
     * (its weight is gate's and up's stacked along the output axis).
     *
     * @param gateUp hidden to 2 x intermediate
     * @param down intermediate to hidden
     * @return the block
     */
    public static GatedMlp fused(Projection gateUp, Projection down) {
        return new GatedMlp(gateUp, down);
    }

    /**
     * Applies the block.
     *
     * @param x (rows, hidden)
     * @return (rows, hidden), in x's manager
     */
    @Override
    public NDArray forward(NDArray x) {
        NDArray h;
        if (gateUp != null) {
            NDArray gu = gateUp.forward(x);
            h = siluMul(gu);
            gu.close();
        } else {
            h = siluMul(gate.forward(x), up.forward(x));
        }
        NDArray y = down.forward(h);
        h.close();
        return y;
    }

    /** The gate of {@code [g | u]}: one backend op on this engine's arrays. */
    private static NDArray siluMul(NDArray gu) {
        if (gu instanceof TensorArray && gu.getManager() instanceof TensorFactory) {
            return ((TensorFactory) gu.getManager()).wrap(Backends.of(gu.getDevice()).elementwise()
                    .siluMul(((TensorArray) gu).tensor()));
        }
        NDList halves = gu.split(2, gu.getShape().dimension() - 1);
        return siluMul(halves.get(0), halves.get(1));
    }

    /** {@code silu(g) * u} composed of array ops; consumes (closes) both operands. */
    private static NDArray siluMul(NDArray g, NDArray u) {
        DataType type = g.getDataType();
        NDArray h;
        if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
            NDArray g32 = g.toType(DataType.FLOAT32, false);
            NDArray sig = g32.getNDArrayInternal().sigmoid();
            NDArray act32 = g32.mul(sig);
            g32.close();
            sig.close();
            NDArray act = act32.toType(type, false);
            act32.close();
            h = act.mul(u);
            act.close();
        } else {
            NDArray sig = g.getNDArrayInternal().sigmoid();
            NDArray act = g.mul(sig);
            sig.close();
            h = act.mul(u);
            act.close();
        }
        g.close();
        u.close();
        return h;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        for (Projection p : new Projection[] {gate, up, gateUp, down}) {
            if (p != null) {
                p.close();
            }
        }
    }
}
