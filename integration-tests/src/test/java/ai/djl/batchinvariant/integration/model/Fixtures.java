/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.batchinvariant.integration.RepoFiles;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The HF fixtures under test resources and transformers' expected outputs for them. */
final class Fixtures {

    static final String[] ALL = {"tiny-llama", "tiny-llama-sharded", "tiny-qwen2"};

    final int[] prompt;
    final float[][] logits;
    final int[] greedy;

    private Fixtures(JsonObject o) {
        prompt = ints(o.getAsJsonArray("prompt"));
        greedy = ints(o.getAsJsonArray("greedy"));
        JsonArray rows = o.getAsJsonArray("logits");
        logits = new float[rows.size()][];
        for (int i = 0; i < logits.length; i++) {
            JsonArray r = rows.get(i).getAsJsonArray();
            logits[i] = new float[r.size()];
            for (int j = 0; j < r.size(); j++) {
                logits[i][j] = r.get(j).getAsFloat();
            }
        }
    }

    static Path dir(String name) {
        return RepoFiles.root().resolve("integration-tests/src/test/resources/models").resolve(name);
    }

    static Fixtures expected(String name) throws IOException {
        String s = new String(Files.readAllBytes(dir(name).resolve("expected.json")), StandardCharsets.UTF_8);
        return new Fixtures(JsonParser.parseString(s).getAsJsonObject());
    }

    static ZooModel<NDList, NDList> load(Path dir) throws Exception {
        return loadWith(dir, null);
    }

    /**
     * Loads a fixture onto a device with a KV-cache type ({@code dtype} option; on a GPU float16
     * or bfloat16).
     */
    static ZooModel<NDList, NDList> load(Path dir, Device device, String dtype) throws Exception {
        return loadWith(dir, device, "dtype", dtype);
    }

    /** As {@link #load(Path, Device, String)}, with the {@code compute_dtype} option. */
    static ZooModel<NDList, NDList> load(Path dir, Device device, String dtype, String compute) throws Exception {
        return loadWith(dir, device, "dtype", dtype, "compute_dtype", compute);
    }

    /**
     * Loads a model directory with this engine, on a device (null: the default one) and with
     * Criteria options given as name, value pairs.
     */
    static ZooModel<NDList, NDList> loadWith(Path dir, Device device, String... options) throws Exception {
        Criteria.Builder<NDList, NDList> b = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(dir);
        if (device != null) {
            b.optDevice(device);
        }
        for (int i = 0; i < options.length; i += 2) {
            b.optOption(options[i], options[i + 1]);
        }
        return b.build().loadModel();
    }

    static LlamaModel model(ZooModel<NDList, NDList> zoo) {
        return ((CausalLmBlock) zoo.getBlock()).getModel();
    }

    /**
     * Runs the prompt through chunked prefill, keeping its logits, then the greedy continuation
     * of transformers' length.
     *
     * @return the finished request
     */
    Generator.Request generateGreedy(LlamaModel model, KvCacheManager cache) {
        Generator g = new Generator(model, cache, 3, 4);
        Generator.Request r = g.submit(prompt, SamplingConfig.greedy(greedy.length), true, null);
        g.runToCompletion();
        return r;
    }

    /**
     * The largest {@link #relErr} of a request's prompt logits against transformers', after
     * checking there is one row per prompt token.
     *
     * @return the relative error
     */
    double promptLogitsError(Generator.Request r) {
        List<float[]> pl = r.getPromptLogits();
        assertEquals(prompt.length, pl.size());
        double worst = 0;
        for (int i = 0; i < pl.size(); i++) {
            worst = Math.max(worst, relErr(pl.get(i), logits[i]));
        }
        return worst;
    }

    /** The raw bits of each value, for comparing results bit for bit. */
    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    private static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsInt();
        }
        return r;
    }

    /**
     * The largest |ours - ref| over a row, relative to the row's largest |ref|.
     *
     * @return the relative error
     */
    static double relErr(float[] ours, float[] ref) {
        double max = 0;
        double err = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(ref[i]));
            err = Math.max(err, Math.abs((double) ours[i] - ref[i]));
        }
        return err / max;
    }
}
