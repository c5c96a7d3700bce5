/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Half;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.backend.AttentionConfig;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.DecodeBuffers;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * Batch attention in plain Java. Work items are (request, KV head, chunk): each computes the
 * online-softmax state of all its query rows over one chunk, walking KV tiles of {@link
 * AttentionWork#KV_TILE} positions aligned to absolute positions; a second pass merges each row's
 * chunk states left to right. Positions a row may not see are skipped, never added as zeros, and a
 * chunk a row sees nothing of is skipped in the merge, so a decode step at position t and causal
 * prefill row t run the same operations on the same values.
 */
public final class CpuAttention implements AttentionOps {

    /** The shared instance. */
    public static final CpuAttention INSTANCE = new CpuAttention();

    private static final int T = AttentionWork.KV_TILE;

    private CpuAttention() {}

    /** {@inheritDoc} */
    @Override
    public Tensor[] attention(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd) {
        return attention(work, q, k, v, hnd, Simd.ENABLED);
    }

    /** {@link #attention(AttentionWork, Tensor, Tensor, Tensor, boolean)} on a chosen kernel path. */
    Tensor[] attention(AttentionWork work, Tensor q, Tensor k, Tensor v, boolean hnd, boolean vector) {
        AttentionConfig spec = work.getConfig();
        int total = work.getTotalQo();
        int hq = spec.getNumQoHeads();
        int d = spec.getHeadDim();
        float[] out = HostArrays.floats(total * hq * d);
        float[] lse = HostArrays.floats(total * hq);
        compute(work, q.borrowHostData(), k.borrowHostData(), v.borrowHostData(), q.getDataType(), hnd, out, lse,
                vector);
        // one rounding to the query's type, after the merge
        Object typed = HostArrays.fromFloats(out, q.getDataType());
        return new Tensor[] {
            HostArrays.wrap(new Shape(total, hq, d), q.getDataType(), typed),
            HostArrays.wrap(new Shape(total, hq), DataType.FLOAT32, lse)
        };
    }

    /** {@inheritDoc} */
    @Override
    public void appendKv(Tensor k, Tensor v, Tensor keyPool, Tensor valuePool, long[] offsets, int headDim,
            RopeTable rope, int[] positions) {
        Object ks = k.borrowHostData();
        Object vs = v.borrowHostData();
        Object kp = keyPool.hostData();
        Object vp = valuePool.hostData();
        DataType type = keyPool.getDataType();
        int most = 0;
        if (rope != null) {
            for (int p : positions) {
                most = Math.max(most, p);
            }
        }
        float[][] table = rope == null ? null : rope.upTo(most + 1);
        float[] head = new float[headDim];
        for (int i = 0; i < offsets.length; i++) {
            if (rope == null) {
                System.arraycopy(ks, i * headDim, kp, (int) offsets[i], headDim);
            } else {
                // rotated in float32 as attention rotates an unrotated key, then stored as the cache's type
                for (int x = 0; x < headDim; x++) {
                    head[x] = HostData.getFloat(ks, type, i * headDim + x);
                }
                rope.rotate(head, 0, positions[i], table);
                for (int x = 0; x < headDim; x++) {
                    HostData.setFloat(kp, type, (int) offsets[i] + x, head[x]);
                }
            }
            System.arraycopy(vs, i * headDim, vp, (int) offsets[i], headDim);
        }
        keyPool.touch();
        valuePool.touch();
    }

    /** {@inheritDoc} */
    @Override
    public DecodeBuffers decodeBuffers(AttentionConfig config, Tensor keyPool, int splitSize, int pageSize,
            int capacity, int maxKvTokens, int maxPages) {
        return new CpuDecodeBuffers(config, splitSize, pageSize, capacity);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor[] mergeStates(Tensor v, Tensor s) {
        long[] dims = v.getShape().getShape();
        int rows = (int) dims[0];
        int n = (int) dims[1];
        int h = (int) dims[2];
        int d = (int) dims[3];
        float[] vo = (float[]) v.borrowHostData();
        float[] so = (float[]) s.borrowHostData();
        float[] out = HostArrays.floats(rows * h * d);
        float[] lse = HostArrays.floats(rows * h);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < h; g++) {
                lse[r * h + g] = StateMerge.fold(vo, so, r * n * h + g, h, n, d, out, (r * h + g) * d);
            }
        }
        return new Tensor[] {
            HostArrays.wrap(new Shape(rows, h, d), DataType.FLOAT32, out),
            HostArrays.wrap(new Shape(rows, h), DataType.FLOAT32, lse)
        };
    }

    private void compute(AttentionWork plan, Object q, Object kv, Object vv, DataType type, boolean hnd,
            float[] out, float[] lse, boolean vector) {
        AttentionConfig spec = plan.getConfig();
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        int b = plan.getBatchSize();
        int totalSplits = plan.getTotalSplits();
        // partial states, per request laid out [chunk][row][qo head]
        long[] partBase = new long[b + 1];
        for (int r = 0; r < b; r++) {
            partBase[r + 1] = partBase[r] + (long) plan.numSplits(r) * plan.qoLen(r) * hq;
        }
        int states = Math.toIntExact(partBase[b]);
        float[] partO = new float[Math.multiplyExact(states, d)];
        float[] partLse = new float[states];
        int[] itemReq = new int[totalSplits];
        for (int r = 0; r < b; r++) {
            for (int s = 0; s < plan.numSplits(r); s++) {
                itemReq[plan.splitStart(r) + s] = r;
            }
        }
        int items = totalSplits * hkv;
        float[][] rope = spec.rotatesQueries() ? spec.getRope().upTo(maxKv(plan)) : null;
        Parallel.forEach(items, (long) T * d * 4, item -> {
            int split = item / hkv;
            int h = item % hkv;
            int r = itemReq[split];
            int s = split - plan.splitStart(r);
            chunk(plan, r, h, s, q, kv, vv, type, hnd, rope, partO, partLse,
                    (int) partBase[r], vector);
        });
        int totalQo = plan.getTotalQo();
        int[] rowReq = new int[totalQo];
        for (int r = 0; r < b; r++) {
            Arrays.fill(rowReq, plan.qoStart(r), plan.qoStart(r) + plan.qoLen(r), r);
        }
        Parallel.forEach(totalQo, (long) hq * d * 4, row -> {
            int r = rowReq[row];
            int i = row - plan.qoStart(r);
            int n = plan.numSplits(r);
            int per = plan.qoLen(r) * hq;
            for (int g = 0; g < hq; g++) {
                int first = (int) partBase[r] + i * hq + g;
                int o = (row * hq + g) * d;
                lse[row * hq + g] = StateMerge.fold(partO, partLse, first, per, n, d, out, o);
            }
        });
    }

    private static int maxKv(AttentionWork plan) {
        int m = 1;
        for (int r = 0; r < plan.getBatchSize(); r++) {
            m = Math.max(m, plan.kvLen(r));
        }
        return m;
    }

    /** Scratch for one work item. */
    private static final class Scratch {
        final float[] k;
        final float[] v;
        float[] qk = new float[0];
        float[] p = new float[0];
        float[] scale = new float[0];

        Scratch(int d) {
            k = new float[T * d];
            v = new float[T * d];
        }
    }

    private static final ThreadLocal<Scratch[]> SCRATCH = ThreadLocal.withInitial(() -> new Scratch[3]);

    private static Scratch scratch(int d) {
        Scratch[] s = SCRATCH.get();
        int slot = d == 64 ? 0 : d == 128 ? 1 : 2;
        if (s[slot] == null || s[slot].k.length != T * d) {
            s[slot] = new Scratch(d);
        }
        return s[slot];
    }

    private static void chunk(AttentionWork plan, int r, int h, int s, Object q, Object kv, Object vv,
            DataType type, boolean hnd, float[][] rope, float[] partO,
            float[] partLse, int base, boolean vector) {
        AttentionConfig spec = plan.getConfig();
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int group = hq / hkv;
        int d = spec.getHeadDim();
        int qoLen = plan.qoLen(r);
        int kvLen = plan.kvLen(r);
        long splitSize = plan.getSplitSize();
        int cStart = (int) Math.min(kvLen, s * splitSize);
        int cEnd = (int) Math.min(kvLen, cStart + splitSize);
        int rows = qoLen * group;
        // per (row, head in group): running max, sum, accumulator
        float[] m = new float[rows];
        float[] l = new float[rows];
        float[] acc = new float[rows * d];
        float[] qv = new float[rows * d];
        int[] lo = new int[qoLen];
        int[] hi = new int[qoLen];
        int[] pos = new int[qoLen];
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        int window = spec.getWindowLeft();
        int minLo = Integer.MAX_VALUE;
        int maxHi = 0;
        for (int i = 0; i < qoLen; i++) {
            int p = kvLen - qoLen + i;
            pos[i] = p;
            hi[i] = spec.isCausal() ? p + 1 : kvLen;
            lo[i] = window >= 0 ? Math.max(0, p - window) : 0;
            hi[i] = Math.min(hi[i], cEnd);
            lo[i] = Math.max(lo[i], cStart);
            minLo = Math.min(minLo, lo[i]);
            maxHi = Math.max(maxHi, hi[i]);
            int qRow = plan.qoStart(r) + i;
            for (int g = 0; g < group; g++) {
                int src = (qRow * hq + h * group + g) * d;
                int dst = (i * group + g) * d;
                for (int x = 0; x < d; x++) {
                    qv[dst + x] = HostData.getFloat(q, type, src + x);
                }
                if (rope != null) {
                    spec.getRope().rotate(qv, dst, Math.max(p, 0), rope);
                }
            }
        }
        Scratch sc = scratch(d);
        if (sc.qk.length < group * T) {
            sc.qk = new float[group * T];
            sc.p = new float[group * T];
            sc.scale = new float[group];
        }
        float smScale = spec.getSmScale();
        float cap = spec.getLogitsSoftCap();
        boolean alibi = spec.getPosMode() == AttentionConfig.POS_ALIBI;
        RopeTable table = spec.getRope();
        // keys stored rotated (POS_ROPE_Q) are used as read
        boolean rotateKeys = rope != null && spec.getPosMode() == AttentionConfig.POS_ROPE;
        if (minLo < maxHi) {
            int firstTile = minLo - Math.floorMod(minLo, T);
            for (int t0 = firstTile; t0 < maxHi; t0 += T) {
                int t1 = Math.min(t0 + T, maxHi);
                int a0 = Math.max(t0, minLo);
                for (int j = a0; j < t1; j++) {
                    int off = kvOffset(plan, r, j, h, hkv, d, hnd);
                    int dst = (j - t0) * d;
                    load(kv, type, off, sc.k, dst, d);
                    load(vv, type, off, sc.v, dst, d);
                    if (rotateKeys) {
                        table.rotate(sc.k, dst, j, rope);
                    }
                }
                for (int i = 0; i < qoLen; i++) {
                    int a = Math.max(lo[i], t0);
                    int e = Math.min(hi[i], t0 + T);
                    if (a >= e) {
                        continue;
                    }
                    int n = e - a;
                    int qo = i * group * d;
                    AttentionKernels.scores(vector, qv, qo, group, sc.k, (a - t0) * d, n, d, sc.qk, 0, T);
                    for (int g = 0; g < group; g++) {
                        int row = i * group + g;
                        int so = g * T;
                        float tileMax;
                        if (!alibi && cap <= 0f) {
                            for (int j = 0; j < n; j++) {
                                sc.qk[so + j] *= smScale;
                            }
                            tileMax = AttentionKernels.max(vector, sc.qk, so, n);
                        } else {
                            float slope = alibi ? spec.alibiSlope(h * group + g) : 0f;
                            tileMax = Float.NEGATIVE_INFINITY;
                            for (int j = 0; j < n; j++) {
                                float sc0 = sc.qk[so + j] * smScale;
                                if (alibi) {
                                    sc0 += slope * (a + j - pos[i]);
                                }
                                if (cap > 0f) {
                                    sc0 = cap * FastMath.tanh(sc0 / cap);
                                }
                                sc.qk[so + j] = sc0;
                                tileMax = Math.max(tileMax, sc0);
                            }
                        }
                        float mNew = Math.max(m[row], tileMax);
                        float scale = FastMath.exp(m[row] - mNew);
                        m[row] = mNew;
                        sc.scale[g] = scale;
                        AttentionKernels.exp(vector, sc.qk, so, n, mNew, sc.p, so);
                        float sum = l[row] * scale;
                        for (int j = 0; j < n; j++) {
                            sum += sc.p[so + j];
                        }
                        l[row] = sum;
                    }
                    // p·v for all heads of the position at once: one pass over each value row
                    AttentionKernels.accumulate(vector, acc, qo, group, sc.scale, sc.p, 0, T, sc.v, (a - t0) * d, n, d);
                }
            }
        }
        int per = qoLen * hq;
        for (int i = 0; i < qoLen; i++) {
            for (int g = 0; g < group; g++) {
                int row = i * group + g;
                int state = base + s * per + i * hq + h * group + g;
                int o = state * d;
                if (l[row] == 0f) {
                    partLse[state] = Float.NEGATIVE_INFINITY;
                    Arrays.fill(partO, o, o + d, 0f);
                } else {
                    float inv = 1f / l[row];
                    for (int x = 0; x < d; x++) {
                        partO[o + x] = acc[row * d + x] * inv;
                    }
                    partLse[state] = m[row] + FastMath.log(l[row]);
                }
            }
        }
    }

    private static int kvOffset(AttentionWork plan, int r, int pos, int h, int hkv, int d, boolean hnd) {
        if (!plan.isPaged()) {
            return ((plan.kvStart(r) + pos) * hkv + h) * d;
        }
        int ps = plan.getPageSize();
        int page = plan.page(r, pos);
        int slot = pos % ps;
        return !hnd ? ((page * ps + slot) * hkv + h) * d : ((page * hkv + h) * ps + slot) * d;
    }

    private static void load(Object src, DataType type, int off, float[] dst, int dstOff, int d) {
        switch (type) {
            case FLOAT32:
                System.arraycopy(src, off, dst, dstOff, d);
                break;
            case FLOAT16:
                short[] h = (short[]) src;
                for (int x = 0; x < d; x++) {
                    dst[dstOff + x] = Half.fromFloat16(h[off + x]);
                }
                break;
            default:
                short[] bf = (short[]) src;
                for (int x = 0; x < d; x++) {
                    dst[dstOff + x] = Half.fromBFloat16(bf[off + x]);
                }
        }
    }
}
