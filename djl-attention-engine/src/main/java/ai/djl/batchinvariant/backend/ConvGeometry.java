/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.Shape;

/**
 * The checked geometry of a convolution (N, C, *spatial with 1 to 3 spatial axes), shared by every
 * backend so they refuse the same arguments with the same words. Spatial sizes are kept as three
 * axes (depth, height, width), the leading ones 1 for lower ranks.
 */
public final class ConvGeometry {

    /** Spatial rank (1 to 3). */
    public final int rank;
    /** Batch size. */
    public final int n;
    /** Input channels. */
    public final int channels;
    /** Output channels. */
    public final int outChannels;
    /** Input channels per group. */
    public final int channelsPerGroup;
    /** Groups. */
    public final int groups;
    /** Input extent per spatial axis. */
    public final int[] in;
    /** Kernel extent per spatial axis. */
    public final int[] kernel;
    /** Stride per spatial axis. */
    public final int[] stride;
    /** Padding per spatial axis. */
    public final int[] padding;
    /** Dilation per spatial axis. */
    public final int[] dilation;
    /** Output extent per spatial axis. */
    public final int[] out;
    /** The output's shape (N, outChannels, *out). */
    public final Shape outShape;

    private ConvGeometry(int rank, int n, int channels, int outChannels, int channelsPerGroup, int groups, int[] in,
            int[] kernel, int[] stride, int[] padding, int[] dilation, int[] out, Shape outShape) {
        this.rank = rank;
        this.n = n;
        this.channels = channels;
        this.outChannels = outChannels;
        this.channelsPerGroup = channelsPerGroup;
        this.groups = groups;
        this.in = in;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.out = out;
        this.outShape = outShape;
    }

    /**
     * Checks a convolution's arguments and computes its output geometry.
     *
     * @param x input (N, C, *spatial)
     * @param w weight (O, C / groups, *kernel)
     * @param b bias (O) or null
     * @param stride per spatial axis (empty: 1)
     * @param padding per spatial axis (empty: 0)
     * @param dilation per spatial axis (empty: 1)
     * @param groups the group count
     * @return the geometry
     * @throws IllegalArgumentException naming what does not agree
     */
    public static ConvGeometry of(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape dilation,
            int groups) {
        Shape xs = x.getShape();
        Shape ws = w.getShape();
        int r = spatialRank(xs, "convolution");
        if (ws.dimension() != r + 2) {
            throw new IllegalArgumentException("convolution: weight " + ws + " does not match input " + xs);
        }
        int n = (int) xs.get(0);
        int c = (int) xs.get(1);
        int o = (int) ws.get(0);
        int cg = (int) ws.get(1);
        if (groups < 1 || o % groups != 0 || (long) cg * groups != c) {
            throw new IllegalArgumentException("convolution: input " + xs + ", weight " + ws + " and groups=" + groups
                    + " do not agree (weight must be (out, in / groups, *kernel), out divisible by groups)");
        }
        if (b != null && (b.getShape().dimension() != 1 || b.getShape().get(0) != o)) {
            throw new IllegalArgumentException("convolution: bias " + b.getShape() + " must be (" + o + ")");
        }
        int[] in = dims3(xs.slice(2), r, 1, "input");
        int[] k = dims3(ws.slice(2), r, 1, "kernel");
        int[] s = positive(dims3(stride, r, 1, "stride"), "stride");
        int[] p = dims3(padding, r, 0, "padding");
        int[] d = positive(dims3(dilation, r, 1, "dilation"), "dilation");
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            if (p[i] < 0) {
                throw new IllegalArgumentException("convolution: negative padding " + padding);
            }
            out[i] = Math.floorDiv(in[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1, s[i]) + 1;
            if (out[i] < 1) {
                throw new IllegalArgumentException("convolution: input " + xs + " is smaller than the dilated kernel "
                        + ws + " with padding " + padding);
            }
        }
        return new ConvGeometry(r, n, c, o, cg, groups, in, k, s, p, d, out, outShape(xs, o, out, r));
    }

    /**
     * Returns the spatial rank of an (N, C, *spatial) input.
     *
     * @param xs the input shape
     * @param op the op, for the message
     * @return 1 to 3
     * @throws IllegalArgumentException for another rank
     */
    public static int spatialRank(Shape xs, String op) {
        int r = xs.dimension() - 2;
        if (r < 1 || r > 3) {
            throw new IllegalArgumentException(op + " needs an input (N, C, *spatial) with 1 to 3 spatial axes, got "
                    + xs);
        }
        return r;
    }

    /**
     * Returns the last {@code r} entries of a three-axis geometry from {@code s}; {@code fill}
     * elsewhere or if {@code s} is empty.
     *
     * @param s the per-axis values
     * @param r the spatial rank
     * @param fill the value of absent axes
     * @param what the argument, for the message
     * @return three values
     */
    public static int[] dims3(Shape s, int r, int fill, String what) {
        int[] v = {fill, fill, fill};
        if (s == null || s.dimension() == 0) {
            return v;
        }
        if (s.dimension() != r) {
            throw new IllegalArgumentException(what + " " + s + " must have one entry per spatial axis (" + r + ")");
        }
        for (int i = 0; i < r; i++) {
            v[3 - r + i] = Math.toIntExact(s.get(i));
        }
        return v;
    }

    /**
     * Checks that every value is positive.
     *
     * @param v the values
     * @param what the argument, for the message
     * @return v
     */
    public static int[] positive(int[] v, String what) {
        for (int x : v) {
            if (x < 1) {
                throw new IllegalArgumentException(what + " must be positive, got " + x);
            }
        }
        return v;
    }

    /**
     * Returns (N, channels, *out) for the given spatial rank.
     *
     * @param xs the input shape
     * @param channels output channels
     * @param out three spatial extents
     * @param r the spatial rank
     * @return the shape
     */
    public static Shape outShape(Shape xs, long channels, int[] out, int r) {
        long[] dims = new long[r + 2];
        dims[0] = xs.get(0);
        dims[1] = channels;
        for (int i = 0; i < r; i++) {
            dims[2 + i] = out[3 - r + i];
        }
        return new Shape(dims);
    }
}
