/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the repository root from a module's working directory. */
public final class RepoFiles {

    private RepoFiles() {}

    /**
     * Returns the repository root: the nearest directory, from the working directory up, holding
     * README.md and the parent pom.
     *
     * @return the root
     */
    public static Path root() {
        Path p = Paths.get("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("djl-attention-engine"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("no repository root above " + Paths.get("").toAbsolutePath());
    }
}
