/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.batchinvariant.model.GenerationArrays;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.djl.util.JsonUtils;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.util.function.Function;

/**
 * {@code Input -> Output}, what DJL Serving asks a {@code translatorFactory} for. The request body
 * is either plain text, or JSON {@code {"inputs": "text" | [ids], "parameters": {...}}} whose
 * parameters (the {@link GenerationOptions} keys) override the model's for that request. The
 * response is JSON {@code {"generated_text": ..., "token_ids": [...], "logprobs": [...]}}
 * ({@code generated_text} where the model has a tokenizer).
 */
public final class ServingGenerationTranslator implements NoBatchifyTranslator<Input, Output> {

    private final TextTokenizer tokenizer;
    private final Function<String, String> defaults;
    private final int[] eos;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer, or null (then requests give token ids)
     * @param defaults the model's settings by key (null: not set)
     * @param eos the default stop tokens
     */
    public ServingGenerationTranslator(TextTokenizer tokenizer, Function<String, String> defaults, int[] eos) {
        this.tokenizer = tokenizer;
        this.defaults = defaults;
        this.eos = eos.clone();
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        String body = input.getData() == null ? "" : input.getData().getAsString();
        JsonElement prompt;
        JsonObject params = new JsonObject();
        JsonElement parsed = null;
        if (body.trim().startsWith("{")) {
            try {
                parsed = JsonParser.parseString(body);
            } catch (JsonParseException e) {
                throw new IllegalArgumentException("request body is not valid JSON: " + e.getMessage(), e);
            }
        }
        if (parsed != null && parsed.isJsonObject()) {
            JsonObject o = parsed.getAsJsonObject();
            prompt = o.get("inputs");
            if (prompt == null) {
                throw new IllegalArgumentException("request JSON has no \"inputs\" (text or an array of token ids)");
            }
            if (o.has("parameters")) {
                params = o.getAsJsonObject("parameters");
            }
        } else {
            prompt = new JsonPrimitive(body);
        }
        int[] ids;
        if (prompt.isJsonArray()) {
            JsonArray a = prompt.getAsJsonArray();
            ids = new int[a.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = a.get(i).getAsInt();
            }
        } else {
            if (tokenizer == null) {
                throw new IllegalArgumentException("the model has no " + TextTokenizer.FILE
                        + ": give \"inputs\" as an array of token ids");
            }
            ids = tokenizer.encode(prompt.getAsString());
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt holds no tokens");
        }
        JsonObject p = params;
        SamplingConfig config = GenerationOptions.read(key -> {
            JsonElement v = p.get(key);
            if (v == null || v.isJsonNull()) {
                return defaults.apply(key);
            }
            if (v.isJsonArray()) {
                StringBuilder s = new StringBuilder();
                for (JsonElement e : v.getAsJsonArray()) {
                    s.append(s.length() == 0 ? "" : ",").append(e.getAsString());
                }
                return s.toString();
            }
            return v.getAsString();
        }, eos);
        NDManager m = ctx.getNDManager();
        return new NDList(m.create(ids), GenerationArrays.encode(m, config));
    }

    /** {@inheritDoc} */
    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        int[] ids = GenerationArrays.tokens(list);
        float[] lp = GenerationArrays.logprobs(list);
        JsonObject o = new JsonObject();
        if (tokenizer != null) {
            o.addProperty("generated_text", tokenizer.decode(ids));
        }
        JsonArray t = new JsonArray();
        JsonArray l = new JsonArray();
        for (int i = 0; i < ids.length; i++) {
            t.add(ids[i]);
            l.add(Float.isFinite(lp[i]) ? lp[i] : null);
        }
        o.add("token_ids", t);
        o.add("logprobs", l);
        Output out = new Output();
        out.addProperty("Content-Type", "application/json");
        out.add(JsonUtils.GSON.toJson(o));
        return out;
    }
}
