/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.batchinvariant.attention.AttentionOutput;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * CPU batch attention (GQA 32/8, head_dim 128, float32, page 16) against the same attention
 * written with DJL's PyTorch engine (dense q·kᵀ, softmax, ·v on contiguous tensors).
 *
 * <p>{@code mode}: {@code decode} runs B requests of one query row over L KV positions; {@code
 * prefill} runs one causal request of L rows. {@code impl}: {@code invariant} (FIXED 1024), {@code
 * auto} (batch-sized split) or {@code pytorch}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
public class CpuAttentionBenchmark {

    private static final int HQ = 32;
    private static final int HKV = 8;
    private static final int D = 128;
    private static final int PAGE = 16;

    @Param({"decode", "prefill"})
    public String mode;

    @Param({"1", "16"})
    public int batch;

    @Param({"512", "2048"})
    public int kvLen;

    @Param({"invariant", "auto", "pytorch"})
    public String impl;

    private NDManager manager;
    private BatchAttention attention;
    private BatchPlan plan;
    private PagedKvCache cache;
    private NDArray q;
    private NDArray tq;
    private NDArray tk;
    private NDArray tv;
    private NDArray tmask;

    /** Builds the cache, plan and inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        int b = "prefill".equals(mode) ? 1 : batch;
        int rows = "prefill".equals(mode) ? kvLen : b;
        if ("pytorch".equals(impl)) {
            manager = Engine.getEngine("PyTorch").newBaseManager();
            int qLen = rows / b;
            // (B, Hkv, group * qLen, D) against (B, Hkv, L, D): GQA without copying K/V
            tq = manager.randomNormal(new Shape(b, HKV, (HQ / HKV) * qLen, D));
            tk = manager.randomNormal(new Shape(b, HKV, kvLen, D));
            tv = manager.randomNormal(new Shape(b, HKV, kvLen, D));
            if ("prefill".equals(mode)) {
                NDArray i = manager.arange(kvLen).reshape(-1, 1);
                NDArray j = manager.arange(kvLen).reshape(1, -1);
                tmask = j.gt(i).toType(DataType.FLOAT32, false).mul(-1e30f).tile(new long[] {HQ / HKV, 1});
            }
            return;
        }
        manager = Engine.getEngine("BatchInvariant").newBaseManager();
        SplitPolicy policy = "auto".equals(impl) ? SplitPolicy.auto() : SplitPolicy.fixed(1024);
        AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(D).optCausal(true)
                .optSplitPolicy(policy).build();
        attention = new BatchAttention(spec);
        int pagesPer = (kvLen + PAGE - 1) / PAGE;
        cache = PagedKvCache.create(manager, b * pagesPer, PAGE, HKV, D, KvLayout.NHD, DataType.FLOAT32);
        cache.getKeys().intern(manager.randomNormal(cache.getKeys().getShape()));
        cache.getValues().intern(manager.randomNormal(cache.getValues().getShape()));
        int[] qo = new int[b + 1];
        int[] kvIndptr = new int[b + 1];
        int[] idx = new int[b * pagesPer];
        int[] last = new int[b];
        for (int r = 0; r < b; r++) {
            qo[r + 1] = qo[r] + rows / b;
            kvIndptr[r + 1] = kvIndptr[r] + pagesPer;
            last[r] = (kvLen - 1) % PAGE + 1;
        }
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        plan = attention.planPrefill(qo, kvIndptr, idx, last, PAGE);
        q = manager.randomNormal(new Shape(rows, HQ, D));
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /**
     * One batch of attention.
     *
     * @return the output (kept alive for the blackhole)
     */
    @Benchmark
    public Object attention() {
        if (tq != null) {
            NDArray s = tq.matMul(tk.transpose(0, 1, 3, 2)).mul(1f / (float) Math.sqrt(D));
            if (tmask != null) {
                s = s.add(tmask);
            }
            NDArray o = s.softmax(-1).matMul(tv);
            float sink = o.getFloat(0, 0, 0, 0);
            o.close();
            s.close();
            return sink;
        }
        try (AttentionOutput out = attention.run(plan, q, cache)) {
            return out.getOutput().getShape();
        }
    }
}
