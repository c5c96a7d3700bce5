/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Java mirror of every kernel params struct against the layout the device compiler printed
 * at build time ({@code kernels/abi/abi_dump.cu}): same fields, order, offsets, sizes.
 */
class AbiTest {

    /** Struct name to its dump lines: fields in order ("name offset size") and its sizeof. */
    private static Map<String, List<String>> dump() throws IOException {
        InputStream in = AbiTest.class.getResourceAsStream("/ai/djl/batchinvariant/kernels/abi.txt");
        Assumptions.assumeTrue(in != null, "this build carries no kernels (nvcc absent at build time)");
        Map<String, List<String>> out = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] p = line.trim().split(" ");
                String struct = p[0].contains(".") ? p[0].substring(0, p[0].indexOf('.')) : p[0];
                String entry = p[0].contains(".") ? p[0].substring(p[0].indexOf('.') + 1) + " " + p[1] + " " + p[2]
                        : "sizeof " + p[1];
                out.computeIfAbsent(struct, k -> new ArrayList<>()).add(entry);
            }
        }
        return out;
    }

    private static List<String> mirror(ParamsLayout l) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.getFields().size(); i++) {
            out.add(l.getFields().get(i) + " " + l.offset(i) + " " + l.kind(i).size());
        }
        out.add("sizeof " + l.size());
        return out;
    }

    @Test
    void everyJavaMirrorMatchesTheCompilersLayout() throws IOException {
        Map<String, List<String>> dump = dump();
        assertEquals(Abi.ALL.length, dump.size(), "structs in the dump: " + dump.keySet());
        for (ParamsLayout l : Abi.ALL) {
            List<String> want = dump.get(l.getName());
            assertNotNull(want, l.getName() + " is not in the dump");
            assertEquals(want, mirror(l), l.getName());
        }
    }

    @Test
    void aReorderedMirrorIsCaught() throws IOException {
        Map<String, List<String>> dump = dump();
        ParamsLayout swapped = new ParamsLayout("NormParams", new String[] {"x", "gamma", "beta", "y", "rows", "rms", "n",
            "eps"}, new ParamsLayout.Kind[] {ParamsLayout.Kind.PTR, ParamsLayout.Kind.PTR, ParamsLayout.Kind.PTR,
                ParamsLayout.Kind.PTR, ParamsLayout.Kind.I64, ParamsLayout.Kind.I32, ParamsLayout.Kind.I32,
                ParamsLayout.Kind.F32});
        assertTrue(!dump.get("NormParams").equals(mirror(swapped)));
        ParamsLayout narrow = new ParamsLayout("ReduceParams", new String[] {"in", "out", "outer", "n", "inner", "kind"},
                new ParamsLayout.Kind[] {ParamsLayout.Kind.PTR, ParamsLayout.Kind.PTR, ParamsLayout.Kind.I64,
                    ParamsLayout.Kind.I32, ParamsLayout.Kind.I64, ParamsLayout.Kind.I32});
        assertTrue(!dump.get("ReduceParams").equals(mirror(narrow)));
    }

    @Test
    void fieldsAreWrittenAtTheirOffsetsAndTypesAreChecked() {
        Params p = Abi.ATTN.newParams();
        assertThrows(IllegalArgumentException.class, () -> p.f32(Abi.Attn.PAGED, 1f));
        assertThrows(IllegalArgumentException.class, () -> p.i32(Abi.Attn.Q, 1));
    }
}
