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
 * Text in, generated text out (the continuation only, special tokens skipped): the prompt is
 * encoded with the model's {@code tokenizer.json}, generated as token ids exactly as {@link
 * GenerationTranslator} does, and the new ids decoded.
 */
public final class TextGenerationTranslator implements NoBatchifyTranslator<String, String> {

    private final TextTokenizer tokenizer;
    private final SamplingConfig config;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer
     * @param config sampling and limits
     */
    public TextGenerationTranslator(TextTokenizer tokenizer, SamplingConfig config) {
        this.tokenizer = tokenizer;
        this.config = config;
    }

    /**
     * Returns the tokenizer.
     *
     * @return the tokenizer
     */
    public TextTokenizer getTokenizer() {
        return tokenizer;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String text) {
        NDManager m = ctx.getNDManager();
        int[] ids = tokenizer.encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens: '" + text + "'");
        }
        return new NDList(m.create(ids), GenerationArrays.encode(m, config));
    }

    /** {@inheritDoc} */
    @Override
    public String processOutput(TranslatorContext ctx, NDList list) {
        return tokenizer.decode(GenerationArrays.tokens(list));
    }
}
