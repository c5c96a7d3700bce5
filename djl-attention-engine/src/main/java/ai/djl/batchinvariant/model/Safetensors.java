/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.tensor.Half;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: the JSON header is parsed here and each tensor is read through
 * its own memory mapping, so a multi-GB shard is never copied whole into the heap (DJL's own
 * decoder reads the file into one array). Tensors come back as float32, converted from F32, F16
 * or BF16.
 */
public final class Safetensors {

    /** One tensor's entry in the header. */
    public static final class Entry {
        final String dtype;
        final long[] shape;
        final long begin;
        final long end;

        Entry(String dtype, long[] shape, long begin, long end) {
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }

        /**
         * Returns the shape.
         *
         * @return the dimensions
         */
        public long[] getShape() {
            return shape.clone();
        }

        /**
         * Returns the stored type.
         *
         * @return F32, F16 or BF16 (others are refused on read)
         */
        public String getDtype() {
            return dtype;
        }
    }

    private static final long MAX_HEADER = 100L << 20;

    private final Path file;
    private final long dataStart;
    private final Map<String, Entry> entries;

    private Safetensors(Path file, long dataStart, Map<String, Entry> entries) {
        this.file = file;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    /**
     * Opens a file and parses its header; no tensor data is read.
     *
     * @param file the file
     * @return the parsed header
     * @throws IOException if the file cannot be read
     * @throws ModelFormatException naming the file (and key) when the header is malformed
     */
    public static Safetensors open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file + ": " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER || 8 + n > size) {
                throw new ModelFormatException(file + ": header length " + n + " is invalid for a file of "
                        + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            JsonElement root;
            try {
                root = JsonParser.parseString(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new ModelFormatException(file + ": header is not valid JSON (" + e.getMessage() + ")", e);
            }
            if (!root.isJsonObject()) {
                throw new ModelFormatException(file + ": header is not a JSON object");
            }
            long dataSize = size - 8 - n;
            Map<String, Entry> map = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
                if ("__metadata__".equals(e.getKey())) {
                    continue;
                }
                map.put(e.getKey(), entry(file, e.getKey(), e.getValue(), dataSize));
            }
            return new Safetensors(file, 8 + n, Collections.unmodifiableMap(map));
        }
    }

    private static Entry entry(Path file, String key, JsonElement v, long dataSize) {
        try {
            JsonObject o = v.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            JsonArray s = o.getAsJsonArray("shape");
            long[] shape = new long[s.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.get(i).getAsLong();
                if (shape[i] < 0) {
                    throw new IllegalArgumentException("negative dimension");
                }
                count *= shape[i];
            }
            JsonArray off = o.getAsJsonArray("data_offsets");
            long begin = off.get(0).getAsLong();
            long end = off.get(1).getAsLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw new IllegalArgumentException("data_offsets [" + begin + ", " + end + "] outside the "
                        + dataSize + " data bytes");
            }
            int width = width(dtype);
            if (width > 0 && (end - begin) != count * width) {
                throw new IllegalArgumentException("data_offsets span " + (end - begin) + " bytes but " + dtype
                        + " shape " + s + " needs " + count * width);
            }
            return new Entry(dtype, shape, begin, end);
        } catch (RuntimeException e) {
            throw new ModelFormatException(file + ": key " + key + " has a malformed header entry ("
                    + e.getMessage() + ")", e);
        }
    }

    private static int width(String dtype) {
        switch (dtype) {
            case "F64":
            case "I64":
                return 8;
            case "F32":
            case "I32":
                return 4;
            case "F16":
            case "BF16":
            case "I16":
                return 2;
            case "I8":
            case "U8":
            case "BOOL":
                return 1;
            default:
                return -1;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /**
     * Returns the file.
     *
     * @return the path
     */
    public Path getFile() {
        return file;
    }

    /**
     * Returns the tensors in this file by name.
     *
     * @return name to entry
     */
    public Map<String, Entry> getEntries() {
        return entries;
    }

    /**
     * Reads one tensor as float32 through a read-only mapping of its bytes.
     *
     * @param name the tensor name
     * @return the values in row-major order
     * @throws IOException if the file cannot be mapped
     * @throws ModelFormatException naming the file and key when the tensor is absent, too large or
     *     of an unsupported type
     */
    public float[] readFloats(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(file + ": key " + name + " is missing");
        }
        long bytes = e.end - e.begin;
        int w = width(e.dtype);
        if (!"F32".equals(e.dtype) && !"F16".equals(e.dtype) && !"BF16".equals(e.dtype)) {
            throw new ModelFormatException(file + ": key " + name + " has dtype " + e.dtype
                    + "; expected F32, F16 or BF16");
        }
        if (bytes / w > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(file + ": key " + name + " has " + bytes / w
                    + " elements, more than one host array holds");
        }
        int n = (int) (bytes / w);
        float[] out = new float[n];
        if (n == 0) {
            return out;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin, bytes);
            m.order(ByteOrder.LITTLE_ENDIAN);
            if (w == 4) {
                m.asFloatBuffer().get(out);
            } else if ("F16".equals(e.dtype)) {
                for (int i = 0; i < n; i++) {
                    out[i] = Half.fromFloat16(m.getShort(2 * i));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = Half.fromBFloat16(m.getShort(2 * i));
                }
            }
        }
        return out;
    }
}
