/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

/**
 * The static part of attention as the backends see it: what the public {@code AttentionSpec}
 * decided, flattened to values. It never depends on a batch. One per spec, made once.
 */
public final class AttentionConfig {

    /** Positional encoding codes, shared with the kernels' params struct. */
    public static final int POS_NONE = 0;
    /** Llama rotary embedding (rotate-half) of q and k. */
    public static final int POS_ROPE = 1;
    /** ALiBi bias per query head. */
    public static final int POS_ALIBI = 2;
    /** Llama rotary embedding of q; keys are rotated when appended and the cache holds them so. */
    public static final int POS_ROPE_Q = 3;

    private final int numQoHeads;
    private final int numKvHeads;
    private final int headDim;
    private final boolean causal;
    private final int windowLeft;
    private final float smScale;
    private final float logitsSoftCap;
    private final int posMode;
    private final RopeTable rope;
    private final float[] alibiSlopes;

    /**
     * Creates a configuration; values arrive validated by the attention API.
     *
     * @param numQoHeads query heads
     * @param numKvHeads KV heads (divides numQoHeads)
     * @param headDim head dimension
     * @param causal causal mask
     * @param windowLeft sliding window (keys at most this far left), or -1
     * @param smScale softmax scale
     * @param logitsSoftCap tanh soft cap, or 0
     * @param posMode one of the POS_ codes
     * @param rope the RoPE table (POS_ROPE) or null
     * @param alibiSlopes one slope per query head (POS_ALIBI) or null
     */
    public AttentionConfig(int numQoHeads, int numKvHeads, int headDim, boolean causal, int windowLeft,
            float smScale, float logitsSoftCap, int posMode, RopeTable rope, float[] alibiSlopes) {
        this.numQoHeads = numQoHeads;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.causal = causal;
        this.windowLeft = windowLeft;
        this.smScale = smScale;
        this.logitsSoftCap = logitsSoftCap;
        this.posMode = posMode;
        this.rope = rope;
        this.alibiSlopes = alibiSlopes == null ? null : alibiSlopes.clone();
    }

    /**
     * Returns the number of query heads.
     *
     * @return heads
     */
    public int getNumQoHeads() {
        return numQoHeads;
    }

    /**
     * Returns the number of KV heads.
     *
     * @return heads
     */
    public int getNumKvHeads() {
        return numKvHeads;
    }

    /**
     * Returns the head dimension.
     *
     * @return the head dimension
     */
    public int getHeadDim() {
        return headDim;
    }

    /**
     * Tells whether the mask is causal.
     *
     * @return true if causal
     */
    public boolean isCausal() {
        return causal;
    }

    /**
     * Returns the sliding window.
     *
     * @return keys visible to the left of a query, or -1 for no window
     */
    public int getWindowLeft() {
        return windowLeft;
    }

    /**
     * Returns the softmax scale.
     *
     * @return the scale
     */
    public float getSmScale() {
        return smScale;
    }

    /**
     * Returns the soft cap.
     *
     * @return the cap, or 0 for none
     */
    public float getLogitsSoftCap() {
        return logitsSoftCap;
    }

    /**
     * Returns the positional encoding code.
     *
     * @return POS_NONE, POS_ROPE, POS_ALIBI or POS_ROPE_Q
     */
    public int getPosMode() {
        return posMode;
    }

    /**
     * Returns the RoPE table.
     *
     * @return the table, or null without RoPE
     */
    public RopeTable getRope() {
        return rope;
    }

    /**
     * Returns whether queries are rotated (RoPE, with the keys rotated in the kernel or when they
     * were appended).
     *
     * @return true for POS_ROPE and POS_ROPE_Q
     */
    public boolean rotatesQueries() {
        return posMode == POS_ROPE || posMode == POS_ROPE_Q;
    }

    /**
     * Returns the ALiBi slope of a query head.
     *
     * @param qoHead the head
     * @return the slope, 0 without ALiBi
     */
    public float alibiSlope(int qoHead) {
        return alibiSlopes == null ? 0f : alibiSlopes[qoHead];
    }

    /**
     * Returns the query range of keys visible to a query token.
     *
     * @param qoLen the request's query length
     * @param kvLen the request's KV length
     * @param token the query token (0-based within the request)
     * @return {first visible key, one past the last}, empty when lo == hi
     */
    public int[] visible(int qoLen, int kvLen, int token) {
        int pos = kvLen - qoLen + token;
        int hi = causal ? Math.min(pos + 1, kvLen) : kvLen;
        int lo = windowLeft >= 0 ? Math.max(0, pos - windowLeft) : 0;
        return new int[] {lo, Math.max(hi, lo)};
    }
}
