/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.engine.BiNDManager;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Options: validation, precedence, lazy process-wide defaults, misspelt keys, layering. */
class EngineOptionsTest {

    private static final String SPLIT_PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.FIXED_SPLIT_SIZE;

    @AfterEach
    void clearProperties() {
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(EngineOptions.PROPERTY_PREFIX)) {
                System.clearProperty(name);
            }
        }
    }

    private static String message(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void gpuCacheLimitIsParsedAndCheckedByName() {
        String key = EngineOptions.PROPERTY_PREFIX + EngineOptions.GPU_CACHE_LIMIT_MB;
        assertEquals(EngineOptions.DEFAULT_GPU_CACHE_LIMIT_MB << 20, EngineOptions.gpuCacheLimitBytes());
        try {
            System.setProperty(key, "256");
            assertEquals(256L << 20, EngineOptions.gpuCacheLimitBytes());
            EngineOptions.checkSystemProperties();
            for (String bad : new String[] {"abc", "-1", "9999999999999"}) {
                System.setProperty(key, bad);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        EngineOptions::checkSystemProperties);
                assertTrue(e.getMessage().contains(key + "=" + bad), e.getMessage());
            }
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void cudaSm90IsABooleanReadAtUse() {
        booleanReadAtUse(EngineOptions.CUDA_SM90, EngineOptions::cudaSm90);
    }

    @Test
    void cudaGemmSplitsIsABooleanReadAtUse() {
        booleanReadAtUse(EngineOptions.CUDA_GEMM_SPLITS, EngineOptions::cudaGemmSplits);
    }

    @Test
    void fusedDecodeIsABooleanReadAtUse() {
        booleanReadAtUse(EngineOptions.FUSED_DECODE, EngineOptions::fusedDecode);
    }

    @Test
    void dependentLaunchIsABooleanReadAtUse() {
        booleanReadAtUse(EngineOptions.CUDA_DEPENDENT_LAUNCH, EngineOptions::cudaDependentLaunch);
    }

    @Test
    void attentionCopyEngineIsABooleanReadAtUse() {
        booleanReadAtUse(EngineOptions.CUDA_ATTENTION_TMA, EngineOptions::cudaAttentionTma);
    }

    /** A boolean system property, true by default, read at each call, a bad value named. */
    private static void booleanReadAtUse(String name, java.util.function.BooleanSupplier read) {
        String key = EngineOptions.PROPERTY_PREFIX + name;
        assertTrue(read.getAsBoolean());
        try {
            System.setProperty(key, "false");
            assertFalse(read.getAsBoolean());
            System.setProperty(key, " TRUE ");
            assertTrue(read.getAsBoolean());
            System.setProperty(key, "sm80");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, read::getAsBoolean);
            assertTrue(e.getMessage().contains(key + "=sm80"), e.getMessage());
            assertTrue(e.getMessage().contains("true or false"), e.getMessage());
        } finally {
            System.clearProperty(key);
        }
        assertTrue(read.getAsBoolean());
    }

    @Test
    void defaults() {
        EngineOptions o = EngineOptions.parse(Map.of());
        assertEquals(1024, o.getFixedSplitSize());
        assertFalse(o.isSplitKvDisabled());
        assertEquals(16, o.getPageSize());
        assertEquals(DataType.FLOAT32, o.getDataType());
        assertEquals("fixed_split_size=1024, disable_split_kv=false, page_size=16, dtype=float32", o.toString());
    }

    @Test
    void validValuesAndAliases() {
        EngineOptions o = EngineOptions.parse(Map.of("fixed_split_size", " 256 ", "disable_split_kv", "TRUE",
                "page_size", "8", "dtype", "bf16"));
        assertEquals(256, o.getFixedSplitSize());
        assertTrue(o.isSplitKvDisabled());
        assertEquals(8, o.getPageSize());
        assertEquals(DataType.BFLOAT16, o.getDataType());
        assertEquals(DataType.FLOAT16, EngineOptions.parse(Map.of("dtype", "fp16")).getDataType());
        assertEquals(DataType.FLOAT32, EngineOptions.parse(Map.of("dtype", "Float32")).getDataType());
        assertEquals(512, EngineOptions.parse(Map.of("fixed_split_size", 512)).getFixedSplitSize());
    }

    @Test
    void badValuesNameKeyValueAndAllowed() {
        String[][] bad = {
            {"fixed_split_size", "100", "a positive multiple of the KV tile (64) in tokens"},
            {"fixed_split_size", "x", "a positive multiple of the KV tile (64) in tokens"},
            {"fixed_split_size", "-64", "a positive multiple"},
            {"fixed_split_size", "0", "a positive multiple"},
            {"disable_split_kv", "yes", "true or false"},
            {"page_size", "0", "1 to 1024"},
            {"page_size", "2048", "1 to 1024"},
            {"page_size", "1.5", "1 to 1024"},
            {"dtype", "int8", "float32, float16 or bfloat16"},
        };
        for (String[] b : bad) {
            String m = message(() -> EngineOptions.parse(Map.of(b[0], b[1])));
            assertMentions(m, "option " + b[0] + "=" + b[1], b[2]);
        }
    }

    @Test
    void systemPropertyIsTheProcessDefaultAndPerModelWins() {
        System.setProperty(SPLIT_PROPERTY, "128");
        assertEquals(128, EngineOptions.fromSystemProperties().getFixedSplitSize());
        assertEquals(128, EngineOptions.parse(Map.of()).getFixedSplitSize());
        assertEquals(512, EngineOptions.parse(Map.of("fixed_split_size", "512")).getFixedSplitSize());
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "dtype", "fp16");
        assertEquals(DataType.FLOAT16, EngineOptions.fromSystemProperties().getDataType());
    }

    @Test
    void processDefaultsAreReadAtUseNotOnce() {
        EngineOptions process = EngineOptions.fromSystemProperties();
        assertEquals(1024, process.getFixedSplitSize());
        System.setProperty(SPLIT_PROPERTY, "192");
        assertEquals(192, process.getFixedSplitSize());
        System.clearProperty(SPLIT_PROPERTY);
        assertEquals(1024, process.getFixedSplitSize());
    }

    @Test
    void badSystemPropertyFailsAtUseAndRecovers() {
        System.setProperty(SPLIT_PROPERTY, "abc");
        EngineOptions process = EngineOptions.fromSystemProperties(); // reads nothing: never fails
        String m = message(process::getFixedSplitSize);
        assertMentions(m, "system property ai.djl.batchinvariant.fixed_split_size=abc",
                "a positive multiple of the KV tile (64) in tokens");
        assertMentions(message(() -> EngineOptions.parse(Map.of())), "fixed_split_size=abc");
        assertTrue(process.toString().contains("fixed_split_size=abc"), process.toString());
        // a per-model value overrides the bad process default
        assertEquals(256, EngineOptions.parse(Map.of("fixed_split_size", "256")).getFixedSplitSize());
        // the engine stays usable: managers, arrays, and their options once the property is fixed
        try (NDManager manager = Engine.getEngine("BatchInvariant").newBaseManager()) {
            assertEquals(3f, manager.create(new float[] {1, 2}).add(1).toFloatArray()[1]);
            EngineOptions o = ((BiNDManager) manager).getOptions();
            assertMentions(message(o::getFixedSplitSize), "fixed_split_size=abc");
            System.setProperty(SPLIT_PROPERTY, "320");
            assertEquals(320, o.getFixedSplitSize());
        }
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "page_size", "zero");
        assertMentions(message(process::getPageSize), "ai.djl.batchinvariant.page_size=zero", "1 to 1024");
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "disable_cuda", "maybe");
        assertMentions(message(process::getPageSize), "ai.djl.batchinvariant.disable_cuda=maybe", "true or false");
    }

    @Test
    void badSystemPropertyAtJvmStartLeavesTheEngineAlive() throws Exception {
        Jvm.Result r = Jvm.run(BadSystemPropertyMain.class, "-D" + SPLIT_PROPERTY + "=abc");
        assertEquals(0, r.exitCode, r.output);
        assertFalse(r.output.contains("ExceptionInInitializerError"), r.output);
        assertMentions(r.output, "engine: BatchInvariant", "array: 3.0",
                "attention failed: system property ai.djl.batchinvariant.fixed_split_size=abc is invalid",
                "options failed: system property ai.djl.batchinvariant.fixed_split_size=abc",
                "after the fix: attention output (1, 3, 64), fixed_split_size=256");
    }

    @Test
    void misspeltPerModelKeyNamesTheClosestValidKey() {
        assertMentions(message(() -> EngineOptions.parse(Map.of("fixed_split_sise", "512"))),
                "unknown option fixed_split_sise=512", "did you mean fixed_split_size?");
        assertMentions(message(() -> EngineOptions.parse(Map.of("pagesize", "8"))), "did you mean page_size?");
        assertMentions(message(() -> EngineOptions.parse(Map.of("FIXED_SPLIT_SIZE", "512"))),
                "did you mean fixed_split_size?");
        assertMentions(message(() -> EngineOptions.parse(Map.of("disable_split_k", "true"))),
                "did you mean disable_split_kv?");
        assertMentions(message(() -> EngineOptions.parse(Map.of("dtpe", "fp16"))), "did you mean dtype?");
        // keys of DJL or the translator pass
        EngineOptions.parse(Map.of("mapLocation", "true", "translatorFactory", "x", "batchifier", "stack",
                "interOpNumThreads", "1", "extraFiles", "a"));
    }

    @Test
    void unknownSystemPropertyInOurNamespaceNamesTheClosestValidKey() {
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "fixed_split_sise", "512");
        String m = message(() -> EngineOptions.fromSystemProperties().getPageSize());
        assertMentions(m, "unknown system property ai.djl.batchinvariant.fixed_split_sise=512",
                "did you mean ai.djl.batchinvariant.fixed_split_size?");
        assertMentions(message(() -> EngineOptions.parse(Map.of())), "fixed_split_sise");
        System.clearProperty(EngineOptions.PROPERTY_PREFIX + "fixed_split_sise");
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "disable_cud", "true");
        assertMentions(message(EngineOptions::checkSystemProperties), "did you mean ai.djl.batchinvariant.disable_cuda?");
        System.clearProperty(EngineOptions.PROPERTY_PREFIX + "disable_cud");
        // the switches the CUDA backend reads are known keys
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "disable_cuda", "false");
        System.setProperty(EngineOptions.PROPERTY_PREFIX + "cuda.poison", "false");
        assertEquals(1024, EngineOptions.fromSystemProperties().getFixedSplitSize());
    }

    @Test
    void editDistance() {
        assertEquals(0, EngineOptions.editDistance("dtype", "dtype"));
        assertEquals(1, EngineOptions.editDistance("fixed_split_sise", "fixed_split_size"));
        assertEquals(2, EngineOptions.editDistance("pgae_size", "page_size"));
        assertEquals(5, EngineOptions.editDistance("", "dtype"));
        assertSame(null, EngineOptions.nearMiss("type_of_model"));
        assertEquals("page_size", EngineOptions.closest("pagesize", EngineOptions.KEYS));
    }

    @Test
    void kvTileIsTheAttentionTile() {
        assertEquals(SplitPolicy.KV_TILE, EngineOptions.KV_TILE);
        assertEquals(SplitPolicy.fixed(EngineOptions.DEFAULT_SPLIT_SIZE).toString(), "FIXED(1024)");
    }

    @Test
    void configIsTheBottomLayer() throws IOException {
        Path dir = Paths.get("src/main/java/ai/djl/batchinvariant/config");
        assertTrue(Files.isDirectory(dir), dir.toAbsolutePath().toString());
        List<String> offending;
        try (Stream<Path> files = Files.list(dir)) {
            offending = files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream().map(l -> f.getFileName() + ": " + l);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).filter(l -> l.matches(".*import (static )?ai\\.djl\\.batchinvariant\\.(engine|attention|backend|nn)\\b.*"))
                    .collect(Collectors.toList());
        }
        assertTrue(offending.isEmpty(), "config must not depend on the layers above it: " + offending);
    }
}
