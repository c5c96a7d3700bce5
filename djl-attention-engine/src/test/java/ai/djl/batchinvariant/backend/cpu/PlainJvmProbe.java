/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Started by {@link GemmBitsTest} in a JVM without the Vector API module: prints which kernel the
 * engine chose and a digest of the products of {@link GemmBitsTest#probeDigest()}.
 */
public final class PlainJvmProbe {

    private PlainJvmProbe() {}

    /**
     * Prints {@code vectorised=...} and {@code digest=...}.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        System.out.println("vectorised=" + PackedGemm.vectorised());
        System.out.println("digest=" + GemmBitsTest.probeDigest());
    }
}
