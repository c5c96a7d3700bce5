/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Times the CPU GEMM ({@link PackedGemm}) on packed float32 panels, optionally after 128- and
 * 256-bit float vectors have been used in the same JVM, as the attention kernels do in a model.
 * In JDK 17 that mix made C2 drop the Vector API intrinsics in loops whose accumulators it could
 * not type exactly (the Java fallback, 10 to 50 times slower); JMH forks, which run one kernel
 * family each, never show it. Not a test: run by hand with {@code --add-modules
 * jdk.incubator.vector} on the test classpath. Usage: {@code MixedVectorSizes N K ROWS
 * ITERATIONS [mixed] [bf16]}: {@code bf16} cuts the weights to bfloat16 values, which the engine
 * packs in half the bytes ({@link Bf16Panels}); prints one line per iteration (10 calls each).
 */
public final class MixedVectorSizes {

    private MixedVectorSizes() {}

    /**
     * Entry point.
     *
     * @param args N, K, rows, iterations, then {@code mixed} to use other vector sizes first and
     *     {@code bf16} for bfloat16-valued weights
     */
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int k = Integer.parseInt(args[1]);
        int m = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        List<String> flags = List.of(args).subList(4, args.length);
        boolean mixed = flags.contains("mixed");
        boolean bf16 = flags.contains("bf16");
        if (mixed) {
            // the same kinds of operations on the two smaller sizes, enough for C2 to profile them
            for (VectorSpecies<Float> sp : List.of(FloatVector.SPECIES_256, FloatVector.SPECIES_128)) {
                float[] z = new float[4096];
                for (int it = 0; it < 20_000; it++) {
                    for (int j = 0; j + sp.length() <= z.length; j += sp.length()) {
                        FloatVector v = FloatVector.fromArray(sp, z, j);
                        v.add(v.mul(v)).intoArray(z, j);
                    }
                }
            }
        }
        Random rnd = new Random(1);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.02f;
            if (bf16) {
                w[i] = Float.intBitsToFloat(Float.floatToRawIntBits(w[i]) & 0xFFFF0000);
            }
        }
        PackedGemm.Panels p = PackedGemm.packColumns(w, 0, n, k);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] c = new float[m * n];
        System.out.printf(Locale.ROOT, "vector kernel %s, %d x %d, %d rows, other vector sizes first: %s,"
                + " bfloat16 panels: %s%n", PackedGemm.vectorised(), n, k, m, mixed, p.isBf16());
        for (int it = 0; it < iterations; it++) {
            long t0 = System.nanoTime();
            for (int j = 0; j < 10; j++) {
                PackedGemm.multiply(x, 0, p, c, 0, m, null);
            }
            System.out.printf(Locale.ROOT, "iteration %d: %.3f ms a call%n", it, (System.nanoTime() - t0) / 1e7);
        }
    }
}
