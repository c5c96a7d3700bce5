/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Thousands of corrupted calls (plans, appends, runs, caches) interleaved with valid batches, with
 * fixed seeds: every bad call is refused with IllegalArgumentException or IllegalStateException,
 * the cache's bytes never change under a refused call, and every valid answer is bitwise its
 * request's solo answer. {@code -Dfuzz.calls=N} runs a larger sweep; the {@code gpu} variant runs a
 * third of the calls on gpu(0) with a bfloat16 cache (under compute-sanitizer in the GPU runs).
 */
class AttentionFuzzTest {

    private static final int CALLS = Integer.getInteger("fuzz.calls", 3000);
    private static final int PAGE = 16;
    private static final int PAGES = 48;
    private static final int HQ = 4;
    private static final int HKV = 2;
    private static final int D = 64;
    private static final int[] LENS = {37, 5, 120, 64, 1};

    @Test
    void corruptedCallsAreRefusedAndNeverCorruptAnything() {
        fuzz(Device.cpu(), DataType.FLOAT32, CALLS);
    }

    @Test
    @Tag("gpu")
    void corruptedCallsOnTheGpu() {
        Assumptions.assumeTrue(Backends.gpuCount() > 0, "needs a CUDA device");
        fuzz(Device.gpu(0), DataType.BFLOAT16, CALLS / 3);
    }

    private static void fuzz(Device device, DataType type, int calls) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(D).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(64)).build();
        BatchAttention attn = new BatchAttention(spec);
        Random rnd = new Random(20261125);
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(device);
                PagedKvCache cache = PagedKvCache.create(m, PAGES, PAGE, HKV, D, KvLayout.NHD, type)) {
            // pages of each request, scattered over the pool
            List<Integer> free = new ArrayList<>();
            for (int p = 0; p < PAGES; p++) {
                free.add(p);
            }
            Collections.shuffle(free, rnd);
            int[][] pages = new int[LENS.length][];
            int at = 0;
            for (int r = 0; r < LENS.length; r++) {
                pages[r] = new int[(LENS[r] + PAGE - 1) / PAGE];
                for (int i = 0; i < pages[r].length; i++) {
                    pages[r][i] = free.get(at++);
                }
                float[] kv = random(rnd, LENS[r] * HKV * D);
                NDArray k = m.create(kv, new Shape(LENS[r], HKV, D)).toType(type, false);
                NDArray v = m.create(random(rnd, LENS[r] * HKV * D), new Shape(LENS[r], HKV, D)).toType(type, false);
                cache.append(k, v, new int[] {0, LENS[r]}, new int[] {0, pages[r].length}, pages[r],
                        new int[] {(LENS[r] - 1) % PAGE + 1});
            }
            float[][] q = new float[LENS.length][];
            float[][] solo = new float[LENS.length][];
            for (int r = 0; r < LENS.length; r++) {
                q[r] = random(rnd, HQ * D);
                solo[r] = run(attn, m, cache, pages, new int[] {r}, q);
            }
            byte[] checksum = bytes(cache);
            Map<String, Integer> refusals = new TreeMap<>();
            int valid = 0;
            for (int call = 0; call < calls; call++) {
                if (rnd.nextInt(3) == 0) {
                    // a valid decode batch: random subset, random order
                    List<Integer> order = new ArrayList<>();
                    for (int r = 0; r < LENS.length; r++) {
                        order.add(r);
                    }
                    Collections.shuffle(order, rnd);
                    int[] batch = order.subList(0, 1 + rnd.nextInt(LENS.length)).stream().mapToInt(i -> i).toArray();
                    float[] out = run(attn, m, cache, pages, batch, q);
                    for (int i = 0; i < batch.length; i++) {
                        float[] row = Arrays.copyOfRange(out, i * HQ * D, (i + 1) * HQ * D);
                        assertArrayEquals(bits(solo[batch[i]]), bits(row), "call " + call + ", request " + batch[i]);
                    }
                    valid++;
                    continue;
                }
                String kind = badCall(rnd, attn, m, cache, pages, q);
                refusals.merge(kind, 1, Integer::sum);
                assertArrayEquals(checksum, bytes(cache), "a refused " + kind + " changed the cache");
            }
            System.out.println("[fuzz] " + device + ": " + calls + " calls: " + valid + " valid batches bitwise equal to solo; refused "
                    + refusals);
            assertTrue(valid > 0 && refusals.size() > 1);
        }
    }

    /** Makes one corrupted call and checks it is refused with the right type; returns its kind. */
    private static String badCall(Random rnd, BatchAttention attn, NDManager m, PagedKvCache cache, int[][] pages,
            float[][] q) {
        int r = rnd.nextInt(LENS.length);
        int[] idx = pages[r].clone();
        int[] indptr = {0, idx.length};
        int[] last = {(LENS[r] - 1) % PAGE + 1};
        int which = rnd.nextInt(12);
        String kind;
        Supplier<Object> call;
        switch (which) {
            case 0:
                idx[rnd.nextInt(idx.length)] = PAGES + rnd.nextInt(1000);
                kind = "page outside the pool";
                call = () -> attn.run(attn.planDecode(indptr, idx, last, PAGE), qArray(m, cache, q, r), cache);
                break;
            case 1:
                idx[rnd.nextInt(idx.length)] = -1 - rnd.nextInt(5);
                kind = "negative page";
                call = () -> attn.planDecode(indptr, idx, last, PAGE);
                break;
            case 2:
                kind = "last page length";
                int bad = rnd.nextBoolean() ? 0 : PAGE + 1 + rnd.nextInt(5);
                call = () -> attn.planDecode(indptr, idx, new int[] {bad}, PAGE);
                break;
            case 3:
                kind = "non-monotone indptr";
                call = () -> attn.planDecode(new int[] {0, idx.length, idx.length - 1}, idx, new int[] {1, 1}, PAGE);
                break;
            case 4:
                kind = "page size";
                call = () -> attn.run(attn.planDecode(indptr, idx, last, PAGE * 2), qArray(m, cache, q, r), cache);
                break;
            case 5:
                kind = "q shape";
                call = () -> attn.run(attn.planDecode(indptr, idx, last, PAGE),
                        m.zeros(new Shape(2, HQ, D), cache.getDataType()), cache);
                break;
            case 6:
                kind = "q dtype";
                call = () -> attn.run(attn.planDecode(indptr, idx, last, PAGE),
                        m.create(q[r], new Shape(1, HQ, D)).toType(
                                cache.getDataType() == DataType.FLOAT16 ? DataType.BFLOAT16 : DataType.FLOAT16, false),
                        cache);
                break;
            case 7:
                kind = "append past the pages";
                int n = LENS[r] + 1 + rnd.nextInt(PAGE);
                call = () -> {
                    cache.append(m.ones(new Shape(n, HKV, D), cache.getDataType()),
                            m.ones(new Shape(n, HKV, D), cache.getDataType()), new int[] {0, n}, indptr, idx, last);
                    return null;
                };
                break;
            case 8:
                kind = "append shape";
                call = () -> {
                    cache.append(m.ones(new Shape(1, HKV + 1, D), cache.getDataType()),
                            m.ones(new Shape(1, HKV, D), cache.getDataType()), new int[] {0, 1}, indptr, idx, last);
                    return null;
                };
                break;
            case 9:
                kind = "null field";
                call = () -> attn.planDecode(indptr, null, last, PAGE);
                break;
            case 10:
                kind = "cache size";
                call = () -> PagedKvCache.create(m, rnd.nextBoolean() ? 0 : -rnd.nextInt(9), PAGE, HKV, D,
                        KvLayout.NHD, cache.getDataType());
                break;
            default:
                kind = "causal qo past kv";
                call = () -> attn.planPrefill(new int[] {0, LENS[r] + 1}, indptr, idx, last, PAGE);
                break;
        }
        try {
            Object o = call.get();
            fail(kind + " was accepted: " + o);
        } catch (IllegalArgumentException | IllegalStateException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty(), kind);
        } catch (RuntimeException e) {
            throw new AssertionError(kind + " raised " + e, e);
        }
        return kind;
    }

    private static float[] run(BatchAttention attn, NDManager m, PagedKvCache cache, int[][] pages, int[] batch,
            float[][] q) {
        int b = batch.length;
        int[] indptr = new int[b + 1];
        List<Integer> idx = new ArrayList<>();
        int[] last = new int[b];
        float[] qs = new float[b * HQ * D];
        for (int i = 0; i < b; i++) {
            int r = batch[i];
            for (int p : pages[r]) {
                idx.add(p);
            }
            indptr[i + 1] = idx.size();
            last[i] = (LENS[r] - 1) % PAGE + 1;
            System.arraycopy(q[r], 0, qs, i * HQ * D, HQ * D);
        }
        BatchPlan plan = attn.planDecode(indptr, idx.stream().mapToInt(Integer::intValue).toArray(), last, PAGE);
        try (NDManager s = m.newSubManager();
                AttentionOutput out = attn.run(plan, s.create(qs, new Shape(b, HQ, D)).toType(cache.getDataType(), false),
                        cache)) {
            return out.getOutput().toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    private static NDArray qArray(NDManager m, PagedKvCache cache, float[][] q, int r) {
        return m.create(q[r], new Shape(1, HQ, D)).toType(cache.getDataType(), false);
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToRawIntBits(x[i]);
        }
        return b;
    }

    private static byte[] bytes(PagedKvCache cache) {
        ByteBuffer k = cache.getKeys().toByteBuffer();
        ByteBuffer v = cache.getValues().toByteBuffer();
        byte[] out = new byte[k.remaining() + v.remaining()];
        k.get(out, 0, k.remaining());
        v.get(out, out.length - v.remaining(), v.remaining());
        assertEquals(out.length,
                (int) (cache.getKeys().size() + cache.getValues().size()) * cache.getDataType().getNumOfBytes());
        return out;
    }
}
