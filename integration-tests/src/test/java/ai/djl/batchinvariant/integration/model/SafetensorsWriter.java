/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Re-encodes an F32 safetensors file as F16 or BF16 with rounding written here (independent of
 * the engine's conversions), or as F32 holding the rounded values.
 */
final class SafetensorsWriter {

    private SafetensorsWriter() {}

    static void reencode(Path src, Path dst, String dtype, boolean keepF32) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(src)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) in.getLong(0);
        JsonObject header = JsonParser.parseString(
                new String(in.array(), 8, n, StandardCharsets.UTF_8)).getAsJsonObject();
        JsonObject out = new JsonObject();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                out.add(e.getKey(), e.getValue());
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            JsonArray off = t.getAsJsonArray("data_offsets");
            long begin = off.get(0).getAsLong();
            long end = off.get(1).getAsLong();
            int count = (int) ((end - begin) / 4);
            int start = data.size();
            ByteBuffer b = ByteBuffer.allocate(count * (keepF32 ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                float f = in.getFloat((int) (8 + n + begin + 4L * i));
                if (dtype.equals("BF16")) {
                    int bits = Float.floatToRawIntBits(f);
                    int r = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16; // round to nearest even
                    if (keepF32) {
                        b.putFloat(Float.intBitsToFloat(r << 16));
                    } else {
                        b.putShort((short) r);
                    }
                } else {
                    short h = toHalf(f);
                    if (keepF32) {
                        b.putFloat(fromHalf(h));
                    } else {
                        b.putShort(h);
                    }
                }
            }
            data.write(b.array());
            JsonObject nt = new JsonObject();
            nt.addProperty("dtype", keepF32 ? "F32" : dtype);
            nt.add("shape", t.get("shape"));
            JsonArray no = new JsonArray();
            no.add(start);
            no.add(data.size());
            nt.add("data_offsets", no);
            out.add(e.getKey(), nt);
        }
        byte[] h = out.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(head.array());
        all.write(h);
        all.write(data.toByteArray());
        Files.write(dst, all.toByteArray());
    }

    /** float to IEEE half, round to nearest even (subnormals included). */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int e8 = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (e8 == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        int exp = e8 - 127 + 15;
        if (exp >= 31) {
            return (short) (sign | 0x7C00);
        }
        int shift;
        int base;
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            shift = 14 - exp;
            base = 0;
        } else {
            shift = 13;
            base = exp << 10;
        }
        int h = base | (mant >> shift);
        int rem = mant & ((1 << shift) - 1);
        int mid = 1 << (shift - 1);
        if (rem > mid || rem == mid && (h & 1) == 1) {
            h++; // a carry into the exponent is the correct rounding
        }
        return (short) (sign | h);
    }

    /** IEEE half to float, exactly. */
    static float fromHalf(short h) {
        int sign = (h & 0x8000) != 0 ? -1 : 1;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return mant != 0 ? Float.NaN : sign * Float.POSITIVE_INFINITY;
        }
        double v = exp == 0 ? Math.scalb((double) mant, -24) : Math.scalb((double) (1024 + mant), exp - 25);
        return (float) (sign * v);
    }
}
