/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Merges attention states (o, lse) computed over disjoint KV ranges, e.g. a shared prefix and a
 * per-request suffix. The merge is the one batch attention uses internally: states fold left to
 * right in the order given, and a state with lse = -infinity is skipped.
 */
public final class MergeStates {

    private MergeStates() {}

    /**
     * Merges two states.
     *
     * @param va outputs (rows, heads, head_dim) over the first KV range
     * @param sa lse (rows, heads) float32 of the first range
     * @param vb outputs over the second range
     * @param sb lse of the second range
     * @return the merged state, attached to va's manager
     */
    public static AttentionOutput merge(NDArray va, NDArray sa, NDArray vb, NDArray sb) {
        if (va == null || sa == null || vb == null || sb == null) {
            throw new IllegalArgumentException("merge needs va, sa, vb and sb, got a null");
        }
        NDArray v = va.stack(vb, 1);
        NDArray s = sa.stack(sb, 1);
        try {
            return mergeStates(v, s);
        } finally {
            v.close();
            s.close();
        }
    }

    /**
     * Merges n states per row, left to right.
     *
     * @param v outputs (rows, n, heads, head_dim), float32
     * @param s lse (rows, n, heads), float32
     * @return the merged state (rows, heads, head_dim) and (rows, heads)
     */
    public static AttentionOutput mergeStates(NDArray v, NDArray s) {
        if (v == null || s == null || v.getShape().dimension() != 4) {
            throw new IllegalArgumentException("v must be (rows, num_states, heads, head_dim), got "
                    + (v == null ? "null" : v.getShape()));
        }
        Shape vs = v.getShape();
        int rows = (int) vs.get(0);
        int n = (int) vs.get(1);
        int h = (int) vs.get(2);
        int d = (int) vs.get(3);
        Tensor vb = BatchAttention.checkArray("v", v, vs, DataType.FLOAT32);
        Tensor sb = BatchAttention.checkArray("s", s, new Shape(rows, n, h), DataType.FLOAT32);
        BatchAttention.checkSameDevice(vb, sb, sb);
        return BatchAttention.wrap(v.getManager(), Backends.of(vb.getDevice()).attention().mergeStates(vb, sb));
    }
}
