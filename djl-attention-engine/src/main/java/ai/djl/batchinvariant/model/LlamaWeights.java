/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.nn.EmbeddingLookup;
import ai.djl.batchinvariant.nn.GatedMlp;
import ai.djl.batchinvariant.nn.LmHead;
import ai.djl.batchinvariant.nn.Projection;
import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-family checkpoint's weights as the engine's blocks, in the compute type: the embedding,
 * per layer the norms, q/k/v stacked into one projection, o, and the gated MLP (gate and up
 * interleaved in blocks of {@link GatedMlp#INTERLEAVE} when the intermediate size allows, so the
 * GPU can gate in the product's store), the final norm and the LM head (tied or not). Models made
 * by {@link LlamaModel#withSplitPolicy} and the like share one instance.
 */
final class LlamaWeights implements AutoCloseable {

    /** One decoder layer's blocks. */
    static final class Layer implements AutoCloseable {
        RmsNorm inputNorm;
        /** q, k and v side by side: one product, each output the chain it has alone. */
        Projection qkv;
        Projection o;
        RmsNorm postNorm;
        GatedMlp mlp;

        @Override
        public void close() {
            for (AutoCloseable c : new AutoCloseable[] {inputNorm, qkv, o, postNorm, mlp}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    final List<Layer> layers = new ArrayList<>();
    EmbeddingLookup embed;
    RmsNorm finalNorm;
    LmHead head;
    /** Whether the tied head's weight is a view of the embedding table (counted once). */
    private boolean headSharesTable;

    private final HfConfig config;
    private final NDManager manager;
    private final ModelTypes types;

    private LlamaWeights(HfConfig config, NDManager manager, ModelTypes types) {
        this.config = config;
        this.manager = manager;
        this.types = types;
    }

    /**
     * Reads a checkpoint's weights; on failure, what was read is closed.
     *
     * @param c the checkpoint
     * @param config its configuration
     * @param manager the manager the arrays belong to
     * @param types the compute and cache types
     * @return the weights
     * @throws IOException if a file cannot be read
     */
    static LlamaWeights load(HfCheckpoint c, HfConfig config, NDManager manager, ModelTypes types) throws IOException {
        LlamaWeights w = new LlamaWeights(config, manager, types);
        try {
            w.read(c);
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    private NDArray array(HfCheckpoint c, String name, long... shape) throws IOException {
        return read(c, name, types.compute, shape);
    }

    /** A tensor read as float32 and held in {@code type}. */
    private NDArray read(HfCheckpoint c, String name, DataType type, long... shape) throws IOException {
        NDArray a = manager.create(c.read(name, shape), new Shape(shape));
        if (type == DataType.FLOAT32) {
            return a;
        }
        NDArray t = a.toType(type, false);
        a.close();
        return t;
    }

    /**
     * A projection's (or an untied LM head's) weight. On the CPU with float32 compute, a 16-bit
     * checkpoint's weight stays 16-bit, half the memory of its float32 copy: {@code linear} widens
     * it exactly when it packs the weight's panels once, so every product is the one the float32
     * values give.
     */
    private NDArray weight(HfCheckpoint c, String name, long... shape) throws IOException {
        String stored = c.dtype(name);
        DataType half = "BF16".equals(stored) ? DataType.BFLOAT16 : "F16".equals(stored) ? DataType.FLOAT16 : null;
        boolean keep = half != null && types.compute == DataType.FLOAT32 && !types.gpu && types.linearLayout();
        return read(c, name, keep ? half : types.compute, shape);
    }

    private Projection proj(HfCheckpoint c, String name, long out, long in, boolean bias) throws IOException {
        NDArray w = weight(c, name + ".weight", out, in);
        NDArray b = bias ? array(c, name + ".bias", out) : null;
        return types.linearLayout() ? Projection.linear(w, b) : new Projection(w, b);
    }

    /**
     * One projection computing several side by side: their weights (and biases) stacked on the
     * output axis, in the order given.
     */
    private Projection stacked(HfCheckpoint c, String[] names, long[] outs, long in, boolean bias) throws IOException {
        NDList ws = new NDList();
        NDList bs = new NDList();
        for (int i = 0; i < names.length; i++) {
            ws.add(weight(c, names[i] + ".weight", outs[i], in));
            if (bias) {
                bs.add(array(c, names[i] + ".bias", outs[i]));
            }
        }
        NDArray w = NDArrays.concat(ws, 0);
        NDArray b = bias ? NDArrays.concat(bs, 0) : null;
        ws.close();
        bs.close();
        return types.linearLayout() ? Projection.linear(w, b) : new Projection(w, b);
    }

    /**
     * One bias-free projection computing the gate and the up projection with their output rows
     * alternating in blocks of {@link GatedMlp#INTERLEAVE}, so that a GEMM tile holds the gate and
     * the up values of the same outputs.
     */
    private Projection interleaved(HfCheckpoint c, String gate, String up, long out, long in) throws IOException {
        int b = GatedMlp.INTERLEAVE;
        NDArray g = weight(c, gate + ".weight", out, in);
        NDArray u = weight(c, up + ".weight", out, in);
        // the views hold the loaded storage too: closed with it, or both would stay on the heap
        NDList blocks = new NDList(g.reshape(out / b, b, in), u.reshape(out / b, b, in));
        NDArray s = NDArrays.stack(blocks, 1);
        NDArray w = s.reshape(2 * out, in);
        blocks.close();
        g.close();
        u.close();
        if (w != s) {
            s.close();
        }
        return types.linearLayout() ? Projection.linear(w, null) : new Projection(w, null);
    }

    private void read(HfCheckpoint c) throws IOException {
        long h = config.hiddenSize;
        long qd = (long) config.numHeads * config.headDim;
        long kvd = (long) config.numKvHeads * config.headDim;
        long inter = config.intermediateSize;
        float eps = (float) config.rmsNormEps;
        embed = new EmbeddingLookup(array(c, "model.embed_tokens.weight", config.vocabSize, h));
        for (int i = 0; i < config.numLayers; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            layers.add(l);
            l.inputNorm = new RmsNorm(array(c, p + "input_layernorm.weight", h), eps);
            l.qkv = stacked(c, new String[] {p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"},
                    new long[] {qd, kvd, kvd}, h, config.attentionBias);
            l.o = proj(c, p + "self_attn.o_proj", h, qd, false);
            l.postNorm = new RmsNorm(array(c, p + "post_attention_layernorm.weight", h), eps);
            l.mlp = inter % GatedMlp.INTERLEAVE == 0
                    ? GatedMlp.fused(interleaved(c, p + "mlp.gate_proj", p + "mlp.up_proj", inter, h),
                            proj(c, p + "mlp.down_proj", h, inter, false), GatedMlp.INTERLEAVE)
                    : GatedMlp.fused(stacked(c, new String[] {p + "mlp.gate_proj", p + "mlp.up_proj"},
                            new long[] {inter, inter}, h, false), proj(c, p + "mlp.down_proj", h, inter, false));
        }
        finalNorm = new RmsNorm(array(c, "model.norm.weight", h), eps);
        NDArray hw;
        if (c.has("lm_head.weight")) {
            hw = weight(c, "lm_head.weight", config.vocabSize, h);
        } else if (config.tieWordEmbeddings) {
            // the head reads the table itself (a view: each block closes its own reference, and
            // device memory is reference counted; the lookup and the head never write it)
            headSharesTable = true;
            NDArray table = embed.getTable();
            hw = table.reshape(table.getShape());
        } else {
            throw new ModelFormatException(config.getFile() + ": key tie_word_embeddings is false but the weights"
                    + " have no lm_head.weight");
        }
        head = types.linearLayout() ? LmHead.linear(hw) : new LmHead(hw);
    }

    /** The bytes the weight arrays hold, a table the head shares counted once. */
    long bytes() {
        List<AbstractBlock> blocks = new ArrayList<>(List.of(embed, finalNorm));
        if (!headSharesTable) {
            blocks.add(head);
        }
        for (Layer l : layers) {
            blocks.addAll(List.of(l.inputNorm, l.qkv, l.o, l.postNorm, l.mlp));
        }
        long total = 0;
        for (AbstractBlock b : blocks) {
            for (Parameter p : b.getParameters().values()) {
                NDArray a = p.getArray();
                total += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
        }
        return total;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        for (Layer l : layers) {
            l.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {embed, finalNorm, head}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
