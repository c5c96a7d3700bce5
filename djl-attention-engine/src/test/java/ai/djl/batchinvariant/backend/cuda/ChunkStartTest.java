/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.backend.AttentionWork;

import org.junit.jupiter.api.Test;

/**
 * The kernels' chunk-boundary test (attention_params.cuh's {@code chunk_starts}: a multiply by the
 * split size's odd inverse, a rotate and a compare, with the constants {@link CudaAttention}
 * passes) against the remainder it replaces, for every split size the options allow up to 2^16,
 * power-of-two sizes up to the unsplit one, and the tile positions a plan can reach.
 */
class ChunkStartTest {

    /** The kernel's test, bit for bit in 32-bit arithmetic. */
    private static boolean chunkStarts(int x, int splitSize) {
        int y = x * CudaAttention.splitInverse(splitSize);
        int lim = (int) (0xFFFFFFFFL / splitSize);
        return Integer.compareUnsigned(Integer.rotateRight(y, Integer.numberOfTrailingZeros(splitSize)), lim) <= 0;
    }

    private static void check(int splitSize, long step) {
        for (long x = 0; x < AttentionWork.NO_SPLIT; x += x < (1 << 20) ? AttentionWork.KV_TILE : step) {
            boolean expected = x % splitSize == 0;
            if (chunkStarts((int) x, splitSize) != expected) {
                assertEquals(expected, chunkStarts((int) x, splitSize), "split " + splitSize + ", position " + x);
            }
        }
    }

    @Test
    void inverseOfTheOddPart() {
        for (int s = AttentionWork.KV_TILE; s <= 1 << 16; s += AttentionWork.KV_TILE) {
            int odd = s >>> Integer.numberOfTrailingZeros(s);
            assertEquals(1, odd * CudaAttention.splitInverse(s), "split " + s);
        }
        assertEquals(1, CudaAttention.splitInverse(AttentionWork.NO_SPLIT));
    }

    @Test
    void sameAnswerAsTheRemainder() {
        for (int s = AttentionWork.KV_TILE; s <= 1 << 16; s += AttentionWork.KV_TILE) {
            check(s, 64L * 9973);
        }
        for (int s = AttentionWork.KV_TILE; s > 0 && s <= AttentionWork.NO_SPLIT; s <<= 1) {
            check(s, AttentionWork.KV_TILE * 101L);
        }
    }
}
