/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.RopeTable;

/**
 * The static configuration of one attention layer: heads, head dimension, masking, positional
 * encoding, logit transforms and split policy. Everything here may shape the arithmetic; nothing
 * here depends on a batch. Build with {@link #builder()}.
 */
public final class AttentionSpec {

    private final PosEncoding posEncoding;
    private final SplitPolicy splitPolicy;
    // the values the backends read, stored once: the getters below read them back
    private final AttentionConfig config;

    private AttentionSpec(Builder b) {
        this.posEncoding = b.posEncoding;
        this.splitPolicy = b.splitPolicy;
        float smScale = Float.isNaN(b.smScale) ? (float) (1.0 / Math.sqrt(b.headDim)) : b.smScale;
        RopeTable rope =
                b.posEncoding == PosEncoding.ROPE_LLAMA || b.posEncoding == PosEncoding.ROPE_LLAMA_ROTATED_CACHE
                        ? new RopeTable(b.headDim, b.ropeTheta, b.ropeScale, b.llama3Factor,
                                b.llama3LowFreqFactor, b.llama3HighFreqFactor, b.llama3OriginalMaxPosition)
                        : null;
        float[] alibiSlopes = b.posEncoding == PosEncoding.ALIBI ? alibiSlopes(b.numQoHeads) : null;
        int posMode = posEncoding == PosEncoding.ROPE_LLAMA ? AttentionConfig.POS_ROPE
                : posEncoding == PosEncoding.ROPE_LLAMA_ROTATED_CACHE ? AttentionConfig.POS_ROPE_Q
                : posEncoding == PosEncoding.ALIBI ? AttentionConfig.POS_ALIBI : AttentionConfig.POS_NONE;
        this.config = new AttentionConfig(b.numQoHeads, b.numKvHeads, b.headDim, b.causal, b.windowLeft, smScale,
                b.logitsSoftCap, posMode, rope, alibiSlopes);
    }

    /**
     * Returns the configuration as the backends see it.
     *
     * @return the flattened configuration
     */
    AttentionConfig config() {
        return config;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The ALiBi slopes of the ALiBi paper for {@code n} heads (also for n not a power of two).
     *
     * @param n heads
     * @return one slope per head
     */
    static float[] alibiSlopes(int n) {
        int p = Integer.highestOneBit(n);
        float[] s = new float[n];
        for (int h = 0; h < n; h++) {
            double e = h < p ? -8.0 * (h + 1) / p : -4.0 * (2 * (h - p) + 1) / p;
            s[h] = (float) StrictMath.pow(2.0, e);
        }
        return s;
    }

    /**
     * Returns the number of query/output heads.
     *
     * @return Hq
     */
    public int getNumQoHeads() {
        return config.getNumQoHeads();
    }

    /**
     * Returns the number of KV heads.
     *
     * @return Hkv
     */
    public int getNumKvHeads() {
        return config.getNumKvHeads();
    }

    /**
     * Returns the head dimension.
     *
     * @return D
     */
    public int getHeadDim() {
        return config.getHeadDim();
    }

    /**
     * Tells whether query row i of a request with qo_len q and kv_len L attends only to KV
     * positions at most L - q + i.
     *
     * @return true for causal masking
     */
    public boolean isCausal() {
        return config.isCausal();
    }

    /**
     * Returns the positional encoding.
     *
     * @return the encoding
     */
    public PosEncoding getPosEncoding() {
        return posEncoding;
    }

    /**
     * Returns the logit scale.
     *
     * @return sm_scale (default 1/sqrt(head_dim))
     */
    public float getSmScale() {
        return config.getSmScale();
    }

    /**
     * Returns the soft cap c (logit = c * tanh(logit / c)), 0 when off.
     *
     * @return the cap
     */
    public float getLogitsSoftCap() {
        return config.getLogitsSoftCap();
    }

    /**
     * Returns the sliding window: a query at position p sees KV positions in [p - w, p]; -1 when
     * off.
     *
     * @return w
     */
    public int getWindowLeft() {
        return config.getWindowLeft();
    }

    /**
     * Returns the split policy.
     *
     * @return the policy
     */
    public SplitPolicy getSplitPolicy() {
        return splitPolicy;
    }

    /**
     * Returns the rotary table (null unless RoPE).
     *
     * @return the table
     */
    public RopeTable getRope() {
        return config.getRope();
    }

    /**
     * Returns the ALiBi slope of a query head (0 unless ALiBi).
     *
     * @param qoHead the head
     * @return the slope
     */
    public float alibiSlope(int qoHead) {
        return config.alibiSlope(qoHead);
    }

    /**
     * Returns a copy of this spec with another split policy.
     *
     * @param policy the policy
     * @return the copy
     */
    public AttentionSpec withSplitPolicy(SplitPolicy policy) {
        Builder b = toBuilder();
        b.splitPolicy = policy;
        return b.build();
    }

    private Builder toBuilder() {
        Builder b = new Builder();
        b.numQoHeads = getNumQoHeads();
        b.numKvHeads = getNumKvHeads();
        b.headDim = getHeadDim();
        b.causal = isCausal();
        b.posEncoding = posEncoding;
        b.smScale = getSmScale();
        b.logitsSoftCap = getLogitsSoftCap();
        b.windowLeft = getWindowLeft();
        b.splitPolicy = splitPolicy;
        RopeTable rope = getRope();
        if (rope != null) {
            b.ropeTheta = rope.theta;
            b.ropeScale = rope.scale;
            b.llama3Factor = rope.llama3Factor;
            b.llama3LowFreqFactor = rope.lowFreqFactor;
            b.llama3HighFreqFactor = rope.highFreqFactor;
            b.llama3OriginalMaxPosition = rope.originalMaxPosition;
        }
        return b;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "AttentionSpec{Hq=" + getNumQoHeads() + ", Hkv=" + getNumKvHeads() + ", D=" + getHeadDim()
                + ", causal=" + isCausal() + ", pos=" + posEncoding + ", smScale=" + getSmScale() + ", softCap="
                + getLogitsSoftCap() + ", windowLeft=" + getWindowLeft() + ", split=" + splitPolicy + "}";
    }

    /** Builds an {@link AttentionSpec}; {@link #build()} validates every field. */
    public static final class Builder {

        private int numQoHeads;
        private int numKvHeads;
        private int headDim;
        private boolean causal;
        private PosEncoding posEncoding = PosEncoding.NONE;
        private float smScale = Float.NaN;
        private boolean smScaleSet;
        private float logitsSoftCap;
        private int windowLeft = -1;
        private SplitPolicy splitPolicy = SplitPolicy.fixed(1024);
        private double ropeTheta = 10000.0;
        private double ropeScale = 1.0;
        private double llama3Factor;
        private double llama3LowFreqFactor = 1.0;
        private double llama3HighFreqFactor = 4.0;
        private int llama3OriginalMaxPosition = 8192;

        Builder() {}

        /**
         * Sets the head counts.
         *
         * @param numQoHeads query/output heads
         * @param numKvHeads KV heads (must divide numQoHeads)
         * @return this builder
         */
        public Builder setHeads(int numQoHeads, int numKvHeads) {
            this.numQoHeads = numQoHeads;
            this.numKvHeads = numKvHeads;
            return this;
        }

        /**
         * Sets the head dimension.
         *
         * @param headDim 32 (CPU only), 64, 128 or 256
         * @return this builder
         */
        public Builder setHeadDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        /**
         * Sets causal masking (default false).
         *
         * @param causal whether to mask future positions
         * @return this builder
         */
        public Builder optCausal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /**
         * Sets the positional encoding (default NONE).
         *
         * @param posEncoding the encoding
         * @return this builder
         */
        public Builder optPosEncoding(PosEncoding posEncoding) {
            this.posEncoding = posEncoding;
            return this;
        }

        /**
         * Sets RoPE base and linear position scaling (positions are divided by {@code scale}).
         *
         * @param theta the base (default 10000)
         * @param scale the linear scale (default 1)
         * @return this builder
         */
        public Builder optRope(double theta, double scale) {
            this.ropeTheta = theta;
            this.ropeScale = scale;
            return this;
        }

        /**
         * Sets Llama 3.1 frequency-dependent RoPE scaling.
         *
         * @param factor the scaling factor (0 = off)
         * @param lowFreqFactor low-frequency factor
         * @param highFreqFactor high-frequency factor
         * @param originalMaxPosition the original context length
         * @return this builder
         */
        public Builder optLlama3Scaling(
                double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPosition) {
            this.llama3Factor = factor;
            this.llama3LowFreqFactor = lowFreqFactor;
            this.llama3HighFreqFactor = highFreqFactor;
            this.llama3OriginalMaxPosition = originalMaxPosition;
            return this;
        }

        /**
         * Sets the logit scale (default 1/sqrt(head_dim)).
         *
         * @param smScale the scale
         * @return this builder
         */
        public Builder optSmScale(float smScale) {
            this.smScale = smScale;
            this.smScaleSet = true;
            return this;
        }

        /**
         * Sets the logit soft cap (0 = off).
         *
         * @param cap the cap
         * @return this builder
         */
        public Builder optLogitsSoftCap(float cap) {
            this.logitsSoftCap = cap;
            return this;
        }

        /**
         * Sets the sliding window (-1 = off).
         *
         * @param windowLeft how many positions before the query's are visible
         * @return this builder
         */
        public Builder optWindowLeft(int windowLeft) {
            this.windowLeft = windowLeft;
            return this;
        }

        /**
         * Sets the split policy (default FIXED(1024)).
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
         * @return the spec
         * @throws IllegalArgumentException naming the first invalid field
         */
        public AttentionSpec build() {
            if (numQoHeads <= 0) {
                throw new IllegalArgumentException("num_qo_heads=" + numQoHeads + " must be positive");
            }
            if (numKvHeads <= 0 || numQoHeads % numKvHeads != 0) {
                throw new IllegalArgumentException(
                        "num_kv_heads=" + numKvHeads + " must be positive and divide num_qo_heads=" + numQoHeads);
            }
            // 32 runs on the CPU only (small models); the CUDA kernels are built for 64, 128, 256
            if (headDim != 32 && headDim != 64 && headDim != 128 && headDim != 256) {
                throw new IllegalArgumentException("head_dim=" + headDim
                        + " is unsupported: expected 32 (CPU only), 64, 128 or 256");
            }
            if (posEncoding == null) {
                throw new IllegalArgumentException("pos_encoding must not be null");
            }
            if (smScaleSet && (!(smScale > 0) || Float.isInfinite(smScale))) {
                throw new IllegalArgumentException("sm_scale=" + smScale + " must be positive and finite");
            }
            if (!(logitsSoftCap >= 0) || Float.isInfinite(logitsSoftCap)) {
                throw new IllegalArgumentException("logits_soft_cap=" + logitsSoftCap + " must be 0 (off) or positive");
            }
            if (windowLeft < -1) {
                throw new IllegalArgumentException("window_left=" + windowLeft + " must be -1 (off) or >= 0");
            }
            if (splitPolicy == null) {
                throw new IllegalArgumentException("split_policy must not be null");
            }
            if (!(ropeTheta > 0) || !(ropeScale > 0) || Double.isInfinite(ropeTheta) || Double.isInfinite(ropeScale)) {
                throw new IllegalArgumentException(
                        "rope_theta=" + ropeTheta + ", rope_scale=" + ropeScale + " must be positive and finite");
            }
            if (!(llama3Factor >= 0) || Double.isInfinite(llama3Factor)
                    || llama3Factor > 0 && (!(llama3HighFreqFactor > llama3LowFreqFactor) || !(llama3LowFreqFactor > 0)
                            || Double.isInfinite(llama3HighFreqFactor) || llama3OriginalMaxPosition < 1)) {
                throw new IllegalArgumentException("llama3 rope scaling factor=" + llama3Factor
                        + ", low_freq_factor=" + llama3LowFreqFactor + ", high_freq_factor=" + llama3HighFreqFactor
                        + ", original_max_position=" + llama3OriginalMaxPosition
                        + " is invalid: factor >= 0 and finite; with a factor, 0 < low_freq_factor < high_freq_factor"
                        + " (finite) and original_max_position >= 1");
            }
            return new AttentionSpec(this);
        }
    }
}
