/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.HfCheckpoint;
import ai.djl.batchinvariant.model.Safetensors;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Loading Hugging Face directories: the older config spelling, Mistral's name for the same
 * layout, fp16/bf16 weights, and every kind of broken directory failing with the file and key.
 */
class HfLoadingTest {

    static Path copy(String fixture, Path to) throws Exception {
        try (Stream<Path> files = Files.list(Fixtures.dir(fixture))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    static void editConfig(Path dir, Consumer<JsonObject> edit) throws Exception {
        Path c = dir.resolve("config.json");
        JsonObject o = JsonParser.parseString(Files.readString(c)).getAsJsonObject();
        edit.accept(o);
        Files.writeString(c, o.toString(), StandardCharsets.UTF_8);
    }

    static float[] logits(Path dir, int[] prompt) throws Exception {
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(dir); Predictor<NDList, NDList> p = zoo.newPredictor()) {
            return p.predict(new NDList(zoo.getNDManager().create(prompt, new Shape(prompt.length)))).head()
                    .toFloatArray();
        }
    }

    static long weightBytes(Path dir) throws Exception {
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(dir)) {
            return ((CausalLmBlock) zoo.getBlock()).getModel().getWeightBytes();
        }
    }

    static float[] firstRow(float[] flat, int v) {
        return java.util.Arrays.copyOf(flat, v);
    }

    @Test
    void olderRopeSpellingGivesTheSameBits(@TempDir Path tmp) throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        float[] ref = logits(Fixtures.dir("tiny-llama"), f.prompt);
        for (String typeKey : new String[] {"rope_type", "type"}) {
            Path dir = copy("tiny-llama", Files.createDirectory(tmp.resolve(typeKey)));
            editConfig(dir, o -> {
                JsonObject rp = o.remove("rope_parameters").getAsJsonObject();
                o.add("rope_theta", rp.remove("rope_theta"));
                rp.add(typeKey, rp.remove("rope_type"));
                o.add("rope_scaling", rp);
            });
            assertArrayEquals(ref, logits(dir, f.prompt), "rope_theta/rope_scaling with " + typeKey);
        }
        Path q = copy("tiny-qwen2", Files.createDirectory(tmp.resolve("qwen")));
        editConfig(q, o -> {
            JsonObject rp = o.remove("rope_parameters").getAsJsonObject();
            o.add("rope_theta", rp.get("rope_theta"));
            o.add("rope_scaling", com.google.gson.JsonNull.INSTANCE);
        });
        Fixtures fq = Fixtures.expected("tiny-qwen2");
        float[] got = logits(q, fq.prompt);
        assertTrue(Fixtures.relErr(firstRow(got, fq.logits[0].length), fq.logits[0]) <= HfFixtureLogitsTest.TOL);
        assertArrayEquals(logits(Fixtures.dir("tiny-qwen2"), fq.prompt), got, "qwen2 with rope_theta");
    }

    @Test
    void mistralIsTheLlamaLayout(@TempDir Path tmp) throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        Path dir = copy("tiny-llama", tmp);
        editConfig(dir, o -> {
            o.add("architectures", JsonParser.parseString("[\"MistralForCausalLM\"]"));
            o.addProperty("model_type", "mistral");
            o.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
        });
        assertArrayEquals(logits(Fixtures.dir("tiny-llama"), f.prompt), logits(dir, f.prompt));
    }

    @Test
    void halfPrecisionWeightsWidenExactly(@TempDir Path tmp) throws Exception {
        // tiny-qwen2 ties its LM head to the embedding table, tiny-llama has its own
        for (String model : new String[] {"tiny-qwen2", "tiny-llama"}) {
            halfPrecisionWeightsWidenExactly(model, Files.createDirectory(tmp.resolve(model)));
        }
    }

    private static void halfPrecisionWeightsWidenExactly(String model, Path tmp) throws Exception {
        Fixtures f = Fixtures.expected(model);
        for (String dtype : new String[] {"F16", "BF16"}) {
            Path half = copy(model, Files.createDirectory(tmp.resolve(dtype)));
            Path rounded = copy(model, Files.createDirectory(tmp.resolve(dtype + "-as-f32")));
            SafetensorsWriter.reencode(Fixtures.dir(model).resolve(HfCheckpoint.SINGLE),
                    half.resolve(HfCheckpoint.SINGLE), dtype, false);
            SafetensorsWriter.reencode(Fixtures.dir(model).resolve(HfCheckpoint.SINGLE),
                    rounded.resolve(HfCheckpoint.SINGLE), dtype, true);
            assertEquals(dtype, Safetensors.open(half.resolve(HfCheckpoint.SINGLE)).getEntries()
                    .get("model.norm.weight").getDtype());
            float[] a = logits(half, f.prompt);
            assertArrayEquals(logits(rounded, f.prompt), a, dtype + " weights vs their float32 values");
            // on the CPU the projections keep the checkpoint's 16 bits (half the memory of float32)
            long halfBytes = weightBytes(half);
            long f32Bytes = weightBytes(rounded);
            System.out.printf("%s %s weights: %d bytes, as float32 %d%n", model, dtype, halfBytes, f32Bytes);
            assertTrue(halfBytes < f32Bytes * 3 / 4, dtype + ": " + halfBytes + " bytes vs " + f32Bytes);
            // rounding the weights moves the logits, but not far
            double e = Fixtures.relErr(firstRow(a, f.logits[0].length), f.logits[0]);
            assertTrue(e < 0.1, dtype + " relative error " + e);
        }
    }

    static void assertNames(Path dir, String... parts) {
        Exception e = assertThrows(Exception.class, () -> Fixtures.load(dir).close());
        Throwable t = e;
        StringBuilder all = new StringBuilder();
        while (t != null) {
            all.append(t.getMessage()).append(" | ");
            t = t.getCause();
        }
        for (String p : parts) {
            assertTrue(all.toString().contains(p), "message lacks '" + p + "': " + all);
        }
    }

    @Test
    void brokenDirectoriesNameFileAndKey(@TempDir Path tmp) throws Exception {
        Path arch = copy("tiny-llama", Files.createDirectory(tmp.resolve("arch")));
        editConfig(arch, o -> o.add("architectures", JsonParser.parseString("[\"GPT2LMHeadModel\"]")));
        assertNames(arch, "config.json", "architectures", "GPT2LMHeadModel");

        Path field = copy("tiny-llama", Files.createDirectory(tmp.resolve("field")));
        editConfig(field, o -> o.addProperty("num_hidden_layers", "two"));
        assertNames(field, "config.json", "num_hidden_layers");

        Path missing = copy("tiny-llama", Files.createDirectory(tmp.resolve("missing")));
        editConfig(missing, o -> o.remove("hidden_size"));
        assertNames(missing, "config.json", "hidden_size", "missing");

        Path rope = copy("tiny-llama", Files.createDirectory(tmp.resolve("rope")));
        editConfig(rope, o -> o.getAsJsonObject("rope_parameters").addProperty("rope_type", "yarn"));
        assertNames(rope, "config.json", "rope_parameters.rope_type", "yarn");

        Path shape = copy("tiny-llama", Files.createDirectory(tmp.resolve("shape")));
        editConfig(shape, o -> o.addProperty("intermediate_size", 512));
        assertNames(shape, "model.safetensors", "model.layers.0.mlp.gate_proj.weight", "shape");

        Path layers = copy("tiny-llama", Files.createDirectory(tmp.resolve("layers")));
        editConfig(layers, o -> o.addProperty("num_hidden_layers", 3));
        assertNames(layers, "model.layers.2.input_layernorm.weight", "missing");

        Path untied = copy("tiny-qwen2", Files.createDirectory(tmp.resolve("untied")));
        editConfig(untied, o -> o.addProperty("tie_word_embeddings", false));
        assertNames(untied, "config.json", "tie_word_embeddings", "lm_head.weight");

        Path noWeights = copy("tiny-llama", Files.createDirectory(tmp.resolve("noweights")));
        Files.delete(noWeights.resolve(HfCheckpoint.SINGLE));
        assertNames(noWeights, "model.safetensors", "model.safetensors.index.json");

        Path shard = copy("tiny-llama-sharded", Files.createDirectory(tmp.resolve("shard")));
        Files.delete(shard.resolve("model-00003-of-00011.safetensors"));
        assertNames(shard, "model.safetensors.index.json", "model-00003-of-00011.safetensors", "weight_map.");

        Path moved = copy("tiny-llama-sharded", Files.createDirectory(tmp.resolve("moved")));
        Path idx = moved.resolve(HfCheckpoint.INDEX);
        Files.writeString(idx, Files.readString(idx).replace(
                "\"model.norm.weight\": \"model-00011-of-00011.safetensors\"",
                "\"model.norm.weight\": \"model-00001-of-00011.safetensors\""));
        assertNames(moved, "model-00001-of-00011.safetensors", "model.norm.weight");

        Path truncated = copy("tiny-llama", Files.createDirectory(tmp.resolve("truncated")));
        byte[] b = Files.readAllBytes(truncated.resolve(HfCheckpoint.SINGLE));
        Files.write(truncated.resolve(HfCheckpoint.SINGLE), java.util.Arrays.copyOf(b, b.length - 1000));
        assertNames(truncated, "model.safetensors", "data_offsets");

        Path noConfig = copy("tiny-llama", Files.createDirectory(tmp.resolve("noconfig")));
        Files.delete(noConfig.resolve("config.json"));
        assertNames(noConfig, "optBlock");
    }
}
