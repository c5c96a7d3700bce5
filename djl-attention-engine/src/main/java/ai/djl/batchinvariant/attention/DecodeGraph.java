/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A decode step captured as a CUDA graph for at most {@code maxBatch} requests of at most {@code
 * maxKvLen} positions over one paged cache, replayed for any decode batch within those bounds with
 * results bitwise equal to eager {@link BatchAttention#run}. Made by {@link
 * BatchAttention#captureDecode}.
 */
public final class DecodeGraph implements AutoCloseable {

    private final BatchAttention attention;
    private final PagedKvCache cache;
    private final AttentionOps.DecodeStep graph;

    DecodeGraph(BatchAttention attention, PagedKvCache cache, AttentionOps.DecodeStep graph) {
        this.attention = attention;
        this.cache = cache;
        this.graph = graph;
    }

    /**
     * Replays the step.
     *
     * @param plan a decode plan of the graph's BatchAttention
     * @param q queries (batch, num_qo_heads, head_dim) on the cache's device
     * @return output and lse
     */
    public AttentionOutput run(BatchPlan plan, NDArray q) {
        if (plan == null || plan.getSpec() != attention.getSpec()) {
            throw new IllegalArgumentException("plan must come from the BatchAttention that captured the graph");
        }
        cache.checkOpen();
        cache.checkPages(plan);
        AttentionSpec spec = attention.getSpec();
        Tensor qb = BatchAttention.checkArray("q", q,
                new Shape(plan.getTotalQo(), spec.getNumQoHeads(), spec.getHeadDim()), cache.getDataType());
        Tensor kb = BatchAttention.checkArray("kv_cache keys", cache.getKeys(), cache.getKeys().getShape(),
                cache.getDataType());
        BatchAttention.checkSameDevice(qb, kb, kb);
        return BatchAttention.wrap(q.getManager(), graph.run(plan.work(), qb));
    }

    /** Frees the graph. */
    @Override
    public void close() {
        graph.close();
    }
}
