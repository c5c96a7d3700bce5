/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test classpath in a fresh JVM, for what only a JVM start shows. */
public final class Jvm {

    /** What a run printed. */
    public static final class Result {
        /** The exit status. */
        public final int exitCode;
        /** Standard output and standard error, interleaved. */
        public final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private Jvm() {}

    /**
     * Runs {@code mainClass} with the test classpath and the given JVM options.
     *
     * @param mainClass the class with the main method
     * @param jvmOptions options such as {@code -Dkey=value}
     * @return the exit status and output
     * @throws IOException if the JVM cannot start
     * @throws InterruptedException if interrupted while waiting
     */
    public static Result run(Class<?> mainClass, String... jvmOptions) throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", cp, "-Dai.djl.offline=true"));
        cmd.addAll(Arrays.asList(jvmOptions));
        cmd.add(mainClass.getName());
        Path log = Files.createTempFile("jvm-run", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(mainClass.getName() + " did not finish in 120 s:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
