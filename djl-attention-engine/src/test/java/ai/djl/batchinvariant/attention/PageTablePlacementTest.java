/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link PageTable} placement: seed 0 hands pages out in order, a seed is a permutation that is
 * the same for the same seed and differs between seeds, and the page arrays it produces (indptr,
 * indices, last page length) are exact. Attention over the same logical data placed by different
 * seeds is bitwise equal and matches {@link RefAttention}.
 */
class PageTablePlacementTest {

    /** The pages sequence 0 is given when it alone takes the whole pool, in order. */
    private static int[] wholePool(long seed, int pages) {
        PageTable t = new PageTable(pages, 4, seed);
        t.extend(0, pages * 4);
        return t.batch(0)[1];
    }

    @Test
    void seedZeroKeepsPagesInOrder() {
        PageTable t = new PageTable(8, 4, 0);
        t.extend(7, 10);
        t.extend(3, 4);
        t.extend(7, 3);
        int[][] b = t.batch(7, 3);
        // sequence 7 takes pages 0-2, sequence 3 page 3, then 7's fourth page is 4 (last holds 1 token)
        assertArrayEquals(new int[] {0, 4, 5}, b[0]);
        assertArrayEquals(new int[] {0, 1, 2, 4, 3}, Arrays.copyOf(b[1], 5));
        assertArrayEquals(new int[] {1, 4}, b[2]);
        assertEquals(13, t.length(7));
        assertEquals(4, t.length(3));
    }

    @Test
    void sameSeedSamePlacementOtherSeedOther() {
        int[] a = wholePool(42, 64);
        assertArrayEquals(a, wholePool(42, 64), "the same seed must give the same placement");
        Set<Integer> seen = new HashSet<>();
        for (int p : a) {
            assertTrue(p >= 0 && p < 64, "page " + p + " outside the pool");
            seen.add(p);
        }
        assertEquals(64, seen.size(), "a placement is a permutation of the pool");
        int[] inOrder = wholePool(0, 64);
        for (int i = 0; i < 64; i++) {
            assertEquals(i, inOrder[i]);
        }
        assertFalse(Arrays.equals(a, inOrder), "seed 42 must shuffle");
        Set<List<Integer>> distinct = new HashSet<>();
        for (long seed = 1; seed <= 6; seed++) {
            distinct.add(Arrays.asList(Arrays.stream(wholePool(seed, 64)).boxed().toArray(Integer[]::new)));
        }
        assertEquals(6, distinct.size(), "six seeds, six placements");
    }

    @Test
    void lastPageLengthAndBatchOrder() {
        PageTable t = new PageTable(16, 4, 0);
        int[] lens = {8, 1, 10, 4, 5};
        for (int s = 0; s < lens.length; s++) {
            t.extend(s, lens[s]);
        }
        int[][] b = t.batch(4, 0, 2);
        // in the order asked: 5 tokens = 2 pages (last 1), 8 = 2 pages (last 4), 10 = 3 pages (last 2)
        assertArrayEquals(new int[] {0, 2, 4, 7}, b[0]);
        assertArrayEquals(new int[] {1, 4, 2}, b[2]);
        assertArrayEquals(new int[] {7, 8, 0, 1, 3, 4, 5}, b[1]);
    }

    @Test
    void releaseReturnsPagesAndExhaustionTakesNothing() {
        PageTable t = new PageTable(4, 4, 0);
        t.extend(1, 12);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.extend(2, 5));
        assertTrue(e.getMessage().contains("sequence 2"), e.getMessage());
        assertEquals(0, t.length(2), "a failed extend takes nothing");
        t.extend(2, 4);
        assertArrayEquals(new int[] {3}, t.batch(2)[1]);
        t.release(1);
        assertEquals(0, t.length(1));
        t.extend(2, 8);
        assertArrayEquals(new int[] {3, 0, 1}, t.batch(2)[1], "released pages are reused in order");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> t.batch(1));
        assertTrue(bad.getMessage().contains("sequence 1"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.extend(2, -1));
        assertThrows(IllegalArgumentException.class, () -> new PageTable(0, 4, 0));
    }

    /** Same logical data, three placements and two page sizes: the same bits, the right values. */
    @Test
    void placementInvarianceWithValues() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(4, 2).setHeadDim(64).optCausal(true)
                .optSplitPolicy(SplitPolicy.fixed(64)).build();
        int[] lens = {200, 33, 90};
        BatchAttention attn = new BatchAttention(spec);
        RefAttention ref = new RefAttention(4, 2, 64);
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            Workload.Result first = null;
            int[][] firstPages = null;
            Object[][] variants = {{0L, 16}, {17L, 16}, {99L, 16}, {5L, 4}};
            for (Object[] v : variants) {
                // the data seed is fixed; only placement (and the page size) vary
                try (Workload w = new Workload(m, spec, DataType.FLOAT32, lens, (Integer) v[1], KvLayout.NHD,
                        (Long) v[0], 21)) {
                    List<Workload.Segment> segs = Workload.fullPrefill(lens, 0, 1, 2);
                    Workload.Result res = w.run(attn, segs, null);
                    double[] e = ref.errors(w, res, segs);
                    assertTrue(e[0] < RefAttention.TOL && e[2] < 1e-4, "placement " + v[0] + ": " + e[0]);
                    if (first == null) {
                        first = res;
                        firstPages = w.pages;
                        continue;
                    }
                    if ((Integer) v[1] == 16) {
                        assertFalse(Arrays.deepEquals(firstPages, w.pages), "placement " + v[0] + " moved no page");
                    }
                    for (int r = 0; r < lens.length; r++) {
                        assertEquals(0, Bits.diff(first, res, r, 0, lens[r]), "request " + r + ", placement " + v[0]);
                    }
                }
            }
        }
    }
}
