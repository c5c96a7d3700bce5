/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/**
 * cos/sin of the rotary embedding per absolute position, computed in double with {@link
 * StrictMath} and rounded once to float, so a position's rotation is the same bits for every batch
 * and every backend that reads this table. The table grows on demand and is shared by all threads.
 */
public final class RopeTable {

    public final double theta;
    public final double scale;
    public final double llama3Factor;
    public final double lowFreqFactor;
    public final double highFreqFactor;
    public final int originalMaxPosition;
    private final int half;
    private final double[] invFreq;
    private volatile float[][] table = {new float[0], new float[0]};

    public RopeTable(int headDim, double theta, double scale, double llama3Factor, double lowFreqFactor,
            double highFreqFactor, int originalMaxPosition) {
        this.theta = theta;
        this.scale = scale;
        this.llama3Factor = llama3Factor;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
        this.originalMaxPosition = originalMaxPosition;
        this.half = headDim / 2;
        this.invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / StrictMath.pow(theta, (2.0 * i) / headDim);
            if (llama3Factor > 0) {
                double lowWavelen = originalMaxPosition / lowFreqFactor;
                double highWavelen = originalMaxPosition / highFreqFactor;
                double wavelen = 2 * Math.PI / f;
                if (wavelen > lowWavelen) {
                    f = f / llama3Factor;
                } else if (wavelen >= highWavelen) {
                    double smooth = (originalMaxPosition / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    f = (1 - smooth) * f / llama3Factor + smooth * f;
                }
            }
            invFreq[i] = f;
        }
    }

    /**
     * Returns {cos, sin} tables covering positions [0, n), each indexed pos * (D/2) + i.
     *
     * @param n positions needed
     * @return the two tables (may be longer than asked)
     */
    public float[][] upTo(int n) {
        float[][] t = table;
        if (t[0].length >= (long) n * half) {
            return t;
        }
        synchronized (this) {
            t = table;
            int have = t[0].length / half;
            if (have >= n) {
                return t;
            }
            int size = Math.max(n, Math.max(1024, have * 2));
            float[] c = new float[size * half];
            float[] s = new float[size * half];
            System.arraycopy(t[0], 0, c, 0, t[0].length);
            System.arraycopy(t[1], 0, s, 0, t[1].length);
            for (int p = have; p < size; p++) {
                double pos = p / scale;
                for (int i = 0; i < half; i++) {
                    double a = pos * invFreq[i];
                    c[p * half + i] = (float) StrictMath.cos(a);
                    s[p * half + i] = (float) StrictMath.sin(a);
                }
            }
            table = new float[][] {c, s};
            return table;
        }
    }

    /**
     * Rotates one head vector in place (rotate-half layout) at absolute position {@code pos}.
     *
     * @param x the data
     * @param off the vector's offset
     * @param pos the position
     * @param t the tables from {@link #upTo}
     */
    public void rotate(float[] x, int off, int pos, float[][] t) {
        int base = pos * half;
        float[] c = t[0];
        float[] s = t[1];
        for (int i = 0; i < half; i++) {
            float a = x[off + i];
            float b = x[off + i + half];
            float ci = c[base + i];
            float si = s[base + i];
            x[off + i] = a * ci - b * si;
            x[off + i + half] = b * ci + a * si;
        }
    }

    /**
     * The angle of frequency i at position pos, in double (for references).
     *
     * @param pos the position
     * @param i the frequency index in [0, D/2)
     * @return the angle in radians
     */
    public double angle(int pos, int i) {
        return (pos / scale) * invFreq[i];
    }
}
