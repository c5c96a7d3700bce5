/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Bitwise invariance of batch attention (raw float bits of o and lse): batch size, batch order,
 * the other requests' lengths, page placement, page size and layout; prefill = decode = chunked
 * prefill with chunk sizes 1, 7, 64 and 100; decode alone and fused in a full batch; run to run. Each property has an inverse case: the
 * same comparison under the batch-sized AUTO split must find differing bits. Each backend runs the
 * whole suite through a subclass.
 */
abstract class AttentionInvarianceTest {

    /** Request lengths of the batch tests: multiples of nothing, several chunks and tiles. */
    int[] LENS = {300, 17, 1, 777, 129, 64};

    /** Request lengths of the chunked-prefill tests. */
    int[] CHUNK_LENS = {300, 777, 130};

    static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** The device the suite runs on (null: the CPU). */
    abstract Device device();

    /** The data type of q and the cache. */
    abstract DataType type();

    /** Query heads, KV heads and head dimension. */
    abstract int[] shape();

    AttentionSpec spec(SplitPolicy policy, PosEncoding pos) {
        int[] s = shape();
        return AttentionSpec.builder()
                .setHeads(s[0], s[1])
                .setHeadDim(s[2])
                .optCausal(true)
                .optPosEncoding(pos)
                .optSplitPolicy(policy)
                .build();
    }

    Workload workload(AttentionSpec spec, int[] lens, int pageSize, KvLayout layout, long placement) {
        return new Workload(manager, spec, type(), lens, pageSize, layout, placement, 42, device());
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** Requests run alone vs. in the full batch vs. in every prefix batch: differing elements. */
    long batchSizeDiffs(SplitPolicy policy) {
        AttentionSpec spec = spec(policy, PosEncoding.ROPE_LLAMA);
        try (Workload w = workload(spec, LENS, 16, KvLayout.NHD, 3)) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result full = w.run(attn, Workload.fullPrefill(LENS, range(LENS.length)), null);
            long diffs = 0;
            for (int k = 1; k < LENS.length; k++) {
                Workload.Result part = w.run(attn, Workload.fullPrefill(LENS, range(k)), null);
                for (int r = 0; r < k; r++) {
                    diffs += Bits.diff(full, part, r, 0, LENS[r]);
                }
            }
            for (int r = 0; r < LENS.length; r++) {
                Workload.Result solo = w.run(attn, Workload.fullPrefill(LENS, r), null);
                diffs += Bits.diff(full, solo, r, 0, LENS[r]);
            }
            return diffs;
        }
    }

    @Test
    void batchSizeAndSoloAreBitwiseEqual() {
        assertEquals(0, batchSizeDiffs(SplitPolicy.fixed(128)));
        assertEquals(0, batchSizeDiffs(SplitPolicy.disabled()));
    }

    @Test
    void inverseBatchSizeWithAutoSplitDiffers() {
        assertTrue(batchSizeDiffs(SplitPolicy.auto()) > 0, "AUTO split must change bits with the batch");
    }

    @Test
    void orderAndOtherLengthsAreBitwiseEqual() {
        AttentionSpec spec = spec(SplitPolicy.fixed(128), PosEncoding.NONE);
        int[] lens = {300, 17, 1, 777, 129, 64, 2000, 5};
        try (Workload w = workload(spec, lens, 8, KvLayout.NHD, 5)) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result ref = w.run(attn, Workload.fullPrefill(lens, range(lens.length)), null);
            Random rnd = new Random(1);
            for (int trial = 0; trial < 4; trial++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < lens.length; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, rnd);
                int take = 1 + rnd.nextInt(lens.length);
                int[] pick = order.subList(0, take).stream().mapToInt(Integer::intValue).toArray();
                Workload.Result got = w.run(attn, Workload.fullPrefill(lens, pick), null);
                for (int r : pick) {
                    assertEquals(0, Bits.diff(ref, got, r, 0, lens[r]), "request " + r + " in batch of " + take);
                }
            }
        }
    }

    Workload.Result decodeLastRows(AttentionSpec spec, int pageSize, KvLayout layout, long placement) {
        // the same logical data (data seed fixed), different physical placement
        try (Workload w = workload(spec, LENS, pageSize, layout, placement)) {
            BatchAttention attn = new BatchAttention(spec);
            return w.run(attn, Workload.fullPrefill(LENS, range(LENS.length)), null);
        }
    }

    @Test
    void pagePlacementPageSizeAndLayoutAreBitwiseEqual() {
        AttentionSpec spec = spec(SplitPolicy.fixed(128), PosEncoding.ALIBI);
        Workload.Result ref = decodeLastRows(spec, 16, KvLayout.NHD, 0);
        Object[][] variants = {{16, KvLayout.NHD, 99L}, {1, KvLayout.NHD, 7L}, {8, KvLayout.HND, 3L}, {64, KvLayout.HND, 0L}};
        for (Object[] v : variants) {
            Workload.Result got = decodeLastRows(spec, (Integer) v[0], (KvLayout) v[1], (Long) v[2]);
            for (int r = 0; r < LENS.length; r++) {
                assertEquals(0, Bits.diff(ref, got, r, 0, LENS[r]),
                        "request " + r + " with page size " + v[0] + ", " + v[1] + ", placement " + v[2]);
            }
        }
    }

    /** Prefill of everything vs. the same rows computed in chunks of {@code chunk} (1 = decode). */
    long chunkedDiffs(SplitPolicy policy, int chunk) {
        AttentionSpec spec = spec(policy, PosEncoding.ROPE_LLAMA);
        int[] lens = CHUNK_LENS;
        try (Workload w = workload(spec, lens, 16, KvLayout.HND, 9)) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result prefill = w.run(attn, Workload.fullPrefill(lens, range(lens.length)), null);
            Workload.Result chunked = new Workload.Result(lens);
            // all requests advance together, one chunk each step, as a serving loop would batch them
            int step = 0;
            boolean more = true;
            while (more) {
                more = false;
                List<Workload.Segment> segs = new ArrayList<>();
                for (int r = 0; r < lens.length; r++) {
                    int from = step * chunk;
                    if (from < lens[r]) {
                        int to = Math.min(lens[r], from + chunk);
                        segs.add(new Workload.Segment(r, from, to, to));
                        more = true;
                    }
                }
                if (!segs.isEmpty()) {
                    w.run(attn, segs, chunked);
                }
                step++;
            }
            long diffs = 0;
            for (int r = 0; r < lens.length; r++) {
                diffs += Bits.diff(prefill, chunked, r, 0, lens[r]);
            }
            return diffs;
        }
    }

    @ParameterizedTest(name = "chunk {0}")
    @ValueSource(ints = {1, 7, 64, 100})
    void prefillEqualsDecodeAndChunkedPrefill(int chunk) {
        assertEquals(0, chunkedDiffs(SplitPolicy.fixed(128), chunk));
    }

    @Test
    void prefillEqualsDecodeWithSplitDisabled() {
        assertEquals(0, chunkedDiffs(SplitPolicy.disabled(), 1));
    }

    @Test
    void inversePrefillVsDecodeWithAutoSplitDiffers() {
        assertTrue(chunkedDiffs(SplitPolicy.auto(), 1) > 0, "AUTO split must change bits between prefill and decode");
    }

    /**
     * The last token of requests decoded alone (a block per chunk and the merge) vs. the same rows
     * in a decode batch large enough that the plan folds each request's chunks in one block
     * ({@link ai.djl.batchinvariant.backend.AttentionWork#fusesDecode}): differing elements.
     */
    long fusedDecodeDiffs(SplitPolicy policy) {
        AttentionSpec spec = spec(policy, PosEncoding.ROPE_LLAMA);
        int hkv = spec.getNumKvHeads();
        int n = ai.djl.batchinvariant.backend.AttentionWork.FUSE_DECODE_SLOTS / hkv + 8;
        // 581..640 keys: ten KV tiles each, five chunks of 128
        int[] lens = new int[n];
        for (int i = 0; i < n; i++) {
            lens[i] = 640 - (i * 7) % 60;
        }
        assertTrue(ai.djl.batchinvariant.backend.AttentionWork.fusesDecode(lens, hkv, spec.getHeadDim()));
        try (Workload w = workload(spec, lens, 16, KvLayout.NHD, 6)) {
            BatchAttention attn = new BatchAttention(spec);
            List<Workload.Segment> all = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                all.add(new Workload.Segment(r, lens[r] - 1, lens[r], lens[r]));
            }
            Workload.Result batch = w.run(attn, all, null);
            long diffs = 0;
            for (int r : new int[] {0, 1, n / 2, n - 1}) {
                Workload.Result solo = w.run(attn, List.of(all.get(r)), null);
                diffs += Bits.diff(batch, solo, r, lens[r] - 1, lens[r]);
            }
            return diffs;
        }
    }

    @Test
    void decodeFusedInAFullBatchEqualsDecodeAlone() {
        assertEquals(0, fusedDecodeDiffs(SplitPolicy.fixed(128)));
    }

    @Test
    void inverseFusedDecodeWithAutoSplitDiffers() {
        assertTrue(fusedDecodeDiffs(SplitPolicy.auto()) > 0, "AUTO split must change bits with the batch");
    }

    @Test
    void mixedPrefillAndDecodeBatchIsBitwiseEqual() {
        AttentionSpec spec = spec(SplitPolicy.fixed(64), PosEncoding.NONE);
        int[] lens = {500, 200, 90};
        try (Workload w = workload(spec, lens, 16, KvLayout.NHD, 2)) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result ref = w.run(attn, Workload.fullPrefill(lens, 0, 1, 2), null);
            List<Workload.Segment> mixed = new ArrayList<>();
            mixed.add(new Workload.Segment(1, 199, 200, 200));
            mixed.add(new Workload.Segment(0, 0, 500, 500));
            mixed.add(new Workload.Segment(2, 40, 90, 90));
            Workload.Result got = w.run(attn, mixed, null);
            assertEquals(0, Bits.diff(ref, got, 0, 0, 500));
            assertEquals(0, Bits.diff(ref, got, 1, 199, 200));
            assertEquals(0, Bits.diff(ref, got, 2, 40, 90));
        }
    }

    @Test
    void runToRunIsBitwiseEqual() {
        AttentionSpec spec = spec(SplitPolicy.fixed(64), PosEncoding.ROPE_LLAMA);
        try (Workload w = workload(spec, LENS, 16, KvLayout.NHD, 4)) {
            BatchAttention attn = new BatchAttention(spec);
            Workload.Result a = w.run(attn, Workload.fullPrefill(LENS, range(LENS.length)), null);
            for (int i = 0; i < 3; i++) {
                Workload.Result b = w.run(attn, Workload.fullPrefill(LENS, range(LENS.length)), null);
                for (int r = 0; r < LENS.length; r++) {
                    assertEquals(0, Bits.diff(a, b, r, 0, LENS[r]));
                }
            }
        }
    }
}
