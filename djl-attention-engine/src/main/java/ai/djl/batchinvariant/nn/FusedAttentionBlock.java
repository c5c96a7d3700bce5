/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.Device;
import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.config.OptionsHolder;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A drop-in replacement for DJL's {@code ScaledDotProductAttentionBlock} whose attention is fused
 * and batch-invariant. It has the same child blocks under the same names ({@code keyProjection},
 * {@code queryProjection}, {@code valueProjection}, {@code resultProjection}, {@code
 * probabilityDropout}), the same parameter shapes and the same version byte, so parameters saved
 * from that block load unchanged; it takes the same inputs: {@code (x)}, {@code (x, mask)}, {@code
 * (keys, queries, values)} or {@code (keys, queries, values, mask)}, with inputs of shape (B, S,
 * E).
 *
 * <p>Masks: a key-padding mask (B, T, F) of 1/0 whose rows all keep the same first n keys, or a
 * lower-triangular (causal) mask; other masks are rejected. Each batch row is one request of the
 * ragged attention API, so its output does not depend on the other rows. The split policy comes
 * from the options of the manager the inputs live in ({@code fixed_split_size}, {@code
 * disable_split_kv}) unless set on the builder. Inference only: dropout on the attention
 * probabilities is applied as identity, and training mode is refused.
 *
 * <p>On a GPU (the model's manager on {@code Device.gpu(i)}) the projections run as float32
 * linear kernels and attention runs on the CUDA kernels in bfloat16 (float16 when the model's
 * {@code dtype} option says so), with float32 accumulation.
 */
public final class FusedAttentionBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int embeddingSize;
    private final int headCount;
    private final boolean causal;
    private final SplitPolicy splitPolicy;
    private final float dropoutRate;
    private final Linear keyProjection;
    private final Linear queryProjection;
    private final Linear valueProjection;
    private final Linear resultProjection;
    private volatile AttentionSpec cachedSpec;

    private FusedAttentionBlock(Builder builder) {
        super(VERSION);
        this.embeddingSize = builder.embeddingSize;
        this.headCount = builder.headCount;
        this.causal = builder.causal;
        this.splitPolicy = builder.splitPolicy;
        this.dropoutRate = builder.dropoutRate;
        keyProjection = addChildBlock("keyProjection", projection());
        queryProjection = addChildBlock("queryProjection", projection());
        valueProjection = addChildBlock("valueProjection", projection());
        resultProjection = addChildBlock("resultProjection", projection());
        addChildBlock("probabilityDropout", Dropout.builder().optRate(dropoutRate).build());
    }

    private Linear projection() {
        return Linear.builder().setUnits(embeddingSize).optBias(true).build();
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        if (inputShapes.length == 1 || inputShapes.length == 2) {
            return new Shape[] {inputShapes[0]};
        } else if (inputShapes.length == 3 || inputShapes.length == 4) {
            return new Shape[] {inputShapes[1]};
        }
        throw new IllegalArgumentException("Invalid number of input shapes: " + inputShapes.length + ", must be 1-4.");
    }

    /** {@inheritDoc} */
    @Override
    public void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape projectionShape = new Shape(-1L, embeddingSize);
        for (Block projection : children.values()) {
            projection.initialize(manager, DataType.FLOAT32, projectionShape);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (training && dropoutRate > 0) {
            throw new UnsupportedOperationException(
                    "FusedAttentionBlock is inference-only; training with attention dropout is not supported");
        }
        if (inputs.isEmpty() || inputs.size() > 4) {
            throw new IllegalArgumentException("FusedAttentionBlock takes 1 to 4 inputs, got " + inputs.size());
        }
        long b = inputs.head().getShape().get(0);
        long e = embeddingSize;
        long n = headCount;
        long h = e / n;
        NDArray keyIn;
        NDArray queryIn;
        NDArray valueIn;
        if (inputs.size() < 3) {
            keyIn = inputs.head();
            queryIn = keyIn;
            valueIn = keyIn;
        } else {
            keyIn = inputs.get(0);
            queryIn = inputs.get(1);
            valueIn = inputs.get(2);
        }
        long f = keyIn.getShape().get(1);
        long t = queryIn.getShape().get(1);
        NDArray mask = inputs.size() == 2 || inputs.size() == 4 ? inputs.get(inputs.size() - 1) : null;
        MaskInfo info = analyse(mask, (int) b, (int) t, (int) f);

        NDArray keys = keyProjection.forward(parameterStore, new NDList(keyIn), training, params).head();
        NDArray queries = queryProjection.forward(parameterStore, new NDList(queryIn), training, params).head();
        NDArray values = valueProjection.forward(parameterStore, new NDList(valueIn), training, params).head();

        AttentionSpec spec = spec(queries.getManager(), causal || info.causal, (int) h);
        BatchAttention attention = new BatchAttention(spec);
        int[] qo = new int[(int) b + 1];
        int[] kv = new int[(int) b + 1];
        for (int i = 1; i <= b; i++) {
            qo[i] = (int) (i * t);
            kv[i] = (int) (i * f);
        }
        BatchPlan plan = attention.planRagged(qo, kv, info.kvLens);
        // on a GPU the projections are float32 and the attention kernels take 16-bit inputs
        DataType type = attentionType(queries);
        NDArray q = queries.reshape(b * t, n, h).toType(type, false);
        NDArray k = keys.reshape(b * f, n, h).toType(type, false);
        NDArray v = values.reshape(b * f, n, h).toType(type, false);
        AttentionOutput out = attention.runRagged(plan, q, k, v);
        out.getLse().close();
        NDArray merged = out.getOutput().toType(queries.getDataType(), false).reshape(b, t, e);
        return resultProjection.forward(parameterStore, new NDList(merged), training, params);
    }

    private static DataType attentionType(NDArray queries) {
        if (!Device.Type.GPU.equals(queries.getDevice().getDeviceType())) {
            return queries.getDataType();
        }
        NDManager m = queries.getManager();
        DataType t = m instanceof OptionsHolder ? ((OptionsHolder) m).getOptions().getDataType() : DataType.FLOAT32;
        return t == DataType.FLOAT16 ? DataType.FLOAT16 : DataType.BFLOAT16;
    }

    private AttentionSpec spec(NDManager manager, boolean isCausal, int headDim) {
        SplitPolicy policy = splitPolicy;
        if (policy == null) {
            EngineOptions o = manager instanceof OptionsHolder
                    ? ((OptionsHolder) manager).getOptions()
                    : EngineOptions.fromSystemProperties();
            policy = o.isSplitKvDisabled() ? SplitPolicy.disabled() : SplitPolicy.fixed(o.getFixedSplitSize());
        }
        AttentionSpec s = cachedSpec;
        if (s != null && s.isCausal() == isCausal && s.getSplitPolicy().toString().equals(policy.toString())) {
            return s;
        }
        s = AttentionSpec.builder()
                .setHeads(headCount, headCount)
                .setHeadDim(headDim)
                .optCausal(isCausal)
                .optSplitPolicy(policy)
                .build();
        cachedSpec = s;
        return s;
    }

    /** What a DJL attention mask asks for, in ragged-attention terms. */
    private static final class MaskInfo {
        final int[] kvLens;
        final boolean causal;

        MaskInfo(int[] kvLens, boolean causal) {
            this.kvLens = kvLens;
            this.causal = causal;
        }
    }

    private static MaskInfo analyse(NDArray mask, int b, int t, int f) {
        if (mask == null) {
            return new MaskInfo(null, false);
        }
        Shape s = mask.getShape();
        boolean offsets = s.dimension() == 4;
        if (!(s.dimension() == 3 && s.equals(new Shape(b, t, f))
                || offsets && s.equals(new Shape(b, 1, t, f)))) {
            throw new IllegalArgumentException("attention mask shape " + s + " is not (B, T, F) = " + new Shape(b, t, f)
                    + " or (B, 1, T, F)");
        }
        NDArray fl = mask.toType(DataType.FLOAT32, false);
        float[] m = fl.toFloatArray();
        if (fl != mask) {
            fl.close();
        }
        int[] lens = new int[b];
        boolean allPadding = true;
        boolean allCausal = t == f;
        for (int i = 0; i < b; i++) {
            int len = 0;
            while (len < f && keep(m[(i * t) * f + len], offsets)) {
                len++;
            }
            lens[i] = len;
            boolean padding = len > 0;
            for (int r = 0; r < t && (padding || allCausal); r++) {
                for (int c = 0; c < f; c++) {
                    boolean k = keep(m[(i * t + r) * f + c], offsets);
                    if (k != (c < len)) {
                        padding = false;
                    }
                    if (k != (c <= r)) {
                        allCausal = false;
                    }
                }
            }
            allPadding &= padding;
        }
        if (allPadding) {
            return new MaskInfo(lens, false);
        }
        if (allCausal) {
            return new MaskInfo(null, true);
        }
        throw new IllegalArgumentException("attention mask is neither a key-padding mask (every query row keeps the"
                + " same first n >= 1 keys) nor a causal mask; FusedAttentionBlock supports only those");
    }

    private static boolean keep(float v, boolean offsets) {
        return offsets ? v > -1f : v != 0f;
    }

    /** Builds a {@link FusedAttentionBlock}; the setters mirror DJL's block builder. */
    public static final class Builder {

        private int embeddingSize;
        private int headCount;
        private float dropoutRate = 0.1f;
        private boolean causal;
        private SplitPolicy splitPolicy;

        Builder() {}

        /**
         * Sets the embedding size E.
         *
         * @param embeddingSize E (head_dim = E / heads must be 64, 128 or 256)
         * @return this builder
         */
        public Builder setEmbeddingSize(int embeddingSize) {
            this.embeddingSize = embeddingSize;
            return this;
        }

        /**
         * Sets the number of heads.
         *
         * @param headCount heads
         * @return this builder
         */
        public Builder setHeadCount(int headCount) {
            this.headCount = headCount;
            return this;
        }

        /**
         * Sets the dropout rate recorded for parameter compatibility (inference applies none).
         *
         * @param rate the rate
         * @return this builder
         */
        public Builder optAttentionProbsDropoutProb(float rate) {
            this.dropoutRate = rate;
            return this;
        }

        /**
         * Makes attention causal without a mask.
         *
         * @param causal whether to mask future positions
         * @return this builder
         */
        public Builder optCausal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /**
         * Fixes the split policy instead of taking it from the engine options.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder optSplitPolicy(SplitPolicy policy) {
            this.splitPolicy = policy;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the block
         */
        public FusedAttentionBlock build() {
            if (embeddingSize < 1 || headCount < 1 || embeddingSize % headCount != 0) {
                throw new IllegalArgumentException("embeddingSize=" + embeddingSize + " must be a positive multiple of"
                        + " headCount=" + headCount);
            }
            int d = embeddingSize / headCount;
            if (d != 64 && d != 128 && d != 256) {
                throw new IllegalArgumentException("head_dim=" + d + " (embeddingSize / headCount) is unsupported:"
                        + " expected 64, 128 or 256");
            }
            return new FusedAttentionBlock(this);
        }
    }
}
