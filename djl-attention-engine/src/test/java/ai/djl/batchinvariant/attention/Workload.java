/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Test fixture: a set of requests with full-length logical q, k and v (random, already rounded to
 * the data type), written once into a paged cache. Any batch of query segments — full prefill,
 * decode steps, prefill chunks — can then be run against it and compared bitwise, and every row
 * can be checked against the float64 reference.
 */
final class Workload implements AutoCloseable {

    /** Rows [from, to) of request r, attending over its first kvLen positions. */
    static final class Segment {
        final int request;
        final int from;
        final int to;
        final int kvLen;

        Segment(int request, int from, int to, int kvLen) {
            this.request = request;
            this.from = from;
            this.to = to;
            this.kvLen = kvLen;
        }
    }

    /** Outputs of one run, per (request, position): o (Hq*D) and lse (Hq). */
    static final class Result {
        final float[][][] o;
        final float[][][] lse;

        Result(int[] lens) {
            o = new float[lens.length][][];
            lse = new float[lens.length][][];
            for (int r = 0; r < lens.length; r++) {
                o[r] = new float[lens[r]][];
                lse[r] = new float[lens[r]][];
            }
        }
    }

    final AttentionSpec spec;
    final DataType type;
    final int[] lens;
    final int pageSize;
    final KvLayout layout;
    final float[][] q;
    final float[][] k;
    final float[][] v;
    final NDManager manager;
    final PagedKvCache cache;
    final Device device;
    final int[][] pages;

    Workload(NDManager manager, AttentionSpec spec, DataType type, int[] lens, int pageSize, KvLayout layout,
            long placementSeed, long dataSeed) {
        this(manager, spec, type, lens, pageSize, layout, placementSeed, dataSeed, null);
    }

    /** As above, with the cache and queries on {@code device} (null: the manager's device). */
    Workload(NDManager manager, AttentionSpec spec, DataType type, int[] lens, int pageSize, KvLayout layout,
            long placementSeed, long dataSeed, Device device) {
        this.spec = spec;
        this.type = type;
        this.lens = lens.clone();
        this.pageSize = pageSize;
        this.layout = layout;
        this.manager = manager;
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        Random rnd = new Random(dataSeed);
        q = new float[lens.length][];
        k = new float[lens.length][];
        v = new float[lens.length][];
        int totalPages = 0;
        for (int r = 0; r < lens.length; r++) {
            q[r] = random(rnd, lens[r] * hq * d, 1.5f);
            k[r] = random(rnd, lens[r] * hkv * d, 1.5f);
            v[r] = random(rnd, lens[r] * hkv * d, 1f);
            totalPages += (lens[r] + pageSize - 1) / pageSize;
        }
        PageTable table = new PageTable(totalPages + 3, pageSize, placementSeed);
        int[] all = new int[lens.length];
        for (int r = 0; r < lens.length; r++) {
            table.extend(r, lens[r]);
            all[r] = r;
        }
        int[][] b = table.batch(all);
        pages = new int[lens.length][];
        for (int r = 0; r < lens.length; r++) {
            pages[r] = Arrays.copyOfRange(b[1], b[0][r], b[0][r + 1]);
        }
        this.device = device;
        PagedKvCache host = PagedKvCache.create(manager, totalPages + 3, pageSize, hkv, d, layout, type);
        int[] appendIndptr = new int[lens.length + 1];
        for (int r = 0; r < lens.length; r++) {
            appendIndptr[r + 1] = appendIndptr[r] + lens[r];
        }
        float[] kAll = concat(k);
        float[] vAll = concat(v);
        try (NDArray ka = array(kAll, new Shape(appendIndptr[lens.length], hkv, d));
                NDArray va = array(vAll, new Shape(appendIndptr[lens.length], hkv, d))) {
            host.append(spec, ka, va, appendIndptr, b[0], b[1], b[2]);
        }
        if (device == null) {
            cache = host;
        } else {
            cache = host.toDevice(device);
            host.close();
        }
    }

    private float[] random(Random rnd, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float f = (float) (rnd.nextGaussian() * scale);
            x[i] = HostData.getFloat(HostData.fromFloats(new float[] {f}, type), type, 0);
        }
        return x;
    }

    private static float[] concat(float[][] parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    NDArray array(float[] values, Shape shape) {
        NDArray a = manager.create(values, shape);
        if (type == DataType.FLOAT32) {
            return a;
        }
        NDArray t = a.toType(type, false);
        a.close();
        return t;
    }

    /** Causal segments: all rows of each request in one piece. */
    static List<Segment> fullPrefill(int[] lens, int... requests) {
        List<Segment> s = new ArrayList<>();
        for (int r : requests) {
            s.add(new Segment(r, 0, lens[r], lens[r]));
        }
        return s;
    }

    /** Plans a paged batch of segments. */
    BatchPlan plan(BatchAttention attention, List<Segment> segs) {
        int n = segs.size();
        int[] qo = new int[n + 1];
        int[] kvIndptr = new int[n + 1];
        int[] last = new int[n];
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Segment s = segs.get(i);
            qo[i + 1] = qo[i] + s.to - s.from;
            int np = (s.kvLen + pageSize - 1) / pageSize;
            for (int p = 0; p < np; p++) {
                idx.add(pages[s.request][p]);
            }
            kvIndptr[i + 1] = idx.size();
            last[i] = (s.kvLen - 1) % pageSize + 1;
        }
        return attention.planPrefill(qo, kvIndptr, idx.stream().mapToInt(Integer::intValue).toArray(), last, pageSize);
    }

    /** The q rows of a list of segments, concatenated. */
    NDArray queries(List<Segment> segs) {
        int hq = spec.getNumQoHeads();
        int d = spec.getHeadDim();
        int rows = 0;
        for (Segment s : segs) {
            rows += s.to - s.from;
        }
        float[] out = new float[rows * hq * d];
        int o = 0;
        for (Segment s : segs) {
            int len = (s.to - s.from) * hq * d;
            System.arraycopy(q[s.request], s.from * hq * d, out, o, len);
            o += len;
        }
        NDArray a = array(out, new Shape(rows, hq, d));
        if (device == null) {
            return a;
        }
        NDArray g = a.toDevice(device, false);
        a.close();
        return g;
    }

    /** Runs a batch of segments and scatters the rows back to (request, position). */
    Result run(BatchAttention attention, List<Segment> segs, Result into) {
        BatchPlan plan = plan(attention, segs);
        Result res = into == null ? new Result(lens) : into;
        int hq = spec.getNumQoHeads();
        int d = spec.getHeadDim();
        try (NDArray qa = queries(segs);
                AttentionOutput out = attention.run(plan, qa, cache)) {
            NDArray ho = out.getOutput().toDevice(Device.cpu(), false);
            NDArray of = ho.toType(DataType.FLOAT32, false);
            float[] o = of.toFloatArray();
            float[] lse = out.getLse().toDevice(Device.cpu(), false).toFloatArray();
            int row = 0;
            for (Segment s : segs) {
                for (int p = s.from; p < s.to; p++, row++) {
                    res.o[s.request][p] = Arrays.copyOfRange(o, row * hq * d, (row + 1) * hq * d);
                    res.lse[s.request][p] = Arrays.copyOfRange(lse, row * hq, (row + 1) * hq);
                }
            }
            if (of != out.getOutput()) {
                of.close();
            }
        }
        return res;
    }

    /** float64 reference of one row: returns o (Hq*D) followed by lse (Hq). */
    double[] reference(int r, int p, int kvLen) {
        int hq = spec.getNumQoHeads();
        int hkv = spec.getNumKvHeads();
        int d = spec.getHeadDim();
        int group = hq / hkv;
        double[] out = new double[hq * d + hq];
        int window = spec.getWindowLeft();
        for (int g = 0; g < hq; g++) {
            int h = g / group;
            double[] qv = new double[d];
            for (int x = 0; x < d; x++) {
                qv[x] = q[r][(p * hq + g) * d + x];
            }
            if (spec.getPosEncoding() == PosEncoding.ROPE_LLAMA) {
                qv = rotate(qv, p);
            }
            int hi = spec.isCausal() ? Math.min(p + 1, kvLen) : kvLen;
            int lo = window >= 0 ? Math.max(0, p - window) : 0;
            double[] s = new double[Math.max(0, hi - lo)];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = lo; j < hi; j++) {
                double[] kv = new double[d];
                for (int x = 0; x < d; x++) {
                    kv[x] = k[r][(j * hkv + h) * d + x];
                }
                if (spec.getPosEncoding() == PosEncoding.ROPE_LLAMA) {
                    kv = rotate(kv, j);
                }
                double dot = 0;
                for (int x = 0; x < d; x++) {
                    dot += qv[x] * kv[x];
                }
                double sc = dot * spec.getSmScale();
                if (spec.getPosEncoding() == PosEncoding.ALIBI) {
                    sc += (double) spec.alibiSlope(g) * (j - p);
                }
                if (spec.getLogitsSoftCap() > 0) {
                    double c = spec.getLogitsSoftCap();
                    sc = c * Math.tanh(sc / c);
                }
                s[j - lo] = sc;
                max = Math.max(max, sc);
            }
            double sum = 0;
            for (double sc : s) {
                sum += Math.exp(sc - max);
            }
            for (int j = lo; j < hi; j++) {
                double w = Math.exp(s[j - lo] - max) / sum;
                for (int x = 0; x < d; x++) {
                    out[g * d + x] += w * v[r][(j * hkv + h) * d + x];
                }
            }
            out[hq * d + g] = hi > lo ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
        }
        return out;
    }

    private double[] rotate(double[] x, int pos) {
        int half = x.length / 2;
        double[] y = new double[x.length];
        RopeTable t = spec.getRope();
        for (int i = 0; i < half; i++) {
            double a = t.angle(pos, i);
            double c = Math.cos(a);
            double s = Math.sin(a);
            y[i] = x[i] * c - x[i + half] * s;
            y[i + half] = x[i + half] * c + x[i] * s;
        }
        return y;
    }

    @Override
    public void close() {
        cache.close();
    }
}
