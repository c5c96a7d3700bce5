/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.AttentionWork;

/**
 * How the KV axis of each request is cut into chunks that are reduced independently and merged.
 *
 * <ul>
 *   <li>{@link #fixed(int)}: chunks start at absolute KV positions 0, S, 2S, ...; a request's
 *       chunks depend on its own length only. Batch-invariant; the default.
 *   <li>{@link #disabled()}: one chunk per request. Batch-invariant.
 *   <li>{@link #auto()}: the chunk size follows the batch's total KV length (as split-KV
 *       heuristics of other libraries do), so a request's bits change with its batch. It exists to
 *       be measured against and to give the inverse tests their teeth.
 * </ul>
 */
public final class SplitPolicy {

    /**
     * KV positions per tile: the online softmax rescales once per tile, and tiles start at
     * multiples of this absolute position in every backend.
     */
    public static final int KV_TILE = AttentionWork.KV_TILE;

    /**
     * Work items (chunks times KV heads) the AUTO policy aims for: about two per core of a
     * 16-core host, the way GPU libraries aim for a few blocks per multiprocessor.
     */
    static final int AUTO_TARGET_ITEMS = 32;

    /** The policy kinds. */
    public enum Kind {
        /** Fixed split size. */
        FIXED,
        /** One chunk per request. */
        DISABLED,
        /** Split size sized from the batch (not invariant). */
        AUTO
    }

    private final Kind kind;
    private final int splitSize;

    private SplitPolicy(Kind kind, int splitSize) {
        this.kind = kind;
        this.splitSize = splitSize;
    }

    /**
     * A fixed split size.
     *
     * @param splitSize tokens per chunk, a positive multiple of {@link #KV_TILE}
     * @return the policy
     * @throws IllegalArgumentException if the size is not a positive multiple of the KV tile
     */
    public static SplitPolicy fixed(int splitSize) {
        if (splitSize <= 0 || splitSize % KV_TILE != 0) {
            throw new IllegalArgumentException(
                    "fixed_split_size=" + splitSize + " is invalid: expected a positive multiple of the KV"
                            + " tile (" + KV_TILE + ") in tokens");
        }
        return new SplitPolicy(Kind.FIXED, splitSize);
    }

    /**
     * One chunk per request.
     *
     * @return the policy
     */
    public static SplitPolicy disabled() {
        return new SplitPolicy(Kind.DISABLED, 0);
    }

    /**
     * A split size chosen from the batch: not batch-invariant.
     *
     * @return the policy
     */
    public static SplitPolicy auto() {
        return new SplitPolicy(Kind.AUTO, 0);
    }

    /**
     * Returns the kind.
     *
     * @return the kind
     */
    public Kind getKind() {
        return kind;
    }

    /**
     * Returns the fixed split size (0 unless FIXED).
     *
     * @return tokens per chunk
     */
    public int getSplitSize() {
        return splitSize;
    }

    /**
     * The chunk size used for a batch. FIXED and DISABLED look at nothing but the policy (and a
     * request's own length); AUTO looks at the whole batch.
     *
     * @param kvLens the KV length of every request in the batch
     * @param numKvHeads KV heads
     * @return tokens per chunk ({@link AttentionWork#NO_SPLIT} for one chunk)
     */
    int splitSizeFor(int[] kvLens, int numKvHeads) {
        return splitSizeFor(kvLens, numKvHeads, AUTO_TARGET_ITEMS);
    }

    /**
     * The chunk size used for a batch, AUTO aiming at a given number of work items (a backend
     * sizes it for its hardware).
     *
     * @param kvLens the KV length of every request in the batch
     * @param numKvHeads KV heads
     * @param autoTargetItems work items (chunks times KV heads) AUTO aims for
     * @return tokens per chunk ({@link AttentionWork#NO_SPLIT} for one chunk)
     */
    public int splitSizeFor(int[] kvLens, int numKvHeads, int autoTargetItems) {
        switch (kind) {
            case FIXED:
                return splitSize;
            case DISABLED:
                return AttentionWork.NO_SPLIT;
            default:
                long total = 0;
                for (int l : kvLens) {
                    total += l;
                }
                long perItem = (total * numKvHeads + autoTargetItems - 1) / autoTargetItems;
                long tiles = Math.max(1, (perItem + KV_TILE - 1) / KV_TILE);
                return (int) Math.min(AttentionWork.NO_SPLIT, tiles * KV_TILE);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return kind == Kind.FIXED ? "FIXED(" + splitSize + ")" : kind.name();
    }
}
