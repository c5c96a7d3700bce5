/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The two ways the attention kernels find a KV tile's rows give the same bits: per row from the
 * page table (page sizes that are not multiples of 16) and, on Hopper, a warp's 16 consecutive rows
 * from one page lookup (multiples of 16: attention_sm90.cu's RunRows). A batch mixing a decode row
 * over 5,000 keys, a prefill ending mid-tile and a chunked prefill across a split boundary, its
 * pages in reverse order, runs with pages of 16, 32, 48, 64 and 128 and with pages of 8 (the
 * reference) and 24, both pool layouts, head dims 64/128/256, both 16-bit types; every pool slot
 * that holds no key of the batch is NaN, so a row read past a request's end, or from a wrong page,
 * shows. Where the pools' tensor maps can be encoded, whole runs come by Hopper's copy engine;
 * the same batch with the threads copying them gives the same bits. The inverse: the same
 * comparison sees another fixed split size.
 */
@Tag("gpu")
class GpuPageRunsAttentionTest {

    private static final int HQ = 8;
    private static final int HKV = 2;
    /** Requests: (query rows, keys). */
    private static final int[][] REQUESTS = {{1, 5000}, {77, 77}, {200, 1300}};
    private static final Map<String, long[][]> REFERENCE = new HashMap<>();

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int page : new int[] {16, 24, 32, 48, 64, 128}) {
            for (KvLayout layout : KvLayout.values()) {
                for (int d : new int[] {64, 128, 256}) {
                    out.add(Arguments.of(page, layout, d, DataType.BFLOAT16));
                }
            }
        }
        out.add(Arguments.of(16, KvLayout.NHD, 128, DataType.FLOAT16));
        out.add(Arguments.of(32, KvLayout.HND, 64, DataType.FLOAT16));
        return out.stream();
    }

    @ParameterizedTest(name = "page {0} {1} d{2} {3}")
    @MethodSource("cases")
    void everyPageSizeGivesThePageOfEightsBits(int page, KvLayout layout, int d, DataType type) {
        long[][] reference = reference(layout, d, type);
        long[][] got = run(page, layout, d, type, 1024);
        assertArrayEquals(reference[0], got[0], "o");
        assertArrayEquals(reference[1], got[1], "lse");
    }

    /**
     * On Hopper with tensor maps available, whole runs come by the copy engine: the same batch with
     * the threads copying every run ({@code cuda_attention_tma=false}) gives the same bits.
     */
    @ParameterizedTest(name = "page {0} {1} d{2}")
    @MethodSource("engineCases")
    void theCopyEngineGivesTheThreadsBits(int page, KvLayout layout, int d) {
        Assumptions.assumeTrue(TensorMaps.available(), "no tensor maps without the foreign linker");
        long[][] engine = run(page, layout, d, DataType.BFLOAT16, 1024);
        String key = EngineOptions.PROPERTY_PREFIX + EngineOptions.CUDA_ATTENTION_TMA;
        System.setProperty(key, "false");
        try {
            long[][] threads = run(page, layout, d, DataType.BFLOAT16, 1024);
            assertArrayEquals(threads[0], engine[0], "o");
            assertArrayEquals(threads[1], engine[1], "lse");
        } finally {
            System.clearProperty(key);
        }
    }

    static Stream<Arguments> engineCases() {
        return Stream.of(Arguments.of(16, KvLayout.NHD, 128), Arguments.of(16, KvLayout.HND, 64),
                Arguments.of(64, KvLayout.NHD, 256), Arguments.of(48, KvLayout.HND, 128));
    }

    @Test
    void theComparisonSeesAnotherSplitSize() {
        long[][] a = run(16, KvLayout.NHD, 128, DataType.BFLOAT16, 1024);
        long[][] b = run(16, KvLayout.NHD, 128, DataType.BFLOAT16, 512);
        assertFalse(Arrays.equals(a[0], b[0]), "FIXED(512) must differ from FIXED(1024) somewhere");
    }

    private static long[][] reference(KvLayout layout, int d, DataType type) {
        return REFERENCE.computeIfAbsent(layout + " " + d + " " + type, k -> {
            long[][] bits = run(8, layout, d, type, 1024);
            assertFalse(GpuCompare.anyNaN(bits[0]), "the reference's o must be finite");
            return bits;
        });
    }

    /**
     * Runs the batch once over a pool of the given page size holding the same keys and values.
     *
     * @return raw bits of {o, lse}
     */
    private static long[][] run(int page, KvLayout layout, int d, DataType type, int split) {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(GpuCompare.GPU)) {
            int b = REQUESTS.length;
            int[] qo = new int[b + 1];
            int[] kvIndptr = new int[b + 1];
            int[] last = new int[b];
            for (int r = 0; r < b; r++) {
                qo[r + 1] = qo[r] + REQUESTS[r][0];
                int pages = (REQUESTS[r][1] + page - 1) / page;
                kvIndptr[r + 1] = kvIndptr[r] + pages;
                last[r] = REQUESTS[r][1] - (pages - 1) * page;
            }
            int poolPages = kvIndptr[b] + 3;
            int[] idx = new int[kvIndptr[b]];
            Arrays.setAll(idx, i -> poolPages - 1 - i);
            NDArray k = pool(m, page, layout, d, type, poolPages, kvIndptr, idx, 31);
            NDArray v = pool(m, page, layout, d, type, poolPages, kvIndptr, idx, 32);
            NDArray q = m.create(GpuCompare.randoms(33, qo[b] * HQ * d, 1.0), new Shape(qo[b], HQ, d))
                    .toType(type, false);
            AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(d).optCausal(true)
                    .optSplitPolicy(SplitPolicy.fixed(split)).build();
            BatchPlan plan = new BatchAttention(spec).planPrefill(qo, kvIndptr, idx, last, page);
            Tensor[] out = CudaAttention.INSTANCE.attention(plan.work(), tensor(q), tensor(k), tensor(v),
                    layout == KvLayout.HND);
            long[][] bits = {GpuCompare.rawBits(out[0]), GpuCompare.rawBits(out[1])};
            out[0].close();
            out[1].close();
            return bits;
        }
    }

    /**
     * A pool holding request r's key (or value) t, head h at its page and slot, and NaN in every
     * other slot; the values depend on (seed, r, t, h) only, not on the page size.
     */
    private static NDArray pool(NDManager m, int page, KvLayout layout, int d, DataType type, int poolPages,
            int[] kvIndptr, int[] idx, long seed) {
        float[] data = new float[poolPages * page * HKV * d];
        Arrays.fill(data, Float.NaN);
        for (int r = 0; r < REQUESTS.length; r++) {
            int len = REQUESTS[r][1];
            double[] values = GpuCompare.randoms(seed * 10 + r, len * HKV * d, 1.0);
            for (int t = 0; t < len; t++) {
                int p = idx[kvIndptr[r] + t / page];
                int slot = t % page;
                for (int h = 0; h < HKV; h++) {
                    long at = layout == KvLayout.NHD
                            ? (((long) p * page + slot) * HKV + h) * d
                            : (((long) p * HKV + h) * page + slot) * d;
                    for (int e = 0; e < d; e++) {
                        data[(int) at + e] = (float) values[(t * HKV + h) * d + e];
                    }
                }
            }
        }
        Shape shape = layout == KvLayout.NHD ? new Shape(poolPages, page, HKV, d) : new Shape(poolPages, HKV, page, d);
        return m.create(data, shape).toType(type, false);
    }

    private static Tensor tensor(NDArray a) {
        return ((TensorArray) a).tensor();
    }
}
