/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

/**
 * Float32 products with too few rows to repay packing B ({@link PackedGemm} packs otherwise): the
 * sums live in C, which each pass over a block of columns updates by four k steps, B read in place.
 * The same bits as {@link PackedGemm}: each output sums in increasing k, one fused multiply-add a
 * step.
 */
final class StreamingGemm {

    /** Columns of C per work item: four rows of them and four rows of B stay in L1. */
    static final int COL_BLOCK = 512;

    private StreamingGemm() {}

    /**
     * C = A·B for row-major A (M×K) and B (K×N), M small.
     *
     * @param a the left matrix
     * @param aOff offset of A in {@code a}
     * @param b the right matrix
     * @param bOff offset of B in {@code b}
     * @param c the output (overwritten)
     * @param cOff offset of C in {@code c}
     * @param m rows of A
     * @param n columns of B
     * @param k the reduced dimension
     * @param vector whether to use the Vector API kernel
     */
    static void gemm(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
            boolean vector) {
        int rowBlocks = (m + 3) / 4;
        int colBlocks = (n + COL_BLOCK - 1) / COL_BLOCK;
        Parallel.forEach(rowBlocks * colBlocks, 4L * COL_BLOCK * k, item -> {
            int r0 = (item / colBlocks) * 4;
            int r1 = Math.min(m, r0 + 4);
            int c0 = (item % colBlocks) * COL_BLOCK;
            int c1 = Math.min(n, c0 + COL_BLOCK);
            if (vector) {
                VectorGemmKernels.stream(r1 - r0, a, aOff + r0 * k, b, bOff, c, cOff + r0 * n, n, k, c0, c1);
            } else {
                plainBlock(a, aOff, b, bOff, c, cOff, r0, r1, c0, c1, n, k);
            }
        });
    }

    /**
     * The plain-Java block: rows [r0, r1) × columns [c0, c1), four rows and four k steps per pass.
     */
    static void plainBlock(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
            int r0, int r1, int c0, int c1, int n, int k) {
        for (int r = r0; r < r1; r++) {
            for (int j = c0; j < c1; j++) {
                c[cOff + r * n + j] = 0f;
            }
        }
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int o0 = cOff + r * n;
            int o1 = o0 + n;
            int o2 = o1 + n;
            int o3 = o2 + n;
            int ra = aOff + r * k;
            int kk = 0;
            // four k steps per pass: each c element is still summed in increasing k, one rounding
            // per step, but is loaded and stored once per four steps
            for (; kk + 4 <= k; kk += 4) {
                float a00 = a[ra + kk];
                float a01 = a[ra + kk + 1];
                float a02 = a[ra + kk + 2];
                float a03 = a[ra + kk + 3];
                float a10 = a[ra + k + kk];
                float a11 = a[ra + k + kk + 1];
                float a12 = a[ra + k + kk + 2];
                float a13 = a[ra + k + kk + 3];
                float a20 = a[ra + 2 * k + kk];
                float a21 = a[ra + 2 * k + kk + 1];
                float a22 = a[ra + 2 * k + kk + 2];
                float a23 = a[ra + 2 * k + kk + 3];
                float a30 = a[ra + 3 * k + kk];
                float a31 = a[ra + 3 * k + kk + 1];
                float a32 = a[ra + 3 * k + kk + 2];
                float a33 = a[ra + 3 * k + kk + 3];
                int b0 = bOff + kk * n;
                int b1 = b0 + n;
                int b2 = b1 + n;
                int b3 = b2 + n;
                for (int j = c0; j < c1; j++) {
                    float v0 = b[b0 + j];
                    float v1 = b[b1 + j];
                    float v2 = b[b2 + j];
                    float v3 = b[b3 + j];
                    c[o0 + j] = Math.fma(a03, v3, Math.fma(a02, v2, Math.fma(a01, v1, Math.fma(a00, v0, c[o0 + j]))));
                    c[o1 + j] = Math.fma(a13, v3, Math.fma(a12, v2, Math.fma(a11, v1, Math.fma(a10, v0, c[o1 + j]))));
                    c[o2 + j] = Math.fma(a23, v3, Math.fma(a22, v2, Math.fma(a21, v1, Math.fma(a20, v0, c[o2 + j]))));
                    c[o3 + j] = Math.fma(a33, v3, Math.fma(a32, v2, Math.fma(a31, v1, Math.fma(a30, v0, c[o3 + j]))));
                }
            }
            for (; kk < k; kk++) {
                float a0 = a[ra + kk];
                float a1 = a[ra + k + kk];
                float a2 = a[ra + 2 * k + kk];
                float a3 = a[ra + 3 * k + kk];
                int bRow = bOff + kk * n;
                for (int j = c0; j < c1; j++) {
                    float bv = b[bRow + j];
                    c[o0 + j] = Math.fma(a0, bv, c[o0 + j]);
                    c[o1 + j] = Math.fma(a1, bv, c[o1 + j]);
                    c[o2 + j] = Math.fma(a2, bv, c[o2 + j]);
                    c[o3 + j] = Math.fma(a3, bv, c[o3 + j]);
                }
            }
        }
        for (; r < r1; r++) {
            int o0 = cOff + r * n;
            int ra = aOff + r * k;
            int kk = 0;
            for (; kk + 4 <= k; kk += 4) {
                float a00 = a[ra + kk];
                float a01 = a[ra + kk + 1];
                float a02 = a[ra + kk + 2];
                float a03 = a[ra + kk + 3];
                int b0 = bOff + kk * n;
                int b1 = b0 + n;
                int b2 = b1 + n;
                int b3 = b2 + n;
                for (int j = c0; j < c1; j++) {
                    c[o0 + j] = Math.fma(a03, b[b3 + j], Math.fma(a02, b[b2 + j], Math.fma(a01, b[b1 + j], Math.fma(a00, b[b0 + j], c[o0 + j]))));
                }
            }
            for (; kk < k; kk++) {
                float a0 = a[ra + kk];
                int bRow = bOff + kk * n;
                for (int j = c0; j < c1; j++) {
                    c[o0 + j] = Math.fma(a0, b[bRow + j], c[o0 + j]);
                }
            }
        }
    }
}
