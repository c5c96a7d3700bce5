/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Started by {@link VectorWidthBitsTest} in a JVM held to 256-bit vectors: prints the lanes the
 * kernels chose and the digest of {@link VectorWidthBitsTest#probeDigest()}.
 */
public final class VectorWidthProbe {

    private VectorWidthProbe() {}

    /**
     * Prints {@code lanes=...} and {@code digest=...}.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        if (!Simd.ENABLED) {
            System.out.println("no vector path");
            System.exit(2);
        }
        System.out.println("lanes=" + VectorKernels.LW);
        System.out.println("digest=" + VectorWidthBitsTest.probeDigest());
    }
}
