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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a Hugging Face model directory: one {@code model.safetensors}, or the shards
 * listed by {@code model.safetensors.index.json}. Every shard the index names must exist and hold
 * the tensors the index assigns to it; reads check shapes and name the file and key on mismatch.
 */
public final class HfCheckpoint {

    /** The single-file weights name. */
    public static final String SINGLE = "model.safetensors";
    /** The sharded index name. */
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final Map<String, Safetensors> byTensor;

    private HfCheckpoint(Path dir, Map<String, Safetensors> byTensor) {
        this.dir = dir;
        this.byTensor = byTensor;
    }

    /**
     * Opens the weights of a directory (headers only).
     *
     * @param dir the model directory
     * @return the checkpoint
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException naming the file and key of the first inconsistency
     */
    public static HfCheckpoint open(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        Map<String, Safetensors> map = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            JsonObject weightMap = weightMap(index);
            Map<String, Safetensors> shards = new HashMap<>();
            for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
                String shardName = e.getValue().getAsString();
                Path shard = dir.resolve(shardName).normalize();
                if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
                    throw new ModelFormatException(index + ": key weight_map." + e.getKey() + " names shard "
                            + shardName + ", which is missing");
                }
                Safetensors st = shards.get(shardName);
                if (st == null) {
                    st = Safetensors.open(shard);
                    shards.put(shardName, st);
                }
                if (!st.getEntries().containsKey(e.getKey())) {
                    throw new ModelFormatException(shard + ": key " + e.getKey() + " is missing (" + index
                            + " places it in this shard)");
                }
                map.put(e.getKey(), st);
            }
        } else if (Files.isRegularFile(single)) {
            Safetensors st = Safetensors.open(single);
            for (String k : st.getEntries().keySet()) {
                map.put(k, st);
            }
        } else {
            throw new ModelFormatException(dir + ": neither " + SINGLE + " nor " + INDEX + " is present");
        }
        return new HfCheckpoint(dir, map);
    }

    private static JsonObject weightMap(Path index) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r);
        } catch (RuntimeException e) {
            throw new ModelFormatException(index + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        JsonElement wm = root.isJsonObject() ? root.getAsJsonObject().get("weight_map") : null;
        if (wm == null || !wm.isJsonObject()) {
            throw new ModelFormatException(index + ": key weight_map is missing or not an object");
        }
        for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
                throw new ModelFormatException(index + ": key weight_map." + e.getKey() + " is not a file name");
            }
        }
        return wm.getAsJsonObject();
    }

    /**
     * Tells whether a tensor is present.
     *
     * @param name the tensor name
     * @return true if some file holds it
     */
    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /**
     * Returns a tensor's stored type.
     *
     * @param name the tensor name
     * @return F32, F16 or BF16 as the file says, or null when no file holds the tensor
     */
    public String dtype(String name) {
        Safetensors st = byTensor.get(name);
        return st == null ? null : st.getEntries().get(name).getDtype();
    }

    /**
     * Reads a tensor as float32 and checks its shape.
     *
     * @param name the tensor name
     * @param shape the expected shape
     * @return the values
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException naming the file and key when absent or misshapen
     */
    public float[] read(String name, long... shape) throws IOException {
        Safetensors st = byTensor.get(name);
        if (st == null) {
            throw new ModelFormatException(dir + ": key " + name + " is missing from the weights ("
                    + (Files.isRegularFile(dir.resolve(INDEX)) ? INDEX : SINGLE) + ")");
        }
        long[] got = st.getEntries().get(name).getShape();
        if (!Arrays.equals(got, shape)) {
            throw new ModelFormatException(st.getFile() + ": key " + name + " has shape " + Arrays.toString(got)
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return st.readFloats(name);
    }
}
