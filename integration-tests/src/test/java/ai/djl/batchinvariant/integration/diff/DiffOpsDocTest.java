/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fails when {@code docs/ops.md} differs from what {@link DiffOpsDoc} generates now. */
class DiffOpsDocTest {

    @Test
    void opsTableIsCurrent() throws IOException {
        String generated = DiffOpsDoc.generate();
        Path file = DiffOpsDoc.locate();
        if (Boolean.getBoolean("ops.write")) {
            Files.writeString(file, generated, StandardCharsets.UTF_8);
            System.out.println("[ops] wrote " + file);
            return;
        }
        String current = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        assertEquals(current, generated, DiffOpsDoc.PATH + " is out of date (an operation, a differential case or"
                + " known-divergences.txt changed); regenerate it with: " + DiffOpsDoc.REGENERATE);
    }
}
