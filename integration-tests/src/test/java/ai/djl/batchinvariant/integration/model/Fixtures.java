/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import ai.djl.batchinvariant.integration.RepoFiles;
import ai.djl.batchinvariant.model.CausalLmBlock;
import ai.djl.batchinvariant.model.LlamaModel;
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
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(dir)
                .build()
                .loadModel();
    }

    /**
     * Loads a fixture onto a device with a KV-cache type ({@code dtype} option; on a GPU float16
     * or bfloat16).
     */
    static ZooModel<NDList, NDList> load(Path dir, ai.djl.Device device, String dtype) throws Exception {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(dir)
                .optDevice(device)
                .optOption("dtype", dtype)
                .build()
                .loadModel();
    }

    /** As {@link #load(Path, ai.djl.Device, String)}, with the {@code compute_dtype} option. */
    static ZooModel<NDList, NDList> load(Path dir, ai.djl.Device device, String dtype, String compute)
            throws Exception {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(dir)
                .optDevice(device)
                .optOption("dtype", dtype)
                .optOption("compute_dtype", compute)
                .build()
                .loadModel();
    }

    static LlamaModel model(ZooModel<NDList, NDList> zoo) {
        return ((CausalLmBlock) zoo.getBlock()).getModel();
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
