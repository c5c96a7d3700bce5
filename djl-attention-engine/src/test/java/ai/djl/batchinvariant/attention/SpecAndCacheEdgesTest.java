/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.RopeTable;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The spec builder's limits from both sides and what a spec keeps (also through {@code
 * withSplitPolicy}); ALiBi slopes against the ALiBi paper's rule, written here, for power-of-two
 * and other head counts; the paged cache's shape, offsets (NHD and HND, by hand), element reads
 * and limits; and the API's argument checks that the other bad-input tests leave open, including
 * a decode graph driven by a stand-in step so its own checks run without a GPU.
 */
class SpecAndCacheEdgesTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static void rejects(Executable call) {
        assertThrows(IllegalArgumentException.class, call);
    }

    private static AttentionSpec.Builder base() {
        return AttentionSpec.builder().setHeads(4, 2).setHeadDim(64);
    }

    @Test
    void builderLimits() {
        assertEquals(1, AttentionSpec.builder().setHeads(1, 1).setHeadDim(64).build().getNumQoHeads());
        rejects(() -> AttentionSpec.builder().setHeads(0, 1).setHeadDim(64).build());
        rejects(() -> AttentionSpec.builder().setHeads(4, 0).setHeadDim(64).build());
        rejects(() -> AttentionSpec.builder().setHeads(4, 3).setHeadDim(64).build());
        for (int d : new int[] {32, 64, 128, 256}) {
            assertEquals(d, base().setHeadDim(d).build().getHeadDim());
        }
        for (int d : new int[] {16, 63, 96, 512}) {
            rejects(() -> base().setHeadDim(d).build());
        }
        rejects(() -> base().optPosEncoding(null).build());
        rejects(() -> base().optSplitPolicy(null).build());
        // sm_scale: positive and finite, or unset
        assertEquals(0.5f, base().optSmScale(0.5f).build().getSmScale());
        assertEquals(Float.MIN_VALUE, base().optSmScale(Float.MIN_VALUE).build().getSmScale());
        rejects(() -> base().optSmScale(0f).build());
        rejects(() -> base().optSmScale(-1f).build());
        rejects(() -> base().optSmScale(Float.POSITIVE_INFINITY).build());
        assertEquals((float) (1 / Math.sqrt(64)), base().build().getSmScale());
        assertEquals((float) (1 / Math.sqrt(128)), base().setHeadDim(128).build().getSmScale());
        // soft cap: 0 (off) or positive and finite
        assertEquals(0f, base().build().getLogitsSoftCap());
        assertEquals(30f, base().optLogitsSoftCap(30f).build().getLogitsSoftCap());
        rejects(() -> base().optLogitsSoftCap(-1f).build());
        rejects(() -> base().optLogitsSoftCap(Float.NaN).build());
        rejects(() -> base().optLogitsSoftCap(Float.POSITIVE_INFINITY).build());
        // window: -1 (off) or >= 0
        assertEquals(-1, base().build().getWindowLeft());
        assertEquals(0, base().optWindowLeft(0).build().getWindowLeft());
        rejects(() -> base().optWindowLeft(-2).build());
        // rope theta and scale positive
        rejects(() -> base().optRope(0, 1).build());
        rejects(() -> base().optRope(10000, 0).build());
        rejects(() -> base().optRope(Double.NaN, 1).build());
        // llama3: factor >= 0; when > 0 the high frequency factor must exceed the low one
        base().optLlama3Scaling(0, 4, 1, 8192).build();
        base().optLlama3Scaling(8, 1, 1.0001, 8192).build();
        rejects(() -> base().optLlama3Scaling(-1, 1, 4, 8192).build());
        rejects(() -> base().optLlama3Scaling(8, 1, 1, 8192).build());
        rejects(() -> base().optLlama3Scaling(8, 4, 1, 8192).build());
    }

    @Test
    void specKeepsWhatItWasGivenAlsoThroughWithSplitPolicy() {
        AttentionSpec s = AttentionSpec.builder().setHeads(8, 2).setHeadDim(128).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 2).optLlama3Scaling(8, 1, 4, 8192)
                .optSmScale(0.25f).optLogitsSoftCap(50f).optWindowLeft(99).optSplitPolicy(SplitPolicy.fixed(256))
                .build();
        SplitPolicy other = SplitPolicy.disabled();
        AttentionSpec t = s.withSplitPolicy(other);
        for (AttentionSpec x : new AttentionSpec[] {s, t}) {
            assertEquals(8, x.getNumQoHeads());
            assertEquals(2, x.getNumKvHeads());
            assertEquals(128, x.getHeadDim());
            assertTrue(x.isCausal());
            assertSame(PosEncoding.ROPE_LLAMA, x.getPosEncoding());
            assertEquals(0.25f, x.getSmScale());
            assertEquals(50f, x.getLogitsSoftCap());
            assertEquals(99, x.getWindowLeft());
            RopeTable rope = x.getRope();
            assertNotNull(rope);
            assertEquals(500000, rope.theta);
            assertEquals(2, rope.scale);
            assertEquals(8, rope.llama3Factor);
            assertEquals(1, rope.lowFreqFactor);
            assertEquals(4, rope.highFreqFactor);
            assertEquals(8192, rope.originalMaxPosition);
            assertEquals(0f, x.alibiSlope(3));
        }
        assertEquals(256, s.getSplitPolicy().getSplitSize());
        assertSame(other, t.getSplitPolicy());
        String str = s.toString();
        for (String part : new String[] {"Hq=8", "Hkv=2", "D=128", "causal=true", "ROPE_LLAMA", "smScale=0.25",
            "softCap=50.0", "windowLeft=99", "FIXED(256)"}) {
            assertTrue(str.contains(part), str + " should contain " + part);
        }
        AttentionSpec plain = base().build();
        assertFalse(plain.isCausal());
        assertSame(PosEncoding.NONE, plain.getPosEncoding());
        assertNull(plain.getRope());
        assertNull(plain.withSplitPolicy(SplitPolicy.auto()).getRope());
        assertSame(SplitPolicy.Kind.FIXED, plain.getSplitPolicy().getKind());
        assertEquals(1024, plain.getSplitPolicy().getSplitSize());
    }

    /** ALiBi (Press et al.): for 2^k heads, 2^(-8i/n), i = 1..n; otherwise the 2^k closest below, then every other slope of 2^(k+1) heads. */
    private static double[] alibiReference(int n) {
        int p = 1;
        while (p * 2 <= n) {
            p *= 2;
        }
        double[] s = new double[n];
        for (int i = 0; i < p; i++) {
            s[i] = Math.pow(2, -8.0 * (i + 1) / p);
        }
        int q = 2 * p;
        for (int j = 0; p + j < n; j++) {
            // slopes of 2p heads are 2^(-8(i+1)/2p); take i = 0, 2, 4, ...
            s[p + j] = Math.pow(2, -8.0 * (2 * j + 1) / q);
        }
        return s;
    }

    @Test
    void alibiSlopesFollowThePaper() {
        for (int n : new int[] {1, 2, 3, 4, 6, 8, 12, 16, 20, 32}) {
            AttentionSpec s = AttentionSpec.builder().setHeads(n, 1).setHeadDim(64).optPosEncoding(PosEncoding.ALIBI).build();
            double[] want = alibiReference(n);
            for (int h = 0; h < n; h++) {
                assertEquals(want[h], s.alibiSlope(h), 1e-7 * want[h], "n=" + n + " head " + h);
            }
            assertNull(s.getRope());
        }
        assertEquals(0.5f, AttentionSpec.builder().setHeads(8, 1).setHeadDim(64).optPosEncoding(PosEncoding.ALIBI)
                .build().alibiSlope(0));
    }

    @Test
    void cacheShapeOffsetsAndReads() {
        for (KvLayout layout : KvLayout.values()) {
            PagedKvCache c = PagedKvCache.create(manager, 3, 4, 2, 64, layout, DataType.FLOAT32);
            assertEquals(3, c.getNumPages());
            assertEquals(4, c.getPageSize());
            assertEquals(2, c.getNumKvHeads());
            assertEquals(64, c.getHeadDim());
            assertSame(layout, c.getLayout());
            assertSame(DataType.FLOAT32, c.getDataType());
            Shape want = layout == KvLayout.NHD ? new Shape(3, 4, 2, 64) : new Shape(3, 2, 4, 64);
            assertEquals(want, c.getKeys().getShape());
            assertEquals(want, c.getValues().getShape());
            // offsets by hand: NHD [page][slot][head][d], HND [page][head][slot][d]
            int nhd = ((2 * 4 + 3) * 2 + 1) * 64;
            int hnd = ((2 * 2 + 1) * 4 + 3) * 64;
            assertEquals(layout == KvLayout.NHD ? nhd : hnd, c.offset(2, 3, 1));
            assertEquals(layout == KvLayout.NHD ? 64 : 256, c.offset(0, 0, 1));
            assertEquals(layout == KvLayout.NHD ? 128 : 64, c.offset(0, 1, 0));
            // one token appended to page 2, slot 1 (a two-token request on that page)
            NDArray k = manager.arange(2 * 2 * 64).toType(DataType.FLOAT32, false).reshape(2, 2, 64);
            NDArray v = k.neg();
            c.append(k, v, new int[] {0, 2}, new int[] {0, 1}, new int[] {2}, new int[] {2});
            assertEquals(2 * 64 + 5, c.get(false, 2, 1, 0, 5));
            assertEquals(-(3 * 64 + 7), c.get(true, 2, 1, 1, 7));
            assertEquals(64 + 1, c.get(false, 2, 0, 1, 1));
            assertEquals(0f, c.get(false, 1, 1, 1, 7));
            float[] flat = c.getKeys().toFloatArray();
            assertEquals(3 * 64 + 7, flat[(int) c.offset(2, 1, 1) + 7]);
            // a CPU copy is a copy
            PagedKvCache d = c.toDevice(Device.cpu());
            assertEquals(-(2 * 64 + 5), d.get(true, 2, 1, 0, 5));
            assertSame(layout, d.getLayout());
            assertEquals(4, d.getPageSize());
            c.close();
            assertTrue(c.getKeys().isReleased());
            assertTrue(c.getValues().isReleased());
            d.close();
        }
    }

    @Test
    void cacheLimits() {
        PagedKvCache.create(manager, 1, 1, 1, 1, KvLayout.NHD, DataType.FLOAT16).close();
        rejects(() -> PagedKvCache.create(manager, 0, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32));
        rejects(() -> PagedKvCache.create(manager, 2, 0, 2, 64, KvLayout.NHD, DataType.FLOAT32));
        rejects(() -> PagedKvCache.create(manager, 2, 4, 0, 64, KvLayout.NHD, DataType.FLOAT32));
        rejects(() -> PagedKvCache.create(manager, 2, 4, 2, 0, KvLayout.NHD, DataType.FLOAT32));
        rejects(() -> PagedKvCache.create(manager, 2, 4, 2, 64, null, DataType.FLOAT32));
        rejects(() -> PagedKvCache.create(manager, 2, 4, 2, 64, KvLayout.NHD, DataType.INT32));
        rejects(() -> PagedKvCache.create(null, 2, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32));
        // the last page of the pool is usable, one past it is not
        PagedKvCache c = PagedKvCache.create(manager, 2, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32);
        BatchAttention attn = new BatchAttention(base().build());
        NDArray q = manager.zeros(new Shape(1, 4, 64));
        attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 4), q, c).close();
        rejects(() -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {2}, new int[] {1}, 4), q, c));
        // a plan of another page size
        rejects(() -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 8), q, c));
        // a cache of other heads or head dim
        PagedKvCache wide = PagedKvCache.create(manager, 2, 4, 4, 64, KvLayout.NHD, DataType.FLOAT32);
        rejects(() -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 4), q, wide));
        PagedKvCache deep = PagedKvCache.create(manager, 2, 4, 2, 128, KvLayout.NHD, DataType.FLOAT32);
        rejects(() -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 4), q, deep));
        rejects(() -> attn.run(attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 4), q, null));
    }

    @Test
    void apiArgumentChecks() {
        rejects(() -> new BatchAttention(null));
        AttentionSpec spec = base().optCausal(true).build();
        BatchAttention attn = new BatchAttention(spec);
        assertSame(spec, attn.getSpec());
        BatchAttention other = new BatchAttention(base().optCausal(true).build());
        PagedKvCache c = PagedKvCache.create(manager, 2, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32);
        BatchPlan paged = attn.planDecode(new int[] {0, 1}, new int[] {1}, new int[] {1}, 4);
        BatchPlan ragged = attn.planRagged(new int[] {0, 1}, new int[] {0, 3}, null);
        NDArray q = manager.zeros(new Shape(1, 4, 64));
        NDArray kv = manager.zeros(new Shape(3, 2, 64));
        rejects(() -> attn.run(null, q, c));
        rejects(() -> other.run(paged, q, c));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> attn.run(ragged, q, c));
        assertTrue(e.getMessage().contains("plan is ragged; use runRagged"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> attn.runRagged(paged, q, kv, kv));
        assertTrue(e.getMessage().contains("plan is paged; use run"), e.getMessage());
        rejects(() -> attn.runRagged(ragged, null, kv, kv));
        rejects(() -> attn.runRagged(ragged, q, null, kv));
        rejects(() -> attn.runRagged(ragged, q, kv, null));
        rejects(() -> attn.runRagged(ragged, q.toType(DataType.INT32, false), kv, kv));
        // fewer KV rows than the plan reads, and a KV array of the wrong rank
        rejects(() -> attn.runRagged(ragged, q, manager.zeros(new Shape(2, 2, 64)), manager.zeros(new Shape(2, 2, 64))));
        rejects(() -> attn.runRagged(ragged, q, manager.zeros(new Shape(3, 128)), kv));
        // exactly the rows it reads is enough, and more are allowed
        attn.runRagged(ragged, q, kv, kv).close();
        NDArray more = manager.zeros(new Shape(5, 2, 64));
        attn.runRagged(ragged, q, more, more).close();
        // q of the wrong shape or type for the cache
        rejects(() -> attn.run(paged, manager.zeros(new Shape(2, 4, 64)), c));
        rejects(() -> attn.run(paged, manager.zeros(new Shape(1, 4, 64), DataType.FLOAT16), c));
        // a closed array and a closed manager
        NDManager sub = manager.newSubManager();
        NDArray gone = sub.zeros(new Shape(1, 4, 64));
        gone.close();
        rejects(() -> attn.run(paged, gone, c));
        NDArray orphan = sub.zeros(new Shape(1, 4, 64));
        sub.close();
        rejects(() -> attn.run(paged, orphan, c));
        // a CPU cache cannot be captured in a CUDA graph
        rejects(() -> attn.captureDecode(c, 8, 64));
        rejects(() -> attn.captureDecode(null, 8, 64));
        // merge arguments
        NDArray o = manager.zeros(new Shape(1, 4, 64));
        NDArray s = manager.zeros(new Shape(1, 4));
        rejects(() -> MergeStates.merge(null, s, o, s));
        rejects(() -> MergeStates.merge(o, null, o, s));
        rejects(() -> MergeStates.merge(o, s, null, s));
        rejects(() -> MergeStates.merge(o, s, o, null));
        rejects(() -> MergeStates.mergeStates(null, s));
        rejects(() -> MergeStates.mergeStates(o, s));
        rejects(() -> MergeStates.mergeStates(manager.zeros(new Shape(1, 2, 4, 64)), manager.zeros(new Shape(1, 4))));
        rejects(() -> MergeStates.mergeStates(manager.zeros(new Shape(1, 2, 4, 64)), null));
        AttentionOutput m = MergeStates.merge(o, s, o, manager.full(new Shape(1, 4), Float.NEGATIVE_INFINITY));
        assertEquals(new Shape(1, 4, 64), m.getOutput().getShape());
        assertEquals(0f, m.getLse().toFloatArray()[0]);
        m.close();
        assertTrue(m.getOutput().isReleased());
        assertTrue(m.getLse().isReleased());
    }

    @Test
    void decodeGraphChecksItsPlanAndForwardsToItsStep() {
        AttentionSpec spec = base().build();
        BatchAttention attn = new BatchAttention(spec);
        PagedKvCache c = PagedKvCache.create(manager, 2, 4, 2, 64, KvLayout.NHD, DataType.FLOAT32);
        AtomicReference<AttentionWork> seen = new AtomicReference<>();
        AtomicBoolean closed = new AtomicBoolean();
        AttentionOps.DecodeStep step = new AttentionOps.DecodeStep() {
            @Override
            public Tensor[] run(AttentionWork work, Tensor q) {
                seen.set(work);
                NDArray out = manager.ones(new Shape(q.getShape().get(0), 4, 64));
                NDArray lse = manager.full(new Shape(q.getShape().get(0), 4), 2f);
                return new Tensor[] {
                    ((ai.djl.batchinvariant.tensor.TensorArray) out).tensor(),
                    ((ai.djl.batchinvariant.tensor.TensorArray) lse).tensor()
                };
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        DecodeGraph g = new DecodeGraph(attn, c, step);
        BatchPlan plan = attn.planDecode(new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 3}, 4);
        AttentionOutput out = g.run(plan, manager.zeros(new Shape(2, 4, 64)));
        assertSame(plan.work(), seen.get());
        assertEquals(new Shape(2, 4, 64), out.getOutput().getShape());
        assertEquals(2f, out.getLse().toFloatArray()[3]);
        rejects(() -> g.run(null, manager.zeros(new Shape(2, 4, 64))));
        BatchAttention other = new BatchAttention(base().build());
        rejects(() -> g.run(other.planDecode(new int[] {0, 1, 2}, new int[] {0, 1}, new int[] {1, 3}, 4),
                manager.zeros(new Shape(2, 4, 64))));
        rejects(() -> g.run(plan, manager.zeros(new Shape(3, 4, 64))));
        rejects(() -> g.run(attn.planDecode(new int[] {0, 1}, new int[] {2}, new int[] {1}, 4),
                manager.zeros(new Shape(1, 4, 64))));
        assertFalse(closed.get());
        g.close();
        assertTrue(closed.get());
    }
}
