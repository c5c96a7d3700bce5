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
 * Batch attention in plain Java. Work items are (request, chunk, run of KV heads): each computes the
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
        int nh = headsPerItem(totalSplits, hkv, Parallel.threads());
        int headGroups = hkv / nh;
        int items = totalSplits * headGroups;
        float[][] rope = spec.rotatesQueries() ? spec.getRope().upTo(maxKv(plan)) : null;
        Parallel.forEach(items, (long) T * d * 4 * nh, item -> {
            int split = item / headGroups;
            int h0 = item % headGroups * nh;
            int r = itemReq[split];
            int s = split - plan.splitStart(r);
            chunk(plan, r, h0, nh, s, q, kv, vv, type, hnd, rope, partO, partLse,
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

    /** Scratch for one work item: a KV tile of up to {@code heads} heads, and the scores. */
    private static final class Scratch {
        final int d;
        final int heads;
        final float[] k;
        final float[] v;
        float[] qk = new float[0];
        float[] p = new float[0];
        float[] scale = new float[0];

        Scratch(int d, int heads) {
            this.d = d;
            this.heads = heads;
            k = new float[heads * T * d];
            v = new float[heads * T * d];
        }
    }

    private static final ThreadLocal<Scratch[]> SCRATCH = ThreadLocal.withInitial(() -> new Scratch[3]);

    private static Scratch scratch(int d, int heads) {
        Scratch[] s = SCRATCH.get();
        int slot = d == 64 ? 0 : d == 128 ? 1 : 2;
        if (s[slot] == null || s[slot].d != d || s[slot].heads < heads) {
            s[slot] = new Scratch(d, heads);
        }
        return s[slot];
    }

    /**
     * KV heads a work item takes: as many as leave at least four items a thread. A tile's rows of
     * consecutive heads lie side by side in the cache, so an item over several heads reads each
     * tile position's heads in one sequential run (a head alone reads one row every {@code hkv *
     * d} floats, a stride the cores' prefetchers do not follow across pages). The choice moves
     * work between threads only: every head's operations are the same.
     *
     * @param splits the work's chunks over all requests
     * @param hkv the KV heads
     * @param threads the threads that will run the items
     * @return a divisor of hkv
     */
    public static int headsPerItem(int splits, int hkv, int threads) {
        int per = hkv;
        while (per > 1 && (long) splits * (hkv / per) < 4L * threads) {
            do {
                per--;
            } while (hkv % per != 0);
        }
        return per;
    }

    /**
     * One work item: chunk s of request r for KV heads h0 to h0 + nh - 1. Per tile of {@link #T}
     * positions the keys and values of all nh heads are loaded position by position (one run of
     * the cache), then each head takes the tile as a head alone would.
     */
    private static void chunk(AttentionWork plan, int r, int h0, int nh, int s, Object q, Object kv, Object vv,
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
        // per (head of the item, row, head in group): running max, sum, accumulator
        float[] m = new float[nh * rows];
        float[] l = new float[nh * rows];
        float[] acc = new float[nh * rows * d];
        float[] qv = new float[nh * rows * d];
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
            for (int hh = 0; hh < nh; hh++) {
                for (int g = 0; g < group; g++) {
                    int src = (qRow * hq + (h0 + hh) * group + g) * d;
                    int dst = (hh * rows + i * group + g) * d;
                    for (int x = 0; x < d; x++) {
                        qv[dst + x] = HostData.getFloat(q, type, src + x);
                    }
                    if (rope != null) {
                        spec.getRope().rotate(qv, dst, Math.max(p, 0), rope);
                    }
                }
            }
        }
        Scratch sc = scratch(d, nh);
        if (sc.qk.length < group * T) {
            sc.qk = new float[group * T];
            sc.p = new float[group * T];
            sc.scale = new float[group];
        }
        RopeTable table = spec.getRope();
        // keys stored rotated (POS_ROPE_Q) are used as read
        boolean rotateKeys = rope != null && spec.getPosMode() == AttentionConfig.POS_ROPE;
        // consecutive heads of one position: d floats apart, or a page's rows apart in paged HND
        int headStride = plan.isPaged() && hnd ? plan.getPageSize() * d : d;
        if (minLo < maxHi) {
            int firstTile = minLo - Math.floorMod(minLo, T);
            for (int t0 = firstTile; t0 < maxHi; t0 += T) {
                int t1 = Math.min(t0 + T, maxHi);
                int a0 = Math.max(t0, minLo);
                for (int j = a0; j < t1; j++) {
                    int first = kvOffset(plan, r, j, h0, hkv, d, hnd);
                    for (int hh = 0; hh < nh; hh++) {
                        int off = first + hh * headStride;
                        int dst = (hh * T + j - t0) * d;
                        load(kv, type, off, sc.k, dst, d);
                        load(vv, type, off, sc.v, dst, d);
                        if (rotateKeys) {
                            table.rotate(sc.k, dst, j, rope);
                        }
                    }
                }
                for (int hh = 0; hh < nh; hh++) {
                    tile(spec, h0 + hh, hh * rows, hh * T * d, t0, qoLen, lo, hi, pos, qv, m, l, acc, sc, vector);
                }
            }
        }
        int per = qoLen * hq;
        for (int hh = 0; hh < nh; hh++) {
            for (int i = 0; i < qoLen; i++) {
                for (int g = 0; g < group; g++) {
                    int row = hh * rows + i * group + g;
                    int state = base + s * per + i * hq + (h0 + hh) * group + g;
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
    }

    /**
     * One KV head's work on one loaded tile: for each query position that sees part of it, the
     * scores of the head's query heads, their online-softmax update and p·v.
     *
     * @param h the KV head
     * @param rowBase the head's first row in m, l, acc and qv (rows of d in acc and qv)
     * @param kvBase the head's first element in the scratch's keys and values
     * @param t0 the tile's first position
     */
    private static void tile(AttentionConfig spec, int h, int rowBase, int kvBase, int t0, int qoLen, int[] lo,
            int[] hi, int[] pos, float[] qv, float[] m, float[] l, float[] acc, Scratch sc, boolean vector) {
        int group = spec.getNumQoHeads() / spec.getNumKvHeads();
        int d = spec.getHeadDim();
        float smScale = spec.getSmScale();
        float cap = spec.getLogitsSoftCap();
        boolean alibi = spec.getPosMode() == AttentionConfig.POS_ALIBI;
        for (int i = 0; i < qoLen; i++) {
            int a = Math.max(lo[i], t0);
            int e = Math.min(hi[i], t0 + T);
            if (a >= e) {
                continue;
            }
            int n = e - a;
            int qo = (rowBase + i * group) * d;
            AttentionKernels.scores(vector, qv, qo, group, sc.k, kvBase + (a - t0) * d, n, d, sc.qk, 0, T);
            for (int g = 0; g < group; g++) {
                int row = rowBase + i * group + g;
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
            AttentionKernels.accumulate(vector, acc, qo, group, sc.scale, sc.p, 0, T, sc.v, kvBase + (a - t0) * d,
                    n, d);
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
