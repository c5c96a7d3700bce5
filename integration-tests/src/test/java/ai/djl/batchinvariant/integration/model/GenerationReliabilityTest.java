/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.integration.model.GenRequests.Answer;
import ai.djl.batchinvariant.integration.model.GenRequests.Spec;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.LlamaModel;
import ai.djl.batchinvariant.model.SamplingConfig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Requests that leave early or cannot all fit: a cancelled request frees its pages at once and
 * its listener hears it was cancelled, and nothing the others produce changes (tokens, logprob
 * and logit bits equal a run without it and its solo run), whether the cancel comes between
 * steps, from another request's listener in the middle of a step, or from a listener that
 * throws. A pool too small for all requests at once queues them (back-pressure) and every answer
 * still equals its solo run; a request that can never fit is refused naming the pool and the
 * pages asked for and free.
 */
class GenerationReliabilityTest extends LoadedModelTest {

    @BeforeAll
    static void load() throws Exception {
        // 4-token pages: the small requests below take several pages each
        zoo = KvPoolTest.load("64", "4");
        model = Fixtures.model(zoo);
    }

    /** Records a request's streamed tokens and end signals. */
    static final class Stream implements Generator.TokenListener {
        final List<Integer> tokens = new ArrayList<>();
        final List<Boolean> ends = new ArrayList<>();
        int tokensAfterEnd;

        @Override
        public void onToken(Generator.Request request, int token) {
            if (!ends.isEmpty()) {
                tokensAfterEnd++;
            }
            tokens.add(token);
        }

        @Override
        public void onEnd(Generator.Request request, boolean cancelled) {
            ends.add(cancelled);
        }
    }

    static List<Spec> specs(long seed, int n) {
        Random rnd = new Random(seed);
        List<Spec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(GenRequests.random(rnd, 14, 10, "request " + i));
        }
        return out;
    }

    /** Runs the specs (all submitted up front), leaving out index {@code skip}. */
    static List<Answer> together(List<Spec> specs, int skip) {
        List<Answer> out = new ArrayList<>();
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 3, 8);
            List<Generator.Request> rs = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                rs.add(i == skip ? null : g.submit(specs.get(i).prompt, specs.get(i).config, false, null));
            }
            g.runToCompletion();
            for (Generator.Request r : rs) {
                out.add(r == null ? null : new Answer(r));
            }
        }
        return out;
    }

    @Test
    void cancelBetweenStepsFreesPagesAtOnceAndChangesNoNeighbour() {
        List<Spec> specs = specs(1, 4);
        // the victim has a long budget so it is still running when cancelled
        specs.set(1, new Spec(specs.get(1).prompt, SamplingConfig.greedy(30), "victim"));
        List<Answer> without = together(specs, 1);
        List<Answer> solo = GenRequests.solo(model, specs, 3);
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 3, 8);
            List<Generator.Request> rs = new ArrayList<>();
            rs.add(g.submit(specs.get(0).prompt, specs.get(0).config, false, null));
            g.step();
            int freeBefore = cache.freePages();
            Stream victimStream = new Stream();
            rs.add(g.submit(specs.get(1).prompt, specs.get(1).config, false, victimStream));
            rs.add(g.submit(specs.get(2).prompt, specs.get(2).config, false, null));
            rs.add(g.submit(specs.get(3).prompt, specs.get(3).config, false, null));
            Generator.Request victim = rs.get(1);
            for (int s = 0; s < 7; s++) {
                g.step();
            }
            assertFalse(victim.isDone(), "the victim must still be running when cancelled");
            assertTrue(victimStream.tokens.size() > 0, "the victim must have streamed tokens");
            int freeWithVictim = cache.freePages();
            int victimPages = cache.pagesFor(specs.get(1).prompt.length + 30 - 1);
            int[] streamedBefore = victim.getTokens();
            g.cancel(victim);
            assertEquals(freeWithVictim + victimPages, cache.freePages(),
                    "cancel must free the victim's pages at once");
            assertTrue(victim.isDone() && victim.isCancelled());
            assertEquals(List.of(true), victimStream.ends, "one end signal, saying cancelled");
            g.cancel(victim);
            assertEquals(List.of(true), victimStream.ends, "a second cancel signals nothing");
            g.runToCompletion();
            assertEquals(0, victimStream.tokensAfterEnd, "no token after the cancel signal");
            assertEquals(streamedBefore.length, victim.getTokens().length, "the victim generated after cancel");
            assertTrue(freeBefore <= cache.freePages());
            assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
            for (int i : new int[] {0, 2, 3}) {
                Answer a = new Answer(rs.get(i));
                a.assertSame(without.get(i), specs.get(i) + " vs a run without the victim");
                a.assertSame(solo.get(i), specs.get(i) + " vs its solo run");
            }
        }
    }

    @Test
    void cancelFromAListenerMidStepChangesNoNeighbour() {
        List<Spec> specs = specs(2, 5);
        specs.set(0, new Spec(specs.get(0).prompt, SamplingConfig.greedy(20), "victim"));
        for (int i = 1; i < 5; i++) {
            // every neighbour outlives the cancel, so each one's later tokens are checked
            SamplingConfig c = i % 2 == 0 ? SamplingConfig.greedy(14)
                    : SamplingConfig.greedy(14).withSampling(0.9f, 10, 0.9f, 1000 + i);
            specs.set(i, new Spec(specs.get(i).prompt, c, "neighbour " + i));
        }
        List<Answer> without = together(specs, 0);
        List<Answer> solo = GenRequests.solo(model, specs, 3);
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 3, 8);
            Stream victimStream = new Stream();
            // the victim is first in the batch: the request after the canceller is the one a
            // shifted row index would hand the wrong logits
            Generator.Request victim = g.submit(specs.get(0).prompt, specs.get(0).config, false, victimStream);
            List<Generator.Request> rs = new ArrayList<>();
            rs.add(victim);
            int[] cancelsAt = {0};
            for (int i = 1; i < 5; i++) {
                Generator.TokenListener l = null;
                if (i == 2) {
                    l = (r, t) -> {
                        if (r.getTokens().length == 2) {
                            cancelsAt[0] = victim.getTokens().length;
                            g.cancel(victim);
                        }
                    };
                }
                rs.add(g.submit(specs.get(i).prompt, specs.get(i).config, false, l));
            }
            g.runToCompletion();
            assertTrue(victim.isCancelled(), "the listener must have cancelled the victim");
            assertTrue(cancelsAt[0] > 0, "the victim was generating when cancelled");
            assertEquals(List.of(true), victimStream.ends);
            assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
            for (int i = 1; i < 5; i++) {
                Answer a = new Answer(rs.get(i));
                a.assertSame(without.get(i), specs.get(i) + " vs a run without the victim");
                a.assertSame(solo.get(i), specs.get(i) + " vs its solo run");
            }
        }
    }

    @Test
    void aThrowingListenerEndsOnlyItsOwnRequest() {
        List<Spec> specs = specs(3, 4);
        List<Answer> solo = GenRequests.solo(model, specs, 3);
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 3, 8);
            RuntimeException boom = new RuntimeException("listener failed");
            Stream[] ends = {new Stream()};
            Generator.Request bad = g.submit(specs.get(0).prompt, SamplingConfig.greedy(12), false,
                    new Generator.TokenListener() {
                        @Override
                        public void onToken(Generator.Request r, int t) {
                            throw boom;
                        }

                        @Override
                        public void onEnd(Generator.Request r, boolean cancelled) {
                            ends[0].ends.add(cancelled);
                        }
                    });
            List<Generator.Request> rs = new ArrayList<>();
            for (int i = 1; i < 4; i++) {
                rs.add(g.submit(specs.get(i).prompt, specs.get(i).config, false, null));
            }
            g.runToCompletion();
            assertTrue(bad.isCancelled());
            assertSame(boom, bad.getFailure());
            assertEquals(1, bad.getTokens().length);
            assertEquals(List.of(true), ends[0].ends);
            assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
            for (int i = 1; i < 4; i++) {
                new Answer(rs.get(i - 1)).assertSame(solo.get(i), specs.get(i) + " vs its solo run");
            }
        }
    }

    @Test
    void cancellingAWaitingRequestSignalsAndTakesNoPages() {
        try (KvCacheManager cache = model.newKvCache(4)) {
            Generator g = new Generator(model, cache, 3, 8);
            Generator.Request a = g.submit(new int[] {5, 6, 7, 8, 9, 10}, SamplingConfig.greedy(6), false, null);
            Stream s = new Stream();
            Generator.Request b = g.submit(new int[] {1, 2, 3, 4, 5, 6}, SamplingConfig.greedy(6), false, s);
            g.step();
            assertEquals(1, g.activeCount(), "b waits: 3 of 4 pages are a's");
            g.cancel(b);
            assertEquals(List.of(true), s.ends);
            assertEquals(1, cache.freePages());
            g.runToCompletion();
            assertEquals(0, b.getTokens().length);
            assertEquals(6, a.getTokens().length);
            assertEquals(4, cache.freePages());
        }
    }

    @Test
    void aPoolTooSmallForAllQueuesAndEveryAnswerEqualsItsSoloRun() {
        List<Spec> specs = specs(4, 24);
        List<Answer> solo = GenRequests.solo(model, specs, 3);
        // the 24 requests together need about 4x these 14 pages; the largest fits alone
        int poolPages = 14;
        try (KvCacheManager cache = model.newKvCache(poolPages)) {
            Generator g = new Generator(model, cache, 3, 24);
            List<Generator.Request> rs = new ArrayList<>();
            int worst = 0;
            for (Spec s : specs) {
                rs.add(g.submit(s.prompt, s.config, false, null));
            }
            int maxActive = 0;
            int stepsWithWaiting = 0;
            boolean more = true;
            while (more) {
                more = g.step();
                maxActive = Math.max(maxActive, g.activeCount());
                long ended = rs.stream().filter(Generator.Request::isDone).count();
                if (g.activeCount() + ended < rs.size()) {
                    stepsWithWaiting++;
                }
                assertTrue(cache.freePages() >= 0 && cache.freePages() <= poolPages);
                worst = Math.max(worst, poolPages - cache.freePages());
            }
            assertTrue(maxActive < specs.size(), "the pool must not hold all requests at once: " + maxActive);
            assertTrue(stepsWithWaiting > 0, "some requests must have waited for pages");
            assertEquals(poolPages, cache.freePages(), "pages leaked");
            for (int i = 0; i < specs.size(); i++) {
                assertTrue(rs.get(i).isDone() && !rs.get(i).isCancelled());
                new Answer(rs.get(i)).assertSame(solo.get(i), specs.get(i) + " vs its solo run");
            }
            System.out.println("pool of " + poolPages + " pages: at most " + maxActive + " of " + specs.size()
                    + " requests at once, " + worst + " pages held at most, " + stepsWithWaiting
                    + " steps with requests waiting");
        }
    }

    @Test
    void aRequestThatCanNeverFitIsRefusedNamingThePoolAndPagesAndChangesNothing() {
        List<Spec> specs = specs(5, 6);
        List<Answer> solo = GenRequests.solo(model, specs, 3);
        try (KvCacheManager cache = model.newKvCache(8)) {
            Generator g = new Generator(model, cache, 3, 8);
            List<Generator.Request> rs = new ArrayList<>();
            for (Spec s : specs) {
                rs.add(g.submit(s.prompt, s.config, false, null));
            }
            g.step();
            int free = cache.freePages();
            // 30 + 10 - 1 = 39 tokens in 4-token pages: 10 pages of a pool of 8
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> g.submit(new int[30], SamplingConfig.greedy(10), false, null));
            String m = e.getMessage();
            assertTrue(m.contains("KV cache pool 'kv_cache_pages=8'"), m);
            assertTrue(m.contains("asks for 10 pages"), m);
            assertTrue(m.contains("holds 8"), m);
            assertTrue(m.contains(free + " free now"), m);
            assertTrue(m.contains(LlamaModel.KV_CACHE_PAGES), m);
            assertEquals(free, cache.freePages(), "a refused submit takes no pages");
            g.runToCompletion();
            assertEquals(8, cache.freePages());
            for (int i = 0; i < specs.size(); i++) {
                new Answer(rs.get(i)).assertSame(solo.get(i), specs.get(i) + " vs its solo run");
            }
        }
    }
}
