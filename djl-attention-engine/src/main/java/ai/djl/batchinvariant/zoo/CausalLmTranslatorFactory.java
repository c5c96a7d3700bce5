/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.Model;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;

/**
 * Translators of a causal LM loaded by the BatchInvariant engine: {@code String -> String}
 * (needs {@code tokenizer.json}), {@code int[] -> int[]} and {@code int[] -> GeneratedTokens} (token
 * ids), {@code Input -> Output} (DJL Serving's; see {@link ServingGenerationTranslator}) and {@code
 * NDList -> NDList} (logits, as without a factory). Sampling comes from {@link
 * GenerationOptions}. Name it in {@code serving.properties} as {@code translatorFactory=} this
 * class, or pass it with {@code Criteria.optTranslatorFactory}.
 */
public class CausalLmTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> TYPES = Set.of(
            new Pair<>(String.class, String.class),
            new Pair<>(int[].class, int[].class),
            new Pair<>(int[].class, GeneratedTokens.class),
            new Pair<>(Input.class, Output.class),
            new Pair<>(NDList.class, NDList.class));

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return TYPES;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input == NDList.class && output == NDList.class) {
            return (Translator<I, O>) new NoopTranslator();
        }
        if (!(model.getBlock() instanceof CausalLmBlock)) {
            throw new TranslateException("model " + model.getName() + " is not a causal LM of the BatchInvariant"
                    + " engine (its block is " + model.getBlock() + ")");
        }
        int[] eos = ((CausalLmBlock) model.getBlock()).getModel().getConfig().getEosTokenIds();
        SamplingConfig config;
        try {
            config = GenerationOptions.read(model, arguments, eos);
        } catch (IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
        if (input == int[].class && output == int[].class) {
            return (Translator<I, O>) GenerationTranslator.ids(config);
        }
        if (input == int[].class && output == GeneratedTokens.class) {
            return (Translator<I, O>) GenerationTranslator.tokens(config);
        }
        if (input == Input.class && output == Output.class) {
            try {
                TextTokenizer tok = Files.isRegularFile(model.getModelPath().resolve(TextTokenizer.FILE))
                        ? TextTokenizer.load(model.getModelPath()) : null;
                return (Translator<I, O>) new ServingGenerationTranslator(tok, key -> {
                    Object v = arguments == null ? null : arguments.get(key);
                    return v != null ? v.toString() : model.getProperty(key);
                }, eos);
            } catch (IOException e) {
                throw new TranslateException(e.getMessage(), e);
            }
        }
        if (input == String.class && output == String.class) {
            try {
                return (Translator<I, O>) new TextGenerationTranslator(TextTokenizer.load(model.getModelPath()), config);
            } catch (IOException e) {
                throw new TranslateException(e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("unsupported input/output types: " + input.getName() + " -> "
                + output.getName() + " (supported: String->String, int[]->int[], int[]->GeneratedTokens,"
                + " Input->Output, NDList->NDList)");
    }
}
