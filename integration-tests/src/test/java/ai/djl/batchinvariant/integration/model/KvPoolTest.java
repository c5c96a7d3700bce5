/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** The KV page pool: sized by an option, exhausted with a clear error, nothing leaked. */
class KvPoolTest {

    static ZooModel<NDList, NDList> load(String pages, String pageSize) throws Exception {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("BatchInvariant")
                .optModelPath(Fixtures.dir("tiny-llama"))
                .optOption(LlamaModel.KV_CACHE_PAGES, pages)
                .optOption("page_size", pageSize)
                .build()
                .loadModel();
    }

    @Test
    void poolSizeComesFromTheOption() throws Exception {
        try (ZooModel<NDList, NDList> zoo = load("6", "4"); KvCacheManager c = Fixtures.model(zoo).newKvCache()) {
            assertEquals(6, c.getNumPages());
            assertEquals(4, c.getPageSize());
        }
        Exception e = assertThrows(Exception.class, () -> load("zero", "4").close());
        assertTrue(String.valueOf(e.getMessage()).contains(LlamaModel.KV_CACHE_PAGES), e.getMessage());
    }

    @Test
    void exhaustionNamesThePoolAndChangesNothing() throws Exception {
        try (ZooModel<NDList, NDList> zoo = load("3", "4"); KvCacheManager c = Fixtures.model(zoo).newKvCache()) {
            LlamaModel m = Fixtures.model(zoo);
            List<KvCacheManager.Sequence> seqs = new ArrayList<>();
            seqs.add(c.open());
            seqs.add(c.open());
            List<int[]> toks = List.of(new int[8], new int[5]);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.forward(c, seqs, toks, null));
            assertTrue(e.getMessage().contains("KV cache pool 'kv_cache_pages=3' is exhausted"), e.getMessage());
            assertEquals(3, c.freePages());
            assertEquals(0, seqs.get(0).length());
            // a request that could never fit is refused at submit, naming the option
            Generator g = new Generator(m, c, 4, 4);
            IllegalStateException s = assertThrows(IllegalStateException.class,
                    () -> g.submit(new int[10], SamplingConfig.greedy(5), false, null));
            assertTrue(s.getMessage().contains(LlamaModel.KV_CACHE_PAGES), s.getMessage());
            IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                    () -> g.submit(new int[] {1, 128}, SamplingConfig.greedy(1), false, null));
            assertTrue(v.getMessage().contains("token id 128 at position 1"), v.getMessage());
        }
    }

    @Test
    void cancelAndBackPressureLeakNothing() throws Exception {
        try (ZooModel<NDList, NDList> zoo = load("4", "4"); KvCacheManager c = Fixtures.model(zoo).newKvCache()) {
            LlamaModel m = Fixtures.model(zoo);
            int[] p = {1, 17, 93, 5, 42, 8};
            Generator g = new Generator(m, c, 2, 8);
            // each request needs 3 of the 4 pages: the second waits until the first is done
            Generator.Request a = g.submit(p, SamplingConfig.greedy(6), false, null);
            Generator.Request b = g.submit(p, SamplingConfig.greedy(6), false, null);
            g.step();
            assertEquals(1, g.activeCount());
            g.step();
            g.cancel(a);
            assertTrue(a.isDone() && a.isCancelled());
            assertEquals(4, c.freePages(), "cancel must free the pages");
            List<Integer> streamed = new ArrayList<>();
            Generator.Request d = g.submit(p, SamplingConfig.greedy(6), false, (r, t) -> streamed.add(t));
            g.runToCompletion();
            assertTrue(b.isDone() && d.isDone());
            assertArrayEquals(b.getTokens(), d.getTokens());
            assertArrayEquals(d.getTokens(), streamed.stream().mapToInt(Integer::intValue).toArray());
            assertEquals(4, c.freePages());
        }
    }

    @Test
    void stopTokensEndARequest() throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        try (ZooModel<NDList, NDList> zoo = Fixtures.load(Fixtures.dir("tiny-llama"));
                KvCacheManager c = Fixtures.model(zoo).newKvCache(16)) {
            Generator g = new Generator(Fixtures.model(zoo), c, 8, 2);
            Generator.Request r = g.submit(f.prompt, SamplingConfig.greedy(12).withStopTokens(f.greedy[3]), false, null);
            g.runToCompletion();
            assertArrayEquals(java.util.Arrays.copyOf(f.greedy, 4), r.getTokens());
        }
    }
}
