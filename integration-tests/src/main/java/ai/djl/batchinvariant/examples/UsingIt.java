/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.examples;

// <example:UsingIt> (README.md quotes from here to the end marker verbatim; a test keeps them equal)
import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.PosEncoding;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/** Two requests through batch prefill and one decode step over a paged KV cache. */
public final class UsingIt {

    static final int QO_HEADS = 4;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = 64;
    static final int PAGE_SIZE = 4;

    private UsingIt() {}

    /**
     * Runs the example.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        AttentionSpec spec = AttentionSpec.builder()
                .setHeads(QO_HEADS, KV_HEADS).setHeadDim(HEAD_DIM)
                .optCausal(true).optPosEncoding(PosEncoding.ROPE_LLAMA)
                .optSplitPolicy(SplitPolicy.fixed(1024))
                .build();
        BatchAttention attention = new BatchAttention(spec);

        // the engine by name (or -Dai.djl.default_engine=BatchInvariant, or DJL_DEFAULT_ENGINE)
        try (NDManager manager = Engine.getEngine("BatchInvariant").newBaseManager();
                PagedKvCache cache = PagedKvCache.create(manager, 8, PAGE_SIZE, KV_HEADS, HEAD_DIM,
                        KvLayout.NHD, DataType.FLOAT32)) {
            // request 0: a 5-token prompt on pages 0 and 2; request 1: a 3-token prompt on page 1
            int[] kvIndptr = {0, 2, 3};
            int[] kvIndices = {0, 2, 1};

            // prefill: append the prompts' K/V to the cache, then attend
            int[] qoIndptr = {0, 5, 8};
            int[] kvLastPageLen = {1, 3}; // 5 = 4 + 1 tokens, 3 tokens
            cache.append(activations(manager, 8, KV_HEADS, 1), activations(manager, 8, KV_HEADS, 2),
                    qoIndptr, kvIndptr, kvIndices, kvLastPageLen);
            BatchPlan prefill = attention.planPrefill(qoIndptr, kvIndptr, kvIndices, kvLastPageLen, PAGE_SIZE);
            try (AttentionOutput out = attention.run(prefill, activations(manager, 8, QO_HEADS, 3), cache)) {
                float[] o = out.getOutput().toFloatArray(); // (8, QO_HEADS, HEAD_DIM)
                print("prefill", 0, o, 4); // last prompt token of request 0 is row 4
                print("prefill", 1, o, 7);
            }

            // decode: one new token per request; append its K/V (the page table grows by one), then attend
            int[] decodeLastPageLen = {2, 4};
            cache.append(activations(manager, 2, KV_HEADS, 4), activations(manager, 2, KV_HEADS, 5),
                    new int[] {0, 1, 2}, kvIndptr, kvIndices, decodeLastPageLen);
            BatchPlan decode = attention.planDecode(kvIndptr, kvIndices, decodeLastPageLen, PAGE_SIZE);
            try (AttentionOutput out = attention.run(decode, activations(manager, 2, QO_HEADS, 6), cache)) {
                float[] o = out.getOutput().toFloatArray(); // (2, QO_HEADS, HEAD_DIM)
                print("decode", 0, o, 0);
                print("decode", 1, o, 1);
            }
        }
    }

    /**
     * Stand-in activations of shape (rows, heads, HEAD_DIM): what a model's projections would give.
     *
     * @param manager the manager that owns the array
     * @param rows tokens
     * @param heads heads
     * @param seed which values
     * @return the array, float32
     */
    public static NDArray activations(NDManager manager, int rows, int heads, int seed) {
        float[] x = new float[rows * heads * HEAD_DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(0.37 * i + seed);
        }
        return manager.create(x, new Shape(rows, heads, HEAD_DIM));
    }

    private static void print(String phase, int request, float[] out, int row) {
        int at = row * QO_HEADS * HEAD_DIM; // head 0 of that row
        System.out.println(phase + " request " + request + " head 0: "
                + Arrays.toString(Arrays.copyOfRange(out, at, at + 4)) + " ...");
    }
}
// </example:UsingIt>
