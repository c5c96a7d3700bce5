/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * What {@link TwoBuildsTiming} and {@link TwoBuildsGemmTiming} share: a build's class loaded from
 * its own classes folder, the outputs' bit differences, and sorted times.
 */
final class TwoBuilds {

    private TwoBuilds() {}

    /**
     * Loads a class of the engine from one build's classes folder, by a loader of its own whose
     * parent is the platform's (so the build's classes are not those of this tool's classpath).
     *
     * @param folder the build's classes folder
     * @param name the class's binary name
     * @return the class
     * @throws Exception if the folder or class cannot be read
     */
    static Class<?> load(String folder, String name) throws Exception {
        URLClassLoader cl = new URLClassLoader(new URL[] {Paths.get(folder).toUri().toURL()},
                TwoBuilds.class.getClassLoader().getParent());
        return cl.loadClass(name);
    }

    /**
     * How many outputs of the two builds differ in raw bits.
     *
     * @param a one build's outputs
     * @param b the other's
     * @return the count
     */
    static int differingBits(float[] a, float[] b) {
        int differ = 0;
        for (int i = 0; i < a.length; i++) {
            differ += Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]) ? 1 : 0;
        }
        return differ;
    }

    /**
     * One series of times sorted: best at 0, the median at length / 2, quartiles at length / 4 and
     * 3 length / 4.
     *
     * @param t the times
     * @return a sorted copy
     */
    static double[] sorted(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s;
    }
}
