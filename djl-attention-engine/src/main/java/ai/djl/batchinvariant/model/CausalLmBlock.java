/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.List;

/**
 * The DJL {@code Block} a Hugging Face decoder directory loads as: input token ids (S) or (B, S)
 * of an integer type, output float32 logits (S, vocab) or (B, S, vocab) for every position. Each
 * batch row is its own request in a fresh KV pool, so its logits do not depend on the other rows.
 * Given a second input, the config array of {@link GenerationArrays}, it generates instead: ids
 * (S) in, the new tokens and their log-probabilities out. For continuous batching use {@link
 * #getModel()} with a {@link Generator}. Inference only.
 */
public final class CausalLmBlock extends AbstractBlock {

    private final LlamaModel model;

    /**
     * Wraps a loaded model.
     *
     * @param model the model
     */
    public CausalLmBlock(LlamaModel model) {
        super((byte) 1);
        this.model = model;
    }

    /**
     * Returns the decoder.
     *
     * @return the model
     */
    public LlamaModel getModel() {
        return model;
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(model.getConfig().getVocabSize())};
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (training) {
            throw new UnsupportedOperationException("CausalLmBlock is inference only: training is not supported");
        }
        if (inputs.size() == 2) {
            return generate(inputs.get(0), GenerationArrays.decode(inputs.get(1)));
        }
        NDArray ids = inputs.head();
        Shape s = ids.getShape();
        if (s.dimension() < 1 || s.dimension() > 2 || s.size() == 0 || !ids.getDataType().isInteger()) {
            throw new IllegalArgumentException("input must be integer token ids shaped (S) or (B, S); got "
                    + ids.getDataType() + " " + s);
        }
        int b = s.dimension() == 2 ? (int) s.get(0) : 1;
        int len = (int) s.get(s.dimension() - 1);
        int[] all = ids.toType(DataType.INT32, false).toIntArray();
        int vocab = model.getConfig().getVocabSize();
        float[] out = new float[b * len * vocab];
        try (KvCacheManager cache = model.newKvCache(b * (len + 1), false)) {
            List<KvCacheManager.Sequence> seqs = new ArrayList<>();
            List<int[]> toks = new ArrayList<>();
            boolean[] allRows = new boolean[b];
            for (int r = 0; r < b; r++) {
                seqs.add(cache.open());
                int[] t = new int[len];
                System.arraycopy(all, r * len, t, 0, len);
                toks.add(t);
                allRows[r] = true;
            }
            float[][][] logits = model.forward(cache, seqs, toks, allRows);
            for (int r = 0; r < b; r++) {
                for (int i = 0; i < len; i++) {
                    System.arraycopy(logits[r][i], 0, out, (r * len + i) * vocab, vocab);
                }
            }
        }
        NDManager m = ids.getManager();
        return new NDList(m.create(out, s.add(vocab)));
    }

    private NDList generate(NDArray ids, SamplingConfig config) {
        Shape s = ids.getShape();
        if (s.dimension() != 1 || s.size() == 0 || !ids.getDataType().isInteger()) {
            throw new IllegalArgumentException("generation input must be integer token ids shaped (S); got "
                    + ids.getDataType() + " " + s);
        }
        int[] prompt = ids.toType(DataType.INT32, false).toIntArray();
        // a pool just large enough for this request, so a call never holds the option-sized pool
        int tokens = prompt.length + config.getMaxNewTokens() - 1;
        int pages = (tokens + model.getPageSize() - 1) / model.getPageSize();
        // one request's own pool, freed after it: recording its decode steps would not pay off
        try (KvCacheManager cache = model.newKvCache(Math.max(1, pages), false)) {
            Generator g = new Generator(model, cache, prompt.length, 1);
            Generator.Request r = g.submit(prompt, config, false, null);
            g.runToCompletion();
            int[] out = r.getTokens();
            List<float[]> rows = r.getLogits();
            float[] lp = new float[out.length];
            for (int i = 0; i < out.length; i++) {
                lp[i] = GenerationArrays.logprob(rows.get(i), out[i]);
            }
            NDManager m = ids.getManager();
            return new NDList(m.create(out), m.create(lp));
        }
    }
}
