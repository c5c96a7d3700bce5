/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The committed list of cases that currently diverge from PyTorch
 * ({@code src/test/resources/diff/known-divergences.txt}): one case name per line, optionally
 * followed by {@code # reason}; blank lines and lines starting with {@code #} are comments. The suite
 * asserts that every listed case still diverges, so the list can only shrink as bugs are fixed.
 * Names prefixed {@code gpu:} are divergences of the GPU variant alone ({@code DiffGpuTest}).
 */
final class DiffKnown {

    static final String RESOURCE = "/diff/known-divergences.txt";
    static final String GPU_PREFIX = "gpu:";

    private DiffKnown() {}

    /** Known divergences of the CPU suite: case name → reason. */
    static Map<String, String> cpu() {
        Map<String, String> out = new LinkedHashMap<>();
        load().forEach((k, v) -> {
            if (!k.startsWith(GPU_PREFIX)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Known divergences of the GPU variant alone: case name (prefix removed) → reason. */
    static Map<String, String> gpu() {
        Map<String, String> out = new LinkedHashMap<>();
        load().forEach((k, v) -> {
            if (k.startsWith(GPU_PREFIX)) {
                out.put(k.substring(GPU_PREFIX.length()), v);
            }
        });
        return out;
    }

    /** Every entry, as written (GPU entries keep their prefix): name → reason, in file order. */
    static Map<String, String> load() {
        Map<String, String> known = new LinkedHashMap<>();
        try (InputStream in = DiffKnown.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return known;
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                int hash = t.indexOf('#');
                String name = (hash < 0 ? t : t.substring(0, hash)).strip();
                String why = hash < 0 ? "" : t.substring(hash + 1).strip();
                if (known.put(name, why) != null) {
                    throw new IllegalStateException(RESOURCE + ":" + no + ": " + name + " is listed twice");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return known;
    }
}
