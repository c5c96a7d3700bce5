/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.config.Jvm;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

/** What a JVM that starts the engine logs: one INFO line, no stack trace unless DEBUG. */
class EngineStartLogTest {

    private static List<String> ours(String output, String level) {
        return output.lines().filter(l -> l.contains(" " + level + " ai.djl.batchinvariant.")).collect(Collectors.toList());
    }

    @Test
    void exactlyOneInfoLineAndNoTrace() throws Exception {
        Jvm.Result r = Jvm.run(StartLogMain.class, "-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        assertEquals(0, r.exitCode, r.output);
        List<String> info = ours(r.output, "INFO");
        assertEquals(1, info.size(), r.output);
        String line = info.get(0);
        assertTrue(line.matches(".*BatchInvariant \\d+\\.\\d+\\.\\d+\\S*: backends CPU.*; devices cpu\\(\\).*; kernels .*"),
                line);
        assertFalse(r.output.lines().anyMatch(l -> l.startsWith("\tat ") || l.contains("Exception")
                || l.contains("Error")), r.output);
        if (r.output.contains("gpus=0")) {
            assertTrue(line.contains("; no GPU: "), line);
        } else {
            assertTrue(line.contains("backends CPU, CUDA") && line.contains("gpu(0)"), line);
        }
    }

    @Test
    void theReasonIsOneLineAndTheCauseIsAtDebug() throws Exception {
        Jvm.Result r = Jvm.run(StartLogMain.class,
                "-Dorg.slf4j.simpleLogger.log.ai.djl.batchinvariant.backend.cuda.CudaRuntime=debug");
        assertEquals(0, r.exitCode, r.output);
        String line = ours(r.output, "INFO").get(0);
        if (line.contains("no GPU: the CUDA driver could not be loaded")) {
            List<String> debug = ours(r.output, "DEBUG");
            assertEquals(1, debug.size(), r.output);
            assertTrue(r.output.lines().anyMatch(l -> l.startsWith("\tat ")), "the cause's stack trace at DEBUG");
        }
    }

    @Test
    void disabledCudaIsTheReason() throws Exception {
        Jvm.Result r = Jvm.run(StartLogMain.class, "-Dai.djl.batchinvariant.disable_cuda=true");
        assertEquals(0, r.exitCode, r.output);
        List<String> info = ours(r.output, "INFO");
        assertEquals(1, info.size(), r.output);
        assertTrue(info.get(0).contains("; no GPU: ") && r.output.contains("gpus=0"), r.output);
        if (!info.get(0).contains("kernels none")) {
            assertTrue(info.get(0).endsWith("no GPU: disabled by -Dai.djl.batchinvariant.disable_cuda=true"), info.get(0));
        }
    }
}
