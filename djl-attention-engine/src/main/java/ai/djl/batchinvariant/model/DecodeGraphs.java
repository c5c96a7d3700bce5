/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.batchinvariant.attention.DecodeInputs;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.nn.StepGraph;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * The decode steps of one {@link LlamaModel} over one {@link KvCacheManager}, recorded once per
 * batch-size bucket and replayed: the whole forward (embedding, every layer with its KV append
 * and paged attention, final norm, LM head, and for greedy steps the argmax and log-softmax)
 * is one CUDA graph whose inputs — token ids, KV slots, the attention plan — are loaded into
 * fixed buffers ({@link DecodeInputs}) before each replay. A batch of b requests runs in the
 * smallest bucket ≥ b (1, 2, 4, 8, then multiples of 16) with padding rows; rows never meet in a
 * reduction, so a request's bits are those of the eager step, whatever the bucket.
 *
 * <p>A step that cannot be recorded (an AUTO split, a pool without a scratch page, an op without
 * a GPU kernel, or a cache another model's graphs already use) runs eagerly; a recording failure
 * is logged once and the pool's later decode steps run eagerly too. The graphs and their memory
 * are freed with the pool. On the CPU nothing is recorded: a replay runs the same padded step.
 */
final class DecodeGraphs implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(DecodeGraphs.class);

    /** One recorded step: its inputs and its graph. */
    private static final class Entry {
        final DecodeInputs inputs;
        final StepGraph graph;

        Entry(DecodeInputs inputs, StepGraph graph) {
            this.inputs = inputs;
            this.graph = graph;
        }
    }

    private final LlamaModel model;
    private final KvCacheManager cache;
    private final Map<Integer, Entry> entries = new HashMap<>();
    private boolean disabled;
    private boolean closed;

    DecodeGraphs(LlamaModel model, KvCacheManager cache) {
        this.model = model;
        this.cache = cache;
        if (cache.scratchPage() < 0) {
            disabled = true;
        } else if (model.getAttentionSpec().getSplitPolicy().getKind() == SplitPolicy.Kind.AUTO) {
            // AUTO sizes chunks from the batch: not a fixed launch
            disabled = true;
        }
    }

    /**
     * Returns the model whose steps these are.
     *
     * @return the model
     */
    LlamaModel getModel() {
        return model;
    }

    /**
     * Returns the bucket (capacity) a batch of b requests runs in.
     *
     * @param b requests
     * @return 1, 2, 4, 8, then the next multiple of 16
     */
    static int bucket(int b) {
        if (b <= 1) {
            return 1;
        }
        if (b <= 8) {
            return Integer.highestOneBit(b - 1) << 1;
        }
        return (b + 15) / 16 * 16;
    }

    /**
     * Replays a decode step and returns the logits of its requests.
     *
     * @param s a decode step (one token per sequence), already applied to the cache
     * @return (b, vocab) float32 logits flattened, or null where the step must run eagerly
     */
    synchronized float[] logits(StepBatch s) {
        Entry e = entry(s, false);
        if (e == null) {
            return null;
        }
        NDArray logits = e.graph.replay().get(0);
        int b = s.size();
        if (b == e.inputs.getCapacity()) {
            return logits.toFloatArray();
        }
        try (NDArray head = logits.get(new NDIndex("0:" + b))) {
            return head.toFloatArray();
        }
    }

    /**
     * Replays a decode step and returns its requests' greedy tokens and log-probabilities.
     *
     * @param s a decode step (one token per sequence), already applied to the cache
     * @return the tokens and log-probabilities, or null where the step must run eagerly
     */
    synchronized GreedyPicks greedy(StepBatch s) {
        Entry e = entry(s, true);
        if (e == null) {
            return null;
        }
        NDList out = e.graph.replay();
        long[] t = out.get(0).toLongArray();
        float[] lp = out.get(1).toFloatArray();
        int b = s.size();
        int[] ids = new int[b];
        float[] l = new float[b];
        for (int i = 0; i < b; i++) {
            ids[i] = (int) t[i];
            l[i] = lp[i];
        }
        return new GreedyPicks(ids, l);
    }

    /** The loaded entry of the step's bucket, recorded on first use; null to run eagerly. */
    private Entry entry(StepBatch s, boolean greedy) {
        if (disabled || closed) {
            return null;
        }
        int cap = bucket(s.size());
        int key = cap * 2 + (greedy ? 1 : 0);
        Entry e = entries.get(key);
        if (e == null) {
            try {
                e = record(cap, greedy);
            } catch (RuntimeException | Error ex) {
                disabled = true;
                logger.warn("decode steps over KV pool '{}' run eagerly: recording a decode step of {} rows failed"
                        + " ({})", cache.getName(), cap, ex.toString());
                logger.debug("recording failure", ex);
                return null;
            }
            entries.put(key, e);
        }
        e.inputs.load(s.plan, s.ids);
        return e;
    }

    private Entry record(int cap, boolean greedy) {
        int maxTokens = cache.getNumPages() * cache.getPageSize();
        DecodeInputs in = model.getAttention().decodeInputs(cache.layer(0), cap, maxTokens, cache.scratchPage());
        try {
            in.loadIdle();
            StepGraph g = StepGraph.record(model.getManager(), m -> step(m, in, cap, greedy));
            return new Entry(in, g);
        } catch (RuntimeException | Error ex) {
            in.close();
            throw ex;
        }
    }

    /** The recorded ops: the eager step's, with the inputs' lookup, KV append and attention. */
    private NDList step(NDManager m, DecodeInputs in, int cap, boolean greedy) {
        NDArray x = in.embed(m, model.getEmbedding().getTable());
        NDArray h = model.decoder(x, cap, new LlamaModel.KvStep() {
            @Override
            public void append(int layer, NDArray k, NDArray v) {
                in.append(cache.layer(layer), k, v);
            }

            @Override
            public NDArray attend(int layer, NDArray q) {
                return in.attend(cache.layer(layer), q);
            }
        });
        NDArray logits = model.logitsOf(h);
        if (!greedy) {
            return new NDList(logits);
        }
        return new NDList(LlamaModel.greedyOf(logits));
    }

    /**
     * Returns the recorded steps (0 once recording failed: the pool runs eagerly).
     *
     * @return the count
     */
    synchronized int count() {
        return disabled ? 0 : entries.size();
    }

    /**
     * Returns the device memory of the recorded steps.
     *
     * @return bytes
     */
    synchronized long getDeviceBytes() {
        long n = 0;
        for (Entry e : entries.values()) {
            n += e.graph.getDeviceBytes();
        }
        return n;
    }

    /** Frees every recorded step and its inputs. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Entry e : entries.values()) {
            e.graph.close();
            e.inputs.close();
        }
        entries.clear();
    }
}
