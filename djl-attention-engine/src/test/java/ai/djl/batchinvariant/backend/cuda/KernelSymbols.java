/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Assumptions;

/**
 * Reads the kernel modules the build put on the class path, to check without a GPU that a symbol
 * the launcher names is there (a fatbin carries its entry points' names in plain text).
 */
final class KernelSymbols {

    private KernelSymbols() {}

    /** A module's fatbin; skips the test when the build had no nvcc. */
    static byte[] fatbin(String module) throws IOException {
        InputStream in = KernelSymbols.class.getResourceAsStream("/ai/djl/batchinvariant/kernels/" + module + ".fatbin");
        Assumptions.assumeTrue(in != null, "this build carries no kernels (nvcc absent at build time)");
        try (InputStream s = in) {
            return s.readAllBytes();
        }
    }

    /** Fails unless the fatbin holds the symbol as a whole, NUL-terminated name. */
    static void assertHas(byte[] fatbin, String symbol) {
        byte[] want = (symbol + "\0").getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 1; i + want.length <= fatbin.length; i++) {
            for (int j = 0; j < want.length; j++) {
                if (fatbin[i + j] != want[j]) {
                    continue outer;
                }
            }
            // a whole name: not the tail of a longer one
            byte before = fatbin[i - 1];
            if (!Character.isLetterOrDigit(before) && before != '_') {
                return;
            }
        }
        throw new AssertionError(symbol + " is not in the kernel module");
    }
}
