/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.Device;
import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.backend.AttentionWork;
import ai.djl.batchinvariant.backend.cuda.CudaAttention;
import ai.djl.batchinvariant.backend.cuda.CudaDevice;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.backend.cuda.DependentLaunch;
import ai.djl.batchinvariant.backend.cuda.DeviceMemory;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * GPU attention timings with CUDA events: 200 ms of warm-up, then the median of 15 samples, each sample
 * the mean of back-to-back launches of a prepared batch (so host launch overhead is not counted,
 * as with graph replay). Decode B in {1, 16, 64, 256} x L in {512, 4096, 32768}, GQA 32/8,
 * head_dim 128, bfloat16, page 16; causal prefill B8 L4096; a mixed ragged batch; each for the
 * invariant FIXED split and the batch-sized AUTO split. Prints one line per case.
 */
public final class GpuAttentionBench {

    private static final int HQ = 32;
    private static final int HKV = 8;
    private static final int D = 128;
    /** KV-cache page size (system property bench.page, default 16). */
    private static final int PAGE = Integer.getInteger("bench.page", 16);

    private GpuAttentionBench() {}

    /**
     * Entry point.
     *
     * @param args optional: "quick" for a reduced sweep, "prefill" for the prefill cases only,
     *     "sweep" for the split-size sweep (FIXED 256, 512, 1024, 2048 and DISABLED over the
     *     issue's decode shapes and causal prefill B8 L4096), "decode B L" for one decode case at
     *     the FIXED split (for a profiler)
     */
    public static void main(String[] args) {
        if (CudaRuntime.deviceCount() == 0) {
            System.out.println("no CUDA device: " + CudaRuntime.unavailableReason());
            return;
        }
        boolean quick = args.length > 0 && "quick".equals(args[0]);
        boolean prefillOnly = args.length > 0 && "prefill".equals(args[0]);
        if (args.length > 0 && "sweep".equals(args[0])) {
            sweep();
            return;
        }
        int split = Integer.getInteger("split", 1024);
        if (args.length == 3 && "decode".equals(args[0])) {
            try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
                decode(m, Integer.parseInt(args[1]), Integer.parseInt(args[2]), SplitPolicy.fixed(split));
            }
            return;
        }
        CudaDevice dev = CudaRuntime.device(0);
        System.out.printf(Locale.ROOT, "device gpu(0): %d SMs, sm_%d; fixed split %d; dependent launches %s%n",
                dev.getSmCount(), dev.getComputeCapability(), split, DependentLaunch.enabled(dev) ? "on" : "off");
        System.out.println("case                              policy       items   time_us   KV_TB/s  TFLOP/s");
        int[] batches = quick ? new int[] {1, 64} : new int[] {1, 16, 32, 64, 256};
        int[] lens = quick ? new int[] {4096} : new int[] {512, 4096, 32768};
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            for (int l : prefillOnly ? new int[0] : lens) {
                for (int b : batches) {
                    if ((long) b * l > 2_200_000L) {
                        continue; // KV over ~17 GB: beyond what the benchmark allocates
                    }
                    for (SplitPolicy p : new SplitPolicy[] {SplitPolicy.fixed(split), SplitPolicy.auto()}) {
                        decode(m, b, l, p);
                    }
                }
            }
            int[] kv = new int[8];
            Arrays.fill(kv, 4096);
            for (SplitPolicy p : new SplitPolicy[] {SplitPolicy.fixed(split), SplitPolicy.auto(), SplitPolicy.disabled()}) {
                run(m, "prefill B8 L4096 causal", p, kv.clone(), kv, true);
            }
            // the Llama-3.2-1B shape's prefill: head dim 64, 2048 tokens
            int[] kv64 = new int[8];
            Arrays.fill(kv64, 2048);
            for (SplitPolicy p : new SplitPolicy[] {SplitPolicy.fixed(split), SplitPolicy.disabled()}) {
                run(m, "prefill B8 L2048 causal d64", p, kv64.clone(), kv64, true, 64);
            }
            int[] mixedKv = {4096, 1024, 17, 300, 2000, 3000, 700, 5000};
            int[] mixedQo = {4096, 1024, 17, 1, 1, 300, 1, 64};
            for (SplitPolicy p : new SplitPolicy[] {SplitPolicy.fixed(split), SplitPolicy.auto()}) {
                run(m, "mixed ragged batch (8 req)", p, mixedQo, mixedKv, true);
            }
        }
    }

    private static void sweep() {
        CudaDevice dev = CudaRuntime.device(0);
        System.out.printf(Locale.ROOT, "device gpu(0): %d SMs, sm_%d; split-size sweep%n", dev.getSmCount(),
                dev.getComputeCapability());
        System.out.println("case                              policy       items   time_us   KV_TB/s  TFLOP/s");
        int[][] decode = {{1, 512}, {1, 4096}, {1, 32768}, {16, 512}, {64, 4096}, {64, 32768}};
        SplitPolicy[] policies = {SplitPolicy.fixed(256), SplitPolicy.fixed(512), SplitPolicy.fixed(1024),
            SplitPolicy.fixed(2048), SplitPolicy.disabled()};
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            for (int[] c : decode) {
                for (SplitPolicy p : policies) {
                    decode(m, c[0], c[1], p);
                }
            }
            int[] kv = new int[8];
            Arrays.fill(kv, 4096);
            for (SplitPolicy p : policies) {
                run(m, "prefill B8 L4096 causal", p, kv.clone(), kv, true);
            }
        }
    }

    /** One decode case: b requests of one query row each on l keys. */
    private static void decode(NDManager m, int b, int l, SplitPolicy policy) {
        int[] kv = new int[b];
        Arrays.fill(kv, l);
        int[] qo = new int[b];
        Arrays.fill(qo, 1);
        String name = String.format(Locale.ROOT, "decode B%d L%d", b, l);
        run(m, name, policy, qo, kv, true);
        if (policy.getKind() == SplitPolicy.Kind.FIXED && AttentionWork.fusesDecode(kv, HKV, D)) {
            // the same plan with a block per chunk and the merge kernel (same bits), for the cost
            String key = EngineOptions.PROPERTY_PREFIX + EngineOptions.FUSED_DECODE;
            System.setProperty(key, "false");
            try {
                run(m, name + " merged", policy, qo, kv, true);
            } finally {
                System.clearProperty(key);
            }
        }
    }

    private static void run(NDManager m, String name, SplitPolicy policy, int[] qoLens, int[] kvLens, boolean causal) {
        run(m, name, policy, qoLens, kvLens, causal, D);
    }

    private static void run(NDManager m, String name, SplitPolicy policy, int[] qoLens, int[] kvLens, boolean causal,
            int d) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(d).optCausal(causal)
                .optSplitPolicy(policy).build();
        BatchAttention attn = new BatchAttention(spec);
        int b = kvLens.length;
        int[] qo = new int[b + 1];
        int[] kvIndptr = new int[b + 1];
        int[] last = new int[b];
        List<Integer> idx = new ArrayList<>();
        long rowsVisible = 0;
        for (int r = 0; r < b; r++) {
            qo[r + 1] = qo[r] + qoLens[r];
            int pages = (kvLens[r] + PAGE - 1) / PAGE;
            for (int p = 0; p < pages; p++) {
                idx.add(idx.size());
            }
            kvIndptr[r + 1] = idx.size();
            last[r] = (kvLens[r] - 1) % PAGE + 1;
            for (int t = 0; t < qoLens[r]; t++) {
                rowsVisible += causal ? kvLens[r] - qoLens[r] + t + 1 : kvLens[r];
            }
        }
        int numPages = idx.size();
        try (NDManager s = m.newSubManager()) {
            PagedKvCache cache = PagedKvCache.create(s, numPages, PAGE, HKV, d, KvLayout.NHD, DataType.BFLOAT16);
            fillRandom(s, cache.getKeys());
            fillRandom(s, cache.getValues());
            NDArray q = s.randomNormal(0, 1, new Shape(qo[b], HQ, d), DataType.BFLOAT16);
            BatchPlan plan = attn.planPrefill(qo, kvIndptr, idx.stream().mapToInt(Integer::intValue).toArray(), last, PAGE);
            try (CudaAttention.Launch launch = CudaAttention.INSTANCE.prepare(plan.work(), tensor(q),
                    tensor(cache.getKeys()), tensor(cache.getValues()), false)) {
                double us = time(launch);
                long kvBytes = 0;
                for (int l : kvLens) {
                    kvBytes += (long) l * HKV * d * 2 * 2;
                }
                double flops = 4.0 * d * HQ * rowsVisible;
                System.out.printf(Locale.ROOT, "%-33s %-12s %6d %9.1f %9.3f %8.1f%n", name, policy, launch.getNumItems(),
                        us, kvBytes / (us * 1e-6) / 1e12, flops / (us * 1e-6) / 1e12);
            }
        }
    }

    /** Fills device memory with random bfloat16 values by repeating a random 1 MiB block. */
    private static Tensor tensor(NDArray a) {
        return ((TensorArray) a).tensor();
    }

    private static void fillRandom(NDManager m, NDArray pool) {
        long bytes = pool.getShape().size() * 2;
        int block = (int) Math.min(bytes, 1 << 20);
        NDArray r = m.randomNormal(0, 1, new Shape(block / 2), DataType.BFLOAT16);
        DeviceMemory src = (DeviceMemory) tensor(r).deviceBuffer();
        DeviceMemory dst = (DeviceMemory) tensor(pool).deviceBuffer();
        for (long off = 0; off < bytes; off += block) {
            dst.copyFrom(src, 0, off, Math.min(block, bytes - off));
        }
        r.close();
    }

    private static double time(CudaAttention.Launch launch) {
        // the backend's stream for this thread: the events bracket exactly the launches
        CUstream stream = CudaRuntime.device(0).getStream();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(end, 0);
        // warm-up for about 200 ms (at least 5 launches): the host path is compiled by then, so
        // that the samples time the device, not an interpreted launch
        long t0 = System.nanoTime();
        for (int i = 0; i < 5 || System.nanoTime() - t0 < 200_000_000L; i++) {
            launch.launch(stream);
            if (i % 64 == 63) {
                JCudaDriver.cuStreamSynchronize(stream);
            }
        }
        JCudaDriver.cuStreamSynchronize(stream);
        int inner = 10;
        double[] samples = new double[15];
        for (int sIdx = 0; sIdx < samples.length; sIdx++) {
            JCudaDriver.cuEventRecord(start, stream);
            for (int i = 0; i < inner; i++) {
                launch.launch(stream);
            }
            JCudaDriver.cuEventRecord(end, stream);
            JCudaDriver.cuEventSynchronize(end);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, end);
            samples[sIdx] = ms[0] * 1000.0 / inner;
        }
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(end);
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }
}
