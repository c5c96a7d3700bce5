/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the classes that call the driver through the incubating foreign linker, where the JVM has
 * it ({@code --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}): such a class
 * links against the module only when it is loaded, so it is loaded by name, and only when the
 * module is present. Without it the engine takes the path that needs no such call.
 */
final class ForeignLinker {

    private static final Logger logger = LoggerFactory.getLogger(ForeignLinker.class);

    private ForeignLinker() {}

    /**
     * Instantiates a foreign-linker class of this package, or logs why not (once, at DEBUG).
     *
     * @param simpleName the class's simple name (a no-argument constructor)
     * @param type what it implements
     * @param without what the engine does without it, for the log
     * @param <T> the interface
     * @return the instance, or null where the module, native access or the driver symbol is missing
     */
    static <T> T load(String simpleName, Class<T> type, String without) {
        if (ModuleLayer.boot().findModule("jdk.incubator.foreign").isEmpty()) {
            logger.debug("jdk.incubator.foreign absent: {}", without);
            return null;
        }
        try {
            return type.cast(Class.forName(ForeignLinker.class.getPackageName() + "." + simpleName)
                    .getDeclaredConstructor()
                    .newInstance());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            logger.debug("{} unavailable ({}): {}", simpleName, CudaRuntime.oneLine(cause), without);
            return null;
        }
    }
}
