/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * The CPU backend's float32 matrix product C = A·B (+ bias) on B packed into column panels.
 *
 * <p>Every output element c[i][j] is summed from +0 in increasing k, {@code c = fma(a[i][kk],
 * b[kk][j], c)} a step (one exact rounding each), the same bits as the plain triple loop, whatever
 * M, the blocking or the number of threads:
 *
 * <ul>
 *   <li>B is packed once into panels of {@link #WIDTH} columns, k-major (the {@code WIDTH} values
 *       of one k are contiguous), zero-padded at the right edge. Padding columns are computed
 *       and never stored.
 *   <li>The micro-kernel keeps a few rows × one panel of sums in vector registers across a block
 *       of k, one vector lane per output column: SIMD comes from independent outputs, never from
 *       splitting a sum.
 *   <li>Blocks of k follow one another in increasing k, each continuing the sums where the last
 *       one stored them, so blocking over k does not change any sum's order.
 *   <li>Threads take whole (row chunk, panel) tiles, never part of a sum.
 * </ul>
 *
 * <p>The kernel is {@link VectorGemmKernels} when the incubating module {@code
 * jdk.incubator.vector} is present (JVM flag {@code --add-modules jdk.incubator.vector}), else
 * {@link PlainGemmKernels}; both give the same bits. {@code
 * -Dai.djl.batchinvariant.cpu_vector=false} selects the plain kernel with the module present.
 */
public final class PackedGemm {

    /** Whether the Vector API kernel is in use. */
    static final boolean VECTOR = detectVector();
    /** Columns per panel. */
    static final int WIDTH = VECTOR ? VectorGemmKernels.WIDTH : 64;
    /** Rows of A per work item: the item's tile of sums stays in the first cache levels. */
    private static final int ROW_CHUNK = 64;
    /** Length of a k block: one block of a panel (WIDTH × K_BLOCK floats) stays in L2. */
    private static final int K_BLOCK = 512;
    /** Rows of A from which {@link #gemm} packs B: packing costs about two passes over B. */
    static final int PACK_MIN_ROWS = 8;

    private PackedGemm() {}

    private static boolean detectVector() {
        if ("false".equalsIgnoreCase(System.getProperty(Simd.PROPERTY))) {
            return false;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            // a runtime without a native vector unit reports narrow species: the plain loops win
            return VectorGemmKernels.LANES >= 4;
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * Whether the Vector API kernel is in use (the module was found at start-up).
     *
     * @return true for the Vector API kernel, false for the plain-Java one
     */
    public static boolean vectorised() {
        return VECTOR;
    }

    /**
     * B (K×N) packed into k-major column panels; immutable once built. The values are in {@code
     * data} (float32), or, when every value of B is a bfloat16 value widened (its low 16 bits
     * zero, as for weights read from a bfloat16 checkpoint), in {@code halves}: two values' upper
     * halves per int, which the kernels widen back to the same float32 bits.
     */
    public static final class Panels {
        final float[] data;
        final int[] halves;
        final int k;
        final int n;

        private Panels(float[] data, int[] halves, int k, int n) {
            this.data = data;
            this.halves = halves;
            this.k = k;
            this.n = n;
        }

        /**
         * The reduced dimension.
         *
         * @return K
         */
        public int k() {
            return k;
        }

        /**
         * The number of columns.
         *
         * @return N
         */
        public int n() {
            return n;
        }

        /**
         * Whether the panels hold bfloat16 pairs (half the bytes of float32, the same values).
         *
         * @return true for bfloat16 pairs
         */
        public boolean isBf16() {
            return halves != null;
        }
    }

    private static int panels(int n) {
        return (n + WIDTH - 1) / WIDTH;
    }

    /**
     * Packs a row-major B (K×N).
     *
     * @param b the matrix
     * @param off offset of B in {@code b}
     * @param k rows of B
     * @param n columns of B
     * @return the panels
     */
    public static Panels packRows(float[] b, int off, int k, int n) {
        int w = WIDTH;
        int panels = panels(n);
        float[] data = new float[panels * k * w];
        // by rows of B: each row is read once, front to back, and scattered over the panels
        Parallel.forEach((k + 63) / 64, 64L * n, blk -> {
            for (int kk = blk * 64; kk < Math.min(k, blk * 64 + 64); kk++) {
                int src = off + kk * n;
                for (int q = 0; q < panels; q++) {
                    System.arraycopy(b, src + q * w, data, (q * k + kk) * w, Math.min(w, n - q * w));
                }
            }
        });
        return new Panels(data, null, k, n);
    }

    /**
     * Packs B = Wᵀ from a row-major W (N×K), the weight layout of {@code linear}; in bfloat16
     * pairs when every value of W is a widened bfloat16 value ({@link Bf16Panels}).
     *
     * @param wt the matrix W
     * @param off offset of W in {@code wt}
     * @param n rows of W (columns of B)
     * @param k columns of W (rows of B)
     * @return the panels
     */
    public static Panels packColumns(float[] wt, int off, int n, int k) {
        return packColumns(wt, off, n, k, true);
    }

    /**
     * {@link #packColumns(float[], int, int, int)}, the bfloat16 form allowed or not (tests
     * compare the two).
     */
    static Panels packColumns(float[] wt, int off, int n, int k, boolean allowHalves) {
        if (allowHalves && Bf16Panels.ENABLED && Bf16Panels.allBf16(wt, off, (long) n * k)) {
            return new Panels(null, Bf16Panels.pack(wt, off, n, k, WIDTH), k, n);
        }
        int w = WIDTH;
        float[] data = new float[panels(n) * k * w];
        Parallel.forEach(panels(n), (long) w * k, q -> {
            int cols = Math.min(w, n - q * w);
            int base = q * k * w;
            // blocks of k keep the panel rows being written in cache while W's rows are read
            for (int k0 = 0; k0 < k; k0 += 256) {
                int k1 = Math.min(k, k0 + 256);
                for (int j = 0; j < cols; j++) {
                    int src = off + (q * w + j) * k;
                    for (int kk = k0; kk < k1; kk++) {
                        data[base + kk * w + j] = wt[src + kk];
                    }
                }
            }
        });
        return new Panels(data, null, k, n);
    }

    /**
     * C = A·B for row-major A (M×K) and B (K×N), all M×N outputs overwritten: B is packed for
     * {@link #PACK_MIN_ROWS} rows or more, else read in place by {@link StreamingGemm}.
     *
     * @param a the left matrix
     * @param aOff offset of A in {@code a}
     * @param b the right matrix
     * @param bOff offset of B in {@code b}
     * @param c the output
     * @param cOff offset of C in {@code c}
     * @param m rows of A
     * @param n columns of B
     * @param k the reduced dimension
     */
    public static void gemm(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k) {
        if (m >= PACK_MIN_ROWS) {
            multiply(a, aOff, packRows(b, bOff, k, n), c, cOff, m, null, VECTOR);
        } else {
            StreamingGemm.gemm(a, aOff, b, bOff, c, cOff, m, n, k, VECTOR);
        }
    }

    /**
     * C = A·B (+ bias on every row), all M×N outputs overwritten.
     *
     * @param a the left matrix, row-major M×K
     * @param aOff offset of A in {@code a}
     * @param b the packed right matrix
     * @param c the output, row-major M×N
     * @param cOff offset of C in {@code c}
     * @param m rows of A
     * @param bias N values added to each row after its sums, or null
     */
    public static void multiply(float[] a, int aOff, Panels b, float[] c, int cOff, int m, float[] bias) {
        multiply(a, aOff, b, c, cOff, m, bias, VECTOR);
    }

    /**
     * {@link #multiply(float[], int, Panels, float[], int, int, float[])} with the kernel chosen
     * by the caller, so that tests compare the two.
     */
    static void multiply(float[] a, int aOff, Panels b, float[] c, int cOff, int m, float[] bias,
            boolean vector) {
        if (vector && !VECTOR) {
            throw new IllegalStateException("the Vector API kernel is not available");
        }
        int n = b.n;
        int k = b.k;
        if (m <= 0 || n <= 0) {
            return;
        }
        int chunks = (m + ROW_CHUNK - 1) / ROW_CHUNK;
        int items = panels(n) * chunks;
        // panel-major: consecutive items (one thread's range) share a panel, which stays in cache
        Parallel.forEach(items, (long) Math.min(m, ROW_CHUNK) * WIDTH * k, item -> {
            int q = item / chunks;
            int r0 = (item % chunks) * ROW_CHUNK;
            tile(a, aOff, b, c, cOff, m, bias, vector, q, r0, Math.min(m, r0 + ROW_CHUNK));
        });
    }

    private static void tile(float[] a, int aOff, Panels b, float[] c, int cOff, int m, float[] bias,
            boolean vector, int q, int r0, int r1) {
        int w = WIDTH;
        int n = b.n;
        int k = b.k;
        float[] p = b.data;
        int[] h = b.halves;
        int pOff = q * k * w;
        float[] t = new float[(r1 - r0) * w];
        for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
            int k1 = Math.min(k, k0 + K_BLOCK);
            boolean first = k0 == 0;
            int r = r0;
            if (vector && h != null) {
                // pairs: the panel starts at half its float offset
                for (; r + 6 <= r1; r += 6) {
                    VectorBf16Kernels.rows6(a, aOff + r * k, k, h, pOff / 2, t, (r - r0) * w, k0, k1, first);
                }
                for (; r + 4 <= r1; r += 4) {
                    VectorBf16Kernels.rows4(a, aOff + r * k, k, h, pOff / 2, t, (r - r0) * w, k0, k1, first);
                }
                for (; r < r1; r++) {
                    VectorBf16Kernels.row1(a, aOff + r * k, h, pOff / 2, t, (r - r0) * w, k0, k1, first);
                }
            } else if (vector) {
                for (; r + 6 <= r1; r += 6) {
                    VectorGemmKernels.rows6(a, aOff + r * k, k, p, pOff, t, (r - r0) * w, k0, k1, first);
                }
                for (; r + 4 <= r1; r += 4) {
                    VectorGemmKernels.rows4(a, aOff + r * k, k, p, pOff, t, (r - r0) * w, k0, k1, first);
                }
                for (; r < r1; r++) {
                    VectorGemmKernels.row1(a, aOff + r * k, p, pOff, t, (r - r0) * w, k0, k1, first);
                }
            } else {
                for (; r < r1; r += PlainGemmKernels.MAX_ROWS) {
                    int rows = Math.min(PlainGemmKernels.MAX_ROWS, r1 - r);
                    PlainGemmKernels.rows(rows, a, aOff + r * k, k, p, h, pOff, w, t, (r - r0) * w, k0, k1, first);
                }
            }
        }
        int c0 = q * w;
        int cols = Math.min(w, n - c0);
        for (int r = r0; r < r1; r++) {
            int src = (r - r0) * w;
            int dst = cOff + r * n + c0;
            if (bias == null) {
                System.arraycopy(t, src, c, dst, cols);
            } else {
                for (int j = 0; j < cols; j++) {
                    c[dst + j] = t[src + j] + bias[c0 + j];
                }
            }
        }
    }
}
