/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The fields of a Hugging Face {@code config.json} that a Llama-family decoder needs, read from
 * either spelling found in the wild: {@code rope_theta}/{@code rope_scaling} (transformers 4) or
 * {@code rope_parameters} (transformers 5). Every missing or invalid field raises a {@link
 * ModelFormatException} naming the file and the key.
 */
public final class HfConfig {

    /** The architectures this engine builds, all the Llama layout (pre-norm, gated SiLU MLP). */
    public static final List<String> ARCHITECTURES =
            List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

    private final Path file;
    private final String architecture;
    final int hiddenSize;
    final int intermediateSize;
    final int numLayers;
    final int numHeads;
    final int numKvHeads;
    final int headDim;
    final int vocabSize;
    final double rmsNormEps;
    final boolean tieWordEmbeddings;
    final boolean attentionBias;
    final double ropeTheta;
    final double ropeLinearFactor;
    final double llama3Factor;
    final double llama3LowFreqFactor;
    final double llama3HighFreqFactor;
    final int llama3OriginalMaxPosition;
    final int[] eosTokenIds;

    private HfConfig(Path file, JsonObject o) {
        this.file = file;
        String arch = architecture(o);
        this.architecture = arch;
        String act = optString(o, "hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw error("hidden_act", "is " + act + "; only silu is supported");
        }
        hiddenSize = positiveInt(o, "hidden_size");
        intermediateSize = positiveInt(o, "intermediate_size");
        numLayers = positiveInt(o, "num_hidden_layers");
        numHeads = positiveInt(o, "num_attention_heads");
        numKvHeads = o.has("num_key_value_heads") && !o.get("num_key_value_heads").isJsonNull()
                ? positiveInt(o, "num_key_value_heads") : numHeads;
        if (numHeads % numKvHeads != 0) {
            throw error("num_key_value_heads", "=" + numKvHeads + " must divide num_attention_heads=" + numHeads);
        }
        if (o.has("head_dim") && !o.get("head_dim").isJsonNull()) {
            headDim = positiveInt(o, "head_dim");
        } else {
            if (hiddenSize % numHeads != 0) {
                throw error("hidden_size", "=" + hiddenSize + " is not a multiple of num_attention_heads=" + numHeads
                        + " and no head_dim is given");
            }
            headDim = hiddenSize / numHeads;
        }
        if (headDim != 32 && headDim != 64 && headDim != 128 && headDim != 256) {
            throw error("head_dim", "=" + headDim + " is unsupported: the attention kernels take 32 (CPU only), 64, 128 or 256");
        }
        vocabSize = positiveInt(o, "vocab_size");
        rmsNormEps = positiveDouble(o, "rms_norm_eps", 1e-6);
        tieWordEmbeddings = optBoolean(o, "tie_word_embeddings", false);
        // Qwen2 always has q/k/v biases; Llama and Mistral say so with attention_bias
        attentionBias = "Qwen2ForCausalLM".equals(arch) || optBoolean(o, "attention_bias", false);
        if (optBoolean(o, "mlp_bias", false)) {
            throw error("mlp_bias", "is true; MLP biases are not supported");
        }
        if (optBoolean(o, "use_sliding_window", false) || isPositive(o, "sliding_window")
                && "MistralForCausalLM".equals(arch)) {
            throw error(o.has("use_sliding_window") ? "use_sliding_window" : "sliding_window",
                    "asks for sliding-window attention, which this loader does not build yet");
        }
        eosTokenIds = eos(o);
        // rope: transformers 5 nests everything in rope_parameters; transformers 4 has rope_theta and
        // an optional rope_scaling object
        JsonObject scaling;
        String where;
        if (o.has("rope_parameters") && o.get("rope_parameters").isJsonObject()) {
            scaling = o.getAsJsonObject("rope_parameters");
            where = "rope_parameters.";
            ropeTheta = positiveDouble(scaling, where, "rope_theta", null);
        } else {
            ropeTheta = positiveDouble(o, "rope_theta", 10000.0);
            JsonElement s = o.get("rope_scaling");
            scaling = s != null && s.isJsonObject() ? s.getAsJsonObject() : new JsonObject();
            where = "rope_scaling.";
        }
        String type = scaling.has("rope_type") ? str(scaling, where, "rope_type")
                : scaling.has("type") ? str(scaling, where, "type") : "default";
        switch (type) {
            case "default":
                ropeLinearFactor = 1.0;
                llama3Factor = 0;
                llama3LowFreqFactor = 1;
                llama3HighFreqFactor = 4;
                llama3OriginalMaxPosition = 8192;
                break;
            case "linear":
                ropeLinearFactor = positiveDouble(scaling, where, "factor", null);
                llama3Factor = 0;
                llama3LowFreqFactor = 1;
                llama3HighFreqFactor = 4;
                llama3OriginalMaxPosition = 8192;
                break;
            case "llama3":
                ropeLinearFactor = 1.0;
                llama3Factor = positiveDouble(scaling, where, "factor", null);
                llama3LowFreqFactor = positiveDouble(scaling, where, "low_freq_factor", null);
                llama3HighFreqFactor = positiveDouble(scaling, where, "high_freq_factor", null);
                double orig = positiveDouble(scaling, where, "original_max_position_embeddings", null);
                llama3OriginalMaxPosition = (int) orig;
                if (!(llama3HighFreqFactor > llama3LowFreqFactor)) {
                    throw error(where + "high_freq_factor", "=" + llama3HighFreqFactor
                            + " must exceed low_freq_factor=" + llama3LowFreqFactor);
                }
                break;
            default:
                throw error(where + (scaling.has("rope_type") ? "rope_type" : "type"), "=" + type
                        + " is unsupported: expected default, linear or llama3");
        }
    }

    /**
     * Reads and validates a {@code config.json}.
     *
     * @param file the file
     * @return the configuration
     * @throws IOException if the file cannot be read
     * @throws ModelFormatException naming the file and key of the first problem
     */
    public static HfConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": missing (a Hugging Face model directory needs config.json)");
        }
        JsonElement root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r);
        } catch (RuntimeException e) {
            throw new ModelFormatException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new ModelFormatException(file + ": expected a JSON object");
        }
        return new HfConfig(file, root.getAsJsonObject());
    }

    /**
     * Returns the architecture named in {@code architectures}.
     *
     * @return e.g. LlamaForCausalLM
     */
    public String getArchitecture() {
        return architecture;
    }

    /**
     * Returns the number of decoder layers.
     *
     * @return layers
     */
    public int getNumLayers() {
        return numLayers;
    }

    /**
     * Returns the hidden size.
     *
     * @return hidden_size
     */
    public int getHiddenSize() {
        return hiddenSize;
    }

    /**
     * Returns the vocabulary size.
     *
     * @return tokens
     */
    public int getVocabSize() {
        return vocabSize;
    }

    /**
     * Returns the end-of-sequence token ids (empty when the config names none).
     *
     * @return ids
     */
    public int[] getEosTokenIds() {
        return eosTokenIds.clone();
    }

    /**
     * Returns the file read.
     *
     * @return the config.json path
     */
    public Path getFile() {
        return file;
    }

    private String architecture(JsonObject o) {
        JsonElement a = o.get("architectures");
        if (a == null || !a.isJsonArray() || a.getAsJsonArray().size() == 0) {
            throw error("architectures", "is missing; expected one of " + ARCHITECTURES);
        }
        String name = a.getAsJsonArray().get(0).getAsString();
        if (!ARCHITECTURES.contains(name)) {
            throw error("architectures", "names " + name + ", which is unsupported; expected one of "
                    + ARCHITECTURES);
        }
        return name;
    }

    private int[] eos(JsonObject o) {
        JsonElement e = o.get("eos_token_id");
        if (e == null || e.isJsonNull()) {
            return new int[0];
        }
        try {
            if (e.isJsonArray()) {
                int[] ids = new int[e.getAsJsonArray().size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = e.getAsJsonArray().get(i).getAsInt();
                }
                return ids;
            }
            return new int[] {e.getAsInt()};
        } catch (RuntimeException ex) {
            throw error("eos_token_id", "=" + e + " is not an integer or a list of integers");
        }
    }

    private ModelFormatException error(String key, String what) {
        return new ModelFormatException(file + ": key " + key + " " + what);
    }

    private int positiveInt(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw error(key, "is missing");
        }
        try {
            double d = e.getAsDouble();
            if (d >= 1 && d == Math.rint(d) && d <= Integer.MAX_VALUE) {
                return (int) d;
            }
        } catch (RuntimeException ex) {
            // fall through to the message below
        }
        throw error(key, "=" + e + " must be a positive integer");
    }

    private double positiveDouble(JsonObject o, String key, Double dflt) {
        return positiveDouble(o, "", key, dflt);
    }

    private double positiveDouble(JsonObject o, String where, String key, Double dflt) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (dflt == null) {
                throw error(where + key, "is missing");
            }
            return dflt;
        }
        try {
            double d = e.getAsDouble();
            if (d > 0 && !Double.isInfinite(d)) {
                return d;
            }
        } catch (RuntimeException ex) {
            // fall through to the message below
        }
        throw error(where + key, "=" + e + " must be a positive number");
    }

    private boolean isPositive(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() && e.getAsDouble() > 0;
    }

    private String str(JsonObject o, String where, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw error(where + key, "must be a string");
        }
        return e.getAsString();
    }

    private String optString(JsonObject o, String key, String dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : str(o, "", key);
    }

    private boolean optBoolean(JsonObject o, String key, boolean dflt) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
            return e.getAsBoolean();
        }
        throw error(key, "=" + e + " must be true or false");
    }
}
