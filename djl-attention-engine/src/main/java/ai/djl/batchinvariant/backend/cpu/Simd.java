/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.config.EngineOptions;

/**
 * Whether the CPU kernels use the incubating Vector API ({@code jdk.incubator.vector}). The
 * module is optional: a JVM started without {@code --add-modules jdk.incubator.vector} runs the
 * plain loops, and both paths give the same bits because a vector lane only ever holds an output
 * of its own (a key position, a feature, an element), never a piece of someone else's sum.
 * {@code -Dai.djl.batchinvariant.cpu_vector=false} forces the plain loops.
 */
final class Simd {

    /** The system property that turns the vector path off when set to {@code false}. */
    static final String PROPERTY = EngineOptions.PROPERTY_PREFIX + EngineOptions.CPU_VECTOR;

    /** True when the vector kernels are loaded and checked. */
    static final boolean ENABLED = detect();

    /**
     * True when the double-lane kernels run too: the module is there and the machine's vectors
     * hold four doubles or more ({@link DoubleLaneKernels#WIDE}; read only when enabled, the class
     * needing the module).
     */
    static final boolean DOUBLE_LANES = ENABLED && DoubleLaneKernels.WIDE;

    private Simd() {}

    private static boolean detect() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            // the class links against the module only now, and only when the module is present
            return VectorKernels.selfCheck();
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }
}
