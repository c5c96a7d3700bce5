/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
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
 * projection computes gate and up side by side — their output rows stacked whole, or alternating
 * in blocks of 8 — and the gate is one backend op ({@code siluMul}). With blocks of 8 and a
 * bias-free (out, in) weight the product and the gate are one backend op ({@code
 * linearSiluMul}): on the Hopper GPU family the gate is applied in the product's store and the
 * gate/up array is never written. Each output of a product is the same chain over the input in
 * every form.
 */
public final class GatedMlp extends LoadedBlock {

    /** The block of {@code linearSiluMul}'s interleaved gate and up rows. */
    public static final int INTERLEAVE = 8;

    private final Projection gate;
    private final Projection up;
    private final Projection gateUp;
    private final Projection down;
    /** gate and up alternate in blocks of this many outputs; 0: stacked whole ([g | u]) */
    private final int block;

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
        this.block = 0;
    }

    private GatedMlp(Projection gateUp, Projection down, int block) {
        this.gate = null;
        this.up = null;
        this.gateUp = addChildBlock("gateUp", gateUp);
        this.down = addChildBlock("down", down);
        this.block = block;
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
        return new GatedMlp(gateUp, down, 0);
    }

    /**
     * Creates the block from one projection whose outputs alternate between the gate's and the up
     * projection's in blocks of {@code block} (its weight's rows interleaved so; {@code block} equal
     * to the intermediate size stacks them whole).
     *
     * @param gateUp hidden to 2 x intermediate
     * @param down intermediate to hidden
     * @param block outputs per block, dividing the intermediate size
     * @return the block
     */
    public static GatedMlp fused(Projection gateUp, Projection down, int block) {
        if (block < 1) {
            throw new IllegalArgumentException("block " + block + " must be positive");
        }
        return new GatedMlp(gateUp, down, block);
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
            if (block == INTERLEAVE && gateUp.isPlainLinear() && x instanceof TensorArray
                    && gateUp.weight() instanceof TensorArray && x.getManager() instanceof TensorFactory) {
                h = ((TensorFactory) x.getManager()).wrap(Backends.of(x.getDevice()).linalg()
                        .linearSiluMul(((TensorArray) x).tensor(), ((TensorArray) gateUp.weight()).tensor()));
            } else {
                NDArray gu = gateUp.forward(x);
                h = siluMul(gu, block);
                gu.close();
            }
        } else {
            h = siluMul(gate.forward(x), up.forward(x));
        }
        NDArray y = down.forward(h);
        h.close();
        return y;
    }

    /**
     * The gate of rows whose g and u alternate in blocks ({@code block} 0 or the row's half: {@code
     * [g | u]}): one backend op on this engine's arrays.
     */
    private static NDArray siluMul(NDArray gu, int block) {
        int last = gu.getShape().dimension() - 1;
        long h = gu.getShape().get(last) / 2;
        int b = block <= 0 ? (int) h : block;
        if (gu instanceof TensorArray && gu.getManager() instanceof TensorFactory) {
            return ((TensorFactory) gu.getManager()).wrap(Backends.of(gu.getDevice()).elementwise()
                    .siluMul(((TensorArray) gu).tensor(), b));
        }
        // other engines: view the blocks as an axis of two, take g's and u's
        Shape lead = gu.getShape().slice(0, last);
        try (NDArray blocks = gu.reshape(lead.addAll(new Shape(h / b, 2, b)));
                NDArray gb = blocks.get(new NDIndex("..., 0, :"));
                NDArray ub = blocks.get(new NDIndex("..., 1, :"))) {
            return siluMul(gb.reshape(lead.add(h)), ub.reshape(lead.add(h)));
        }
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
