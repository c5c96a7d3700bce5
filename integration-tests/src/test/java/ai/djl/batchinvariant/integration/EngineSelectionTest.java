/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine selection with DJL's PyTorch engine on the classpath too: by name, by {@code
 * -Dai.djl.default_engine} and by {@code DJL_DEFAULT_ENGINE} (read once per JVM, hence child
 * JVMs); without either, DJL picks the engine of lowest rank, PyTorch (2) before ours (10).
 */
class EngineSelectionTest {

    private static String probe(String env, String... jvmArgs) throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-Dai.djl.offline=true");
        for (String a : jvmArgs) {
            cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(EngineProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("DJL_DEFAULT_ENGINE");
        if (env != null) {
            pb.environment().put("DJL_DEFAULT_ENGINE", env);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        for (String line : out.split("\n")) {
            if (line.startsWith("ENGINE=")) {
                return line.substring(7).trim();
            }
        }
        throw new AssertionError("no engine printed: " + out);
    }

    @Test
    void byName() {
        assertEquals("BatchInvariant", Engine.getEngine("BatchInvariant").getEngineName());
        assertTrue(Engine.getAllEngines().contains("BatchInvariant"));
    }

    @Test
    void bySystemProperty() throws Exception {
        assertEquals("BatchInvariant", probe(null, "-Dai.djl.default_engine=BatchInvariant"));
    }

    @Test
    void byEnvironmentVariable() throws Exception {
        assertEquals("BatchInvariant", probe("BatchInvariant"));
    }

    @Test
    void lowestRankWinsWithoutEither() throws Exception {
        assertEquals("PyTorch", probe(null));
    }
}
