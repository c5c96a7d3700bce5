/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.integration.model.GenRequests.Answer;
import ai.djl.batchinvariant.integration.model.GenRequests.Spec;
import ai.djl.batchinvariant.model.Generator;
import ai.djl.batchinvariant.model.KvCacheManager;
import ai.djl.batchinvariant.model.SamplingConfig;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Eight threads submit mixed requests (prompt lengths 1-40, greedy or seeded sampling, budgets
 * 1-16, some streamed) to one generator at once while another thread steps it: every answer's
 * tokens, logprob bits and logit bits equal the request run alone, its stream equals its
 * tokens, and no page is left held. One request is the fixture's prompt, whose greedy
 * continuation must equal transformers'. The CI size is 8 x 25 requests; 8 x 125 runs under tag
 * {@code long} and prints the figures docs/models.md records.
 */
class GenerationConcurrencyTest extends LoadedModelTest {

    static final int THREADS = 8;

    @Test
    void eightThreadsSubmittingAtOnceGetTheirSoloAnswers() throws Exception {
        run(THREADS * 25, 11);
    }

    @Test
    @Tag("long")
    void aThousandConcurrentRequestsGetTheirSoloAnswers() throws Exception {
        run(1000, 1000);
    }

    @Test
    void burstsOfSubmitsFromEightThreadsLoseNoRequest() throws Exception {
        // one-token prompts and budgets: submits far outnumber steps, so they collide with each other
        List<Spec> specs = new ArrayList<>();
        for (int t = 0; t < 128; t++) {
            specs.add(new Spec(new int[] {t}, SamplingConfig.greedy(1), "token " + t));
        }
        List<Answer> solo = GenRequests.solo(model, specs, 1);
        int perThread = 400;
        try (KvCacheManager cache = model.newKvCache(64)) {
            Generator g = new Generator(model, cache, 1, 64);
            for (int round = 0; round < 8; round++) {
                AtomicReferenceArray<Generator.Request> reqs = new AtomicReferenceArray<>(THREADS * perThread);
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int id = t;
                    Thread th = new Thread(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < perThread; i++) {
                                int k = id * perThread + i;
                                Spec sp = specs.get(k % 128);
                                reqs.set(k, g.submit(sp.prompt, sp.config, false, null));
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    });
                    th.start();
                    threads.add(th);
                }
                start.countDown();
                for (Thread th : threads) {
                    th.join();
                }
                assertTrue(failures.isEmpty(), "round " + round + ": submit failed: " + failures);
                g.runToCompletion();
                for (int k = 0; k < reqs.length(); k++) {
                    Generator.Request q = reqs.get(k);
                    assertTrue(q != null && q.isDone(), "round " + round + ": request " + k + " was lost");
                    assertTrue(new Answer(q).same(solo.get(k % 128)), "round " + round + ": request " + k);
                }
                assertEquals(64, cache.freePages(), "pages leaked");
            }
        }
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    static void run(int total, long seed) throws Exception {
        Fixtures f = Fixtures.expected("tiny-llama");
        Random rnd = new Random(seed);
        List<Spec> specs = new ArrayList<>();
        specs.add(new Spec(f.prompt, SamplingConfig.greedy(f.greedy.length), "fixture prompt"));
        for (int i = 1; i < total; i++) {
            specs.add(GenRequests.random(rnd, 40, 16, "request " + i));
        }
        long t0 = System.nanoTime();
        List<Answer> solo = GenRequests.solo(model, specs, 5);
        long soloNs = System.nanoTime() - t0;
        assertArrayEquals(f.greedy, solo.get(0).tokens, "the fixture's greedy continuation vs transformers");

        long heapBefore = usedHeap();
        AtomicReferenceArray<Generator.Request> reqs = new AtomicReferenceArray<>(total);
        List<List<Integer>> streams = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            streams.add(new CopyOnWriteArrayList<>());
        }
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        int maxActive = 0;
        long steps = 0;
        t0 = System.nanoTime();
        // room for about ten requests at once: admission waits are part of the run
        try (KvCacheManager cache = model.newKvCache(40)) {
            Generator g = new Generator(model, cache, 5, 32);
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch submitted = new CountDownLatch(THREADS);
            AtomicInteger queued = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        Random r = new Random(seed * 31 + id);
                        start.await();
                        List<Generator.Request> mine = new ArrayList<>();
                        for (int i = id; i < total; i += THREADS) {
                            List<Integer> s = streams.get(i);
                            Generator.TokenListener l = i % 2 == 0 ? null : (q, tok) -> s.add(tok);
                            Generator.Request q = g.submit(specs.get(i).prompt, specs.get(i).config, false, l);
                            reqs.set(i, q);
                            mine.add(q);
                            queued.incrementAndGet();
                            // bursts of back-to-back submits from all threads, then a pause so
                            // later requests join a running batch
                            if (r.nextInt(8) == 0) {
                                Thread.sleep(r.nextInt(3));
                            }
                        }
                        submitted.countDown();
                        for (Generator.Request q : mine) {
                            if (!q.await(10, TimeUnit.MINUTES)) {
                                throw new AssertionError("a request never ended");
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                        submitted.countDown();
                    }
                }, "submitter-" + t);
                th.start();
                threads.add(th);
            }
            start.countDown();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            // the first step waits for two requests, so that steps are shared whatever the
            // submitters' pace (on a fast device, one request at a time could otherwise finish
            // before the next arrives, and the check below could not pass)
            while (queued.get() < Math.min(2, total) && errors.isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            while (System.nanoTime() < deadline) {
                // read before the step: once every submit has returned, a step with nothing left means done
                boolean allIn = submitted.getCount() == 0;
                boolean more = g.step();
                steps++;
                maxActive = Math.max(maxActive, g.activeCount());
                if (!more && allIn) {
                    break;
                }
                if (!more) {
                    Thread.yield();
                }
            }
            // every submitted request has ended by now, so a submitter still waiting lost one
            for (Thread th : threads) {
                th.join(5000);
                if (th.isAlive()) {
                    th.interrupt();
                    errors.add(new AssertionError(th.getName() + " still waits for a request"));
                }
            }
            assertTrue(errors.isEmpty(), "submitter failed: " + errors);
            assertEquals(cache.getNumPages(), cache.freePages(), "pages leaked");
        }
        long runNs = System.nanoTime() - t0;
        int mismatches = 0;
        List<String> first = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            Generator.Request q = reqs.get(i);
            assertTrue(q != null && q.isDone() && !q.isCancelled(), specs.get(i) + " did not finish");
            Answer a = new Answer(q);
            boolean streamOk = i % 2 == 0 || streams.get(i).equals(toList(a.tokens));
            if (!a.same(solo.get(i)) || !streamOk) {
                mismatches++;
                if (first.size() < 5) {
                    first.add(specs.get(i) + (streamOk ? "" : " (stream)"));
                }
            }
        }
        long heapAfter = usedHeap();
        System.out.printf("concurrent generation: %d requests from %d threads, %d mismatches, %d step calls, at most"
                + " %d active, run %.1f s (solo runs %.1f s), heap used %d MiB before, %d MiB after%n", total,
                THREADS, mismatches, steps, maxActive, runNs / 1e9, soloNs / 1e9, heapBefore >> 20, heapAfter >> 20);
        assertEquals(0, mismatches, "answers differing from their solo runs, first: " + first);
        assertTrue(maxActive > 1, "requests must have shared steps");
    }

    static List<Integer> toList(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int x : a) {
            l.add(x);
        }
        return l;
    }
}
