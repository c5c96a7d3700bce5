/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.batchinvariant.attention.AttentionSpec;
import ai.djl.batchinvariant.attention.BatchAttention;
import ai.djl.batchinvariant.attention.BatchPlan;
import ai.djl.batchinvariant.attention.KvLayout;
import ai.djl.batchinvariant.attention.PagedKvCache;
import ai.djl.batchinvariant.attention.SplitPolicy;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Dependent launches (the attention kernel and the merge scheduled while the kernel ahead of them
 * finishes): two decode steps chained so that the second's queries are the first's output, which
 * the first's merge writes last, launched back to back. With every output poisoned first, a kernel
 * that read its queries before the merge ahead had written them would compute on NaN. The chain
 * gives the bits of ordinary launches; the inverse launches the sm_80 kernel, which does not wait,
 * as a dependent, and the same comparison sees it read the poison.
 */
@Tag("gpu")
class GpuDependentLaunchTest {

    private static final int HQ = 32;
    private static final int HKV = 8;
    private static final int D = 128;
    private static final int PAGE = 16;
    /** Long enough for a merge of 32 chunk states after the first step's attention. */
    private static final int KV_LEN = 32768;
    /** Launches that warm the launch path before the inverse case races two steps. */
    private static final int WARM_LAUNCHES = 300;

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    @Test
    void dependentLaunchesGiveTheBitsOfOrdinaryOnes() {
        assumeDependentLaunches();
        long[][] ordinary = withProperty(EngineOptions.CUDA_DEPENDENT_LAUNCH, "false", () -> chain(true, 0));
        assertFalse(GpuCompare.anyNaN(ordinary[1]), "the chained step's output must be finite");
        for (int run = 0; run < 3; run++) {
            long[][] dependent = chain(true, 0);
            assertArrayEquals(ordinary[0], dependent[0], "first step, run " + run);
            assertArrayEquals(ordinary[1], dependent[1], "chained step, run " + run);
        }
    }

    @Test
    void aKernelThatDoesNotWaitIsCaught() {
        assumeDependentLaunches();
        long[][] ordinary = withProperty(EngineOptions.CUDA_DEPENDENT_LAUNCH, "false", () -> chain(true, 0));
        DependentLaunch.ignoreWaitsForTests = true;
        try {
            boolean caught = false;
            for (int run = 0; run < 10 && !caught; run++) {
                // a launch through the foreign linker is slow until the JIT has compiled it: cold,
                // the second step went out after the first had finished (no race to see) when this
                // class ran alone, so the path is warmed first
                long[][] racing = chain(false, WARM_LAUNCHES);
                caught = !Arrays.equals(ordinary[1], racing[1]);
            }
            assertTrue(caught, "a chained kernel that does not wait must read the poisoned queries");
        } finally {
            DependentLaunch.ignoreWaitsForTests = false;
        }
    }

    private static void assumeDependentLaunches() {
        assumeTrue(DependentLaunch.enabled(CudaRuntime.device(0)),
                "dependent launches need compute capability 9.0 and the foreign linker (JVM flags)");
    }

    /**
     * Two decode steps of one request, launched back to back without a host wait: the second's
     * queries are the first's output.
     *
     * @param secondWaits whether the second step runs the Hopper kernel (which waits) or the sm_80
     *     one (which does not)
     * @param warm launches of a third step, into an output of its own, made before the two (the
     *     launch path's JIT warm-up; they leave the chained steps' outputs poisoned)
     * @return the raw bits of both steps' outputs
     */
    private static long[][] chain(boolean secondWaits, int warm) {
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(GpuCompare.GPU)) {
            int pages = KV_LEN / PAGE;
            PagedKvCache cache = PagedKvCache.create(m, pages, PAGE, HKV, D, KvLayout.NHD, DataType.BFLOAT16);
            // the same values on every call, so that the runs compare bit for bit
            NDArray block = m.create(GpuCompare.randoms(11, 1 << 19, 1.0)).toType(DataType.BFLOAT16, false);
            fill(block, cache.getKeys());
            fill(block, cache.getValues());
            NDArray q = m.create(GpuCompare.randoms(12, HQ * D, 1.0), new Shape(1, HQ, D))
                    .toType(DataType.BFLOAT16, false);
            int[] idx = new int[pages];
            Arrays.setAll(idx, i -> i);
            AttentionSpec spec = AttentionSpec.builder().setHeads(HQ, HKV).setHeadDim(D).optCausal(true)
                    .optSplitPolicy(SplitPolicy.fixed(1024)).build();
            BatchPlan plan = new BatchAttention(spec).planPrefill(new int[] {0, 1}, new int[] {0, pages}, idx,
                    new int[] {PAGE}, PAGE);
            CudaAttention.Launch first = CudaAttention.INSTANCE.prepare(plan.work(), tensor(q),
                    tensor(cache.getKeys()), tensor(cache.getValues()), false);
            Tensor[] out1 = first.takeOutput();
            CudaAttention.Launch second = secondWaits
                    ? CudaAttention.INSTANCE.prepare(plan.work(), out1[0], tensor(cache.getKeys()),
                            tensor(cache.getValues()), false)
                    : withProperty(EngineOptions.CUDA_SM90, "false", () -> CudaAttention.INSTANCE.prepare(plan.work(),
                            out1[0], tensor(cache.getKeys()), tensor(cache.getValues()), false));
            Tensor[] out2 = second.takeOutput();
            CUstream stream = first.device.getStream();
            if (warm > 0) {
                CudaAttention.Launch warmup = CudaAttention.INSTANCE.prepare(plan.work(), tensor(q),
                        tensor(cache.getKeys()), tensor(cache.getValues()), false);
                Tensor[] warmOut = warmup.takeOutput();
                for (int i = 0; i < warm; i++) {
                    warmup.launch(stream);
                }
                JCudaDriver.cuStreamSynchronize(stream);
                warmup.close();
                warmOut[0].close();
                warmOut[1].close();
            }
            JCudaDriver.cuStreamSynchronize(stream);
            first.launch(stream);
            second.launch(stream);
            long[][] bits = {GpuCompare.rawBits(out1[0]), GpuCompare.rawBits(out2[0])};
            first.close();
            second.close();
            for (Tensor t : new Tensor[] {out1[0], out1[1], out2[0], out2[1]}) {
                t.close();
            }
            return bits;
        }
    }

    private static Tensor tensor(NDArray a) {
        return ((TensorArray) a).tensor();
    }

    private static void fill(NDArray block, NDArray pool) {
        long bytes = pool.getShape().size() * 2;
        long step = block.getShape().size() * 2;
        DeviceMemory src = (DeviceMemory) tensor(block).deviceBuffer();
        DeviceMemory dst = (DeviceMemory) tensor(pool).deviceBuffer();
        for (long off = 0; off < bytes; off += step) {
            dst.copyFrom(src, 0, off, Math.min(step, bytes - off));
        }
    }

    private static <T> T withProperty(String key, String value, java.util.function.Supplier<T> call) {
        String name = EngineOptions.PROPERTY_PREFIX + key;
        System.setProperty(name, value);
        try {
            return call.get();
        } finally {
            System.clearProperty(name);
        }
    }
}
