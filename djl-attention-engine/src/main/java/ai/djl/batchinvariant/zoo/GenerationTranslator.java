/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.batchinvariant.model.GenerationArrays;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Token ids in, generated tokens out: one prediction runs a whole generation (one {@code forward}
 * of the model's block in its generation form, see {@link GenerationArrays}). {@link #ids()} and
 * {@link #tokens()} are its {@code int[]} and {@link GeneratedTokens} outputs.
 *
 * @param <O> the output type
 */
public abstract class GenerationTranslator<O> implements NoBatchifyTranslator<int[], O> {

    private final SamplingConfig config;

    GenerationTranslator(SamplingConfig config) {
        this.config = config;
    }

    /**
     * Returns the sampling config every prediction uses.
     *
     * @return the config
     */
    public SamplingConfig getConfig() {
        return config;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, int[] prompt) {
        NDManager m = ctx.getNDManager();
        return new NDList(m.create(prompt), GenerationArrays.encode(m, config));
    }

    /**
     * Returns a translator giving the generated ids.
     *
     * @param config sampling and limits
     * @return the translator
     */
    public static GenerationTranslator<int[]> ids(SamplingConfig config) {
        return new GenerationTranslator<>(config) {
            @Override
            public int[] processOutput(TranslatorContext ctx, NDList list) {
                return GenerationArrays.tokens(list);
            }
        };
    }

    /**
     * Returns a translator giving the generated ids with their log-probabilities.
     *
     * @param config sampling and limits
     * @return the translator
     */
    public static GenerationTranslator<GeneratedTokens> tokens(SamplingConfig config) {
        return new GenerationTranslator<>(config) {
            @Override
            public GeneratedTokens processOutput(TranslatorContext ctx, NDList list) {
                return new GeneratedTokens(GenerationArrays.tokens(list), GenerationArrays.logprobs(list));
            }
        };
    }
}
