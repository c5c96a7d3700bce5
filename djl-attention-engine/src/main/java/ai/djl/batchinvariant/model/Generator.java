/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching over one {@link LlamaModel} and one {@link KvCacheManager}: requests join
 * and leave between steps; each step runs every active request together, a prompt in chunks of
 * at most {@code prefillChunk} tokens, then one token per step. A request is admitted once its
 * worst-case pages (prompt + max_new_tokens) are free, so the pool is never exhausted mid-request
 * (waiting requests are the back-pressure); a request that could never fit is refused at {@link
 * #submit}. Its tokens depend only on its own logits and seed, and its logits on its own tokens.
 * Thread-safe: {@link #submit} and {@link #cancel} may come from any thread, also from a
 * listener inside {@link #step}; a request leaving mid-step (cancelled, or its listener threw)
 * never shifts what the other requests of that step receive.
 *
 * <p>By default each request keeps the logits row of every token it generated. With {@link
 * #setKeepLogits setKeepLogits(false)} requests must be greedy, and each step picks every token
 * and its log-probability on the model's device ({@link LlamaModel#forwardGreedy}): only an id
 * and a float per request come back to the host, which is what keeps a large vocabulary from
 * dominating a step.
 */
public final class Generator {

    /** Receives each generated token. */
    public interface TokenListener {
        /**
         * Called after a token is generated.
         *
         * @param request the request
         * @param token the token id
         */
        void onToken(Request request, int token);

        /**
         * Called once when the request ends: after its last token, or when it is cancelled (then
         * no token follows). Runs on the thread that ended it, inside the generator's lock.
         *
         * @param request the request
         * @param cancelled true when it ended by {@link Generator#cancel} or a listener failure
         */
        default void onEnd(Request request, boolean cancelled) {}
    }

    /** One generation request and its results. */
    public static final class Request {
        private final int[] prompt;
        private final SamplingConfig config;
        private final boolean recordPromptLogits;
        private final TokenListener listener;
        private final SplittableRandom rng;
        private final List<Integer> tokens = new ArrayList<>();
        private final List<float[]> logits = new ArrayList<>();
        private final List<float[]> promptLogits = new ArrayList<>();
        private final List<Float> logprobs = new ArrayList<>();
        private final boolean keepLogits;
        private KvCacheManager.Sequence seq;
        private int prefilled;
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile boolean done;
        private volatile boolean cancelled;
        private volatile RuntimeException failure;

        Request(int[] prompt, SamplingConfig config, boolean recordPromptLogits, TokenListener listener,
                boolean keepLogits) {
            this.keepLogits = keepLogits;
            this.prompt = prompt.clone();
            this.config = config;
            this.recordPromptLogits = recordPromptLogits;
            this.listener = listener;
            this.rng = new SplittableRandom(config.getSeed());
        }

        /**
         * Returns the generated tokens so far.
         *
         * @return token ids
         */
        public synchronized int[] getTokens() {
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }

        /**
         * Returns, per generated token, the logits it was chosen from (none when the generator
         * keeps no logits).
         *
         * @return vocab-sized rows
         */
        public synchronized List<float[]> getLogits() {
            return new ArrayList<>(logits);
        }

        /**
         * Returns, per generated token, its natural-log probability under the softmax of the
         * logits it was chosen from (float64 arithmetic, so a function of those logits' bits).
         * When the generator keeps no logits, it is the float32 log-softmax computed on the
         * model's device ({@link GreedyPicks#getLogprobs}), equally a function of those bits.
         *
         * @return one value per token
         */
        public synchronized float[] getLogprobs() {
            if (!keepLogits) {
                float[] lp = new float[logprobs.size()];
                for (int i = 0; i < lp.length; i++) {
                    lp[i] = logprobs.get(i);
                }
                return lp;
            }
            float[] lp = new float[tokens.size()];
            for (int i = 0; i < lp.length; i++) {
                lp[i] = GenerationArrays.logprob(logits.get(i), tokens.get(i));
            }
            return lp;
        }

        /**
         * Returns the logits at every prompt position (when asked for at submit).
         *
         * @return vocab-sized rows, one per prompt token
         */
        public synchronized List<float[]> getPromptLogits() {
            return new ArrayList<>(promptLogits);
        }

        /**
         * Tells whether generation ended (budget, stop token or cancel).
         *
         * @return true when finished
         */
        public boolean isDone() {
            return done;
        }

        /**
         * Tells whether the request was cancelled.
         *
         * @return true if cancelled
         */
        public boolean isCancelled() {
            return cancelled;
        }

        /**
         * Returns what the request's listener threw, which cancelled the request.
         *
         * @return the exception, or null
         */
        public RuntimeException getFailure() {
            return failure;
        }

        /**
         * Waits until the request has ended (someone else must be stepping the generator).
         *
         * @param timeout the longest wait
         * @param unit its unit
         * @return true when ended, false on timeout
         * @throws InterruptedException when interrupted while waiting
         */
        public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
            return ended.await(timeout, unit);
        }
    }

    private final LlamaModel model;
    private final KvCacheManager cache;
    private final int prefillChunk;
    private final int maxBatch;
    private final Deque<Request> waiting = new ArrayDeque<>();
    private final List<Request> active = new ArrayList<>();
    private boolean keepLogits = true;

    /**
     * Creates a generator.
     *
     * @param model the model
     * @param cache the KV pool (used by this generator alone)
     * @param prefillChunk prompt tokens per request per step, at most
     * @param maxBatch requests per step, at most
     */
    public Generator(LlamaModel model, KvCacheManager cache, int prefillChunk, int maxBatch) {
        if (prefillChunk < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("prefill_chunk=" + prefillChunk + " and max_batch=" + maxBatch
                    + " must be positive");
        }
        this.model = model;
        this.cache = cache;
        this.prefillChunk = prefillChunk;
        this.maxBatch = maxBatch;
    }

    /**
     * Chooses whether requests keep each token's logits (the default) or only its id and
     * log-probability, picked on the model's device; then every request must be greedy and may
     * not record prompt logits.
     *
     * @param keep whether to keep logits
     * @return this generator
     * @throws IllegalStateException if requests are waiting or active
     */
    public synchronized Generator setKeepLogits(boolean keep) {
        if (!active.isEmpty() || !waiting.isEmpty()) {
            throw new IllegalStateException("setKeepLogits must come before the first submit (" + active.size()
                    + " active, " + waiting.size() + " waiting)");
        }
        keepLogits = keep;
        return this;
    }

    /**
     * Queues a request; it joins the batch at a later step.
     *
     * @param prompt the prompt's token ids (at least one)
     * @param config sampling and limits
     * @param recordPromptLogits whether to keep the logits of every prompt position
     * @param listener called per token, or null
     * @return the request
     * @throws IllegalStateException naming the pool when the request could never fit in it
     */
    public synchronized Request submit(int[] prompt, SamplingConfig config, boolean recordPromptLogits,
            TokenListener listener) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("prompt must hold at least one token");
        }
        int vocab = model.getConfig().getVocabSize();
        for (int i = 0; i < prompt.length; i++) {
            // checked here so that a bad id fails its own submit, not a later step of the whole batch
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("prompt token id " + prompt[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int need = cache.pagesFor(worstCase(prompt.length, config));
        if (need > cache.getNumPages()) {
            throw new IllegalStateException("KV cache pool '" + cache.getName() + "' is too small: a request of "
                    + prompt.length + " prompt + " + config.getMaxNewTokens() + " new tokens asks for " + need
                    + " pages of " + cache.getPageSize() + " tokens, the pool holds " + cache.getNumPages() + " ("
                    + cache.freePages() + " free now; raise the " + LlamaModel.KV_CACHE_PAGES + " option)");
        }
        if (!keepLogits && (config.getTemperature() != 0f || recordPromptLogits)) {
            throw new IllegalArgumentException("this generator keeps no logits (setKeepLogits(false)): requests must be"
                    + " greedy (temperature 0) and cannot record prompt logits");
        }
        Request r = new Request(prompt, config, recordPromptLogits, listener, keepLogits);
        waiting.add(r);
        return r;
    }

    private static int worstCase(int promptLen, SamplingConfig c) {
        // the last generated token is never fed back, so it needs no KV slot
        return promptLen + c.getMaxNewTokens() - 1;
    }

    /**
     * Cancels a request, waiting or active: it leaves the batch, its pages are back in the pool
     * when this returns, and its listener's {@link TokenListener#onEnd} is told it was
     * cancelled. Cancelling an ended request does nothing. From another thread this waits for a
     * running step to end; from a listener the request leaves at once and the step goes on for
     * the others.
     *
     * @param r the request
     */
    public synchronized void cancel(Request r) {
        if (r.done) {
            return;
        }
        r.cancelled = true;
        waiting.remove(r);
        finish(r);
    }

    /**
     * Returns the requests admitted and not finished.
     *
     * @return the active count
     */
    public synchronized int activeCount() {
        return active.size();
    }

    /**
     * Runs one step: admits waiting requests that fit, feeds every active one its next prompt
     * chunk or its last token, samples where a prompt is complete, and retires finished requests.
     *
     * @return true while requests remain (active or waiting)
     */
    public synchronized boolean step() {
        while (!waiting.isEmpty() && active.size() < maxBatch) {
            Request r = waiting.peek();
            KvCacheManager.Sequence seq = cache.open();
            int need = cache.pagesFor(worstCase(r.prompt.length, r.config));
            if (need > cache.freePages()) {
                break; // first come, first served: later requests wait behind it
            }
            cache.ensureCapacity(seq, worstCase(r.prompt.length, r.config));
            r.seq = seq;
            waiting.poll();
            active.add(r);
        }
        if (active.isEmpty()) {
            return !waiting.isEmpty();
        }
        List<KvCacheManager.Sequence> seqs = new ArrayList<>();
        List<int[]> feed = new ArrayList<>();
        boolean[] allRows = new boolean[active.size()];
        for (int i = 0; i < active.size(); i++) {
            Request r = active.get(i);
            seqs.add(r.seq);
            if (r.prefilled < r.prompt.length) {
                int n = Math.min(prefillChunk, r.prompt.length - r.prefilled);
                int[] chunk = new int[n];
                System.arraycopy(r.prompt, r.prefilled, chunk, 0, n);
                feed.add(chunk);
                allRows[i] = r.recordPromptLogits;
            } else {
                feed.add(new int[] {r.tokens.get(r.tokens.size() - 1)});
            }
        }
        float[][][] logits = null;
        GreedyPicks greedy = null;
        if (keepLogits) {
            logits = model.forward(cache, seqs, feed, allRows);
        } else {
            greedy = model.forwardGreedy(cache, seqs, feed);
        }
        int[] greedyTokens = greedy == null ? null : greedy.getTokens();
        float[] greedyLogprobs = greedy == null ? null : greedy.getLogprobs();
        // a listener may cancel any request while this loop runs: row i stays batch[i]'s
        List<Request> batch = new ArrayList<>(active);
        List<Request> finished = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Request r = batch.get(i);
            if (r.done) {
                continue;
            }
            float[][] rows = logits == null ? null : logits[i];
            boolean wasPrefill = r.prefilled < r.prompt.length;
            if (wasPrefill) {
                r.prefilled += feed.get(i).length;
                if (r.recordPromptLogits) {
                    synchronized (r) {
                        Collections.addAll(r.promptLogits, rows);
                    }
                }
                if (r.prefilled < r.prompt.length) {
                    continue;
                }
            }
            int token;
            double u = r.rng.nextDouble();
            if (rows != null) {
                float[] last = rows[rows.length - 1];
                token = r.config.sample(last, u);
                synchronized (r) {
                    r.tokens.add(token);
                    r.logits.add(last);
                }
            } else {
                token = greedyTokens[i];
                synchronized (r) {
                    r.tokens.add(token);
                    r.logprobs.add(greedyLogprobs[i]);
                }
            }
            if (r.listener != null) {
                try {
                    r.listener.onToken(r, token);
                } catch (RuntimeException e) {
                    // the listener's request ends; the others of this step still get their tokens
                    r.failure = e;
                    cancel(r);
                    continue;
                }
            }
            if (r.tokens.size() >= r.config.getMaxNewTokens() || r.config.isStop(token)) {
                finished.add(r);
            }
        }
        for (Request r : finished) {
            if (!r.done) {
                finish(r);
            }
        }
        return !active.isEmpty() || !waiting.isEmpty();
    }

    /** Steps until every request has finished. */
    public void runToCompletion() {
        while (step()) {
            // each step retires or advances every active request
        }
    }

    private void finish(Request r) {
        active.remove(r);
        if (r.seq != null) {
            cache.free(r.seq);
        }
        r.done = true;
        r.ended.countDown();
        if (r.listener != null) {
            try {
                r.listener.onEnd(r, r.cancelled);
            } catch (RuntimeException e) {
                // the request has already ended; a failing end callback must not stop the step
                if (r.failure == null) {
                    r.failure = e;
                }
            }
        }
    }
}
