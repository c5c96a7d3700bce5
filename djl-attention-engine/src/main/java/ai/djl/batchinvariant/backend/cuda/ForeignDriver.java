/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.SymbolLookup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Symbols of the CUDA driver library this process has loaded (found in {@code /proc/self/maps}),
 * for the foreign-linker classes ({@link ForeignTensorMaps}, {@link ForeignLaunches}). Linked
 * against {@code jdk.incubator.foreign}: used only by classes loaded reflectively where the module
 * is present.
 */
final class ForeignDriver {

    private ForeignDriver() {}

    /**
     * Finds a driver function.
     *
     * @param name the symbol
     * @return its address
     * @throws IOException if the process's mappings cannot be read
     * @throws IllegalStateException if the driver is not loaded or lacks the symbol
     */
    static MemoryAddress symbol(String name) throws IOException {
        String lib = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.contains("/libcuda.so")) {
                lib = line.substring(slash).trim();
                break;
            }
        }
        if (lib == null) {
            throw new IllegalStateException("the CUDA driver library is not loaded");
        }
        System.load(lib);
        return SymbolLookup.loaderLookup()
                .lookup(name)
                .orElseThrow(() -> new IllegalStateException(name + " not found"));
    }
}
