/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The CUDA kernels against the float64 reference (same matrix as the CPU suite, in bfloat16 and
 * float16), and the CUDA backend's own checks: device placement, refusal of bad input before any
 * launch, device-side KV append. Outputs are poisoned with NaN before every launch, so a row the
 * kernels forget to write fails the comparison.
 */
@Tag("gpu")
class GpuAttentionTest extends GpuSupport {

    static Stream<AttentionCorrectnessTest.Case> cases() {
        List<AttentionCorrectnessTest.Case> c = new ArrayList<>();
        int[] dims = {64, 128, 256};
        int[] groups = {1, 4, 8};
        int[] pages = {1, 16, 64};
        int i = 0;
        for (int d : dims) {
            for (int g : groups) {
                c.add(new AttentionCorrectnessTest.Case("plain", d, g, pages[i % 3], i % 2 == 0 ? KvLayout.NHD : KvLayout.HND,
                        i % 2 == 0 ? DataType.BFLOAT16 : DataType.FLOAT16, new int[] {1, 17, 300}, true, false, b -> b));
                i++;
            }
        }
        int[] lens = {1, 17, 300};
        UnaryOperator<AttentionSpec.Builder> rope = b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 1);
        c.add(new AttentionCorrectnessTest.Case("rope", 128, 4, 16, KvLayout.NHD, DataType.BFLOAT16, lens, true, false, rope));
        c.add(new AttentionCorrectnessTest.Case("rope-llama3", 64, 1, 8, KvLayout.HND, DataType.FLOAT16, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 1).optLlama3Scaling(8, 1, 4, 64)));
        c.add(new AttentionCorrectnessTest.Case("alibi", 128, 1, 16, KvLayout.NHD, DataType.FLOAT16, lens, true, false,
                b -> b.optPosEncoding(PosEncoding.ALIBI)));
        c.add(new AttentionCorrectnessTest.Case("softcap", 128, 4, 8, KvLayout.HND, DataType.BFLOAT16, lens, true, false,
                b -> b.optLogitsSoftCap(30f)));
        c.add(new AttentionCorrectnessTest.Case("window", 64, 4, 16, KvLayout.NHD, DataType.FLOAT16, lens, true, false,
                b -> b.optWindowLeft(50)));
        c.add(new AttentionCorrectnessTest.Case("noncausal", 128, 4, 16, KvLayout.NHD, DataType.FLOAT16, lens, false, false, b -> b));
        c.add(new AttentionCorrectnessTest.Case("split-disabled", 64, 4, 16, KvLayout.NHD, DataType.FLOAT16, lens, true, false,
                b -> b.optSplitPolicy(SplitPolicy.disabled())));
        c.add(new AttentionCorrectnessTest.Case("split-64", 64, 4, 32, KvLayout.HND, DataType.BFLOAT16, lens, true, false,
                b -> b.optSplitPolicy(SplitPolicy.fixed(64))));
        c.add(new AttentionCorrectnessTest.Case("kv5000", 128, 4, 16, KvLayout.NHD, DataType.FLOAT16, new int[] {5000, 17}, true, true,
                b -> b.optSplitPolicy(SplitPolicy.fixed(512))));
        c.add(new AttentionCorrectnessTest.Case("kv5000-bf16-rope", 128, 8, 8, KvLayout.HND, DataType.BFLOAT16, new int[] {5000}, true,
                true, b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(1024))));
        // decode steps alone (at most 8 query rows an item: the Hopper variant with the 8-row query tile)
        int[] decodeLens = {5000, 17, 1, 300};
        c.add(new AttentionCorrectnessTest.Case("decode", 64, 1, 16, KvLayout.NHD, DataType.BFLOAT16, decodeLens, true, 1,
                b -> b.optSplitPolicy(SplitPolicy.fixed(512))));
        c.add(new AttentionCorrectnessTest.Case("decode-rope", 128, 8, 1, KvLayout.HND, DataType.FLOAT16, decodeLens, true, 1,
                b -> b.optPosEncoding(PosEncoding.ROPE_LLAMA).optRope(500000, 1).optSplitPolicy(SplitPolicy.fixed(1024))));
        c.add(new AttentionCorrectnessTest.Case("decode", 256, 4, 64, KvLayout.NHD, DataType.BFLOAT16, decodeLens, true, 1,
                b -> b.optSplitPolicy(SplitPolicy.fixed(256))));
        c.add(new AttentionCorrectnessTest.Case("decode-alibi", 128, 2, 16, KvLayout.NHD, DataType.FLOAT16, decodeLens, true, 1,
                b -> b.optPosEncoding(PosEncoding.ALIBI).optSplitPolicy(SplitPolicy.fixed(512))));
        c.add(new AttentionCorrectnessTest.Case("decode-window-softcap", 64, 8, 8, KvLayout.HND, DataType.BFLOAT16, decodeLens,
                true, 1, b -> b.optWindowLeft(700).optLogitsSoftCap(30f).optSplitPolicy(SplitPolicy.fixed(256))));
        // two tokens of two query heads: 4 rows
        c.add(new AttentionCorrectnessTest.Case("two-token-steps", 128, 2, 16, KvLayout.NHD, DataType.BFLOAT16, decodeLens, true,
                2, b -> b.optSplitPolicy(SplitPolicy.fixed(512))));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesFloat64Reference(AttentionCorrectnessTest.Case c) {
        double[] err = AttentionCorrectnessTest.errors(manager, c, Device.gpu(0));
        System.out.printf("gpu reference %-40s relative L2 %.3e, max |lse error| %.3e%n", c, err[0], err[1]);
        double tol = c.type == DataType.FLOAT16 ? 4e-3 : 2e-2;
        assertTrue(err[0] < tol, c + ": relative L2 error " + err[0] + " >= " + tol);
        assertTrue(err[1] < 0.1, c + ": lse error " + err[1]);
    }

    @Test
    void capabilityAndDevicesAreTruthful() {
        Engine e = Engine.getEngine("BatchInvariant");
        assertTrue(e.hasCapability(StandardCapabilities.CUDA));
        assertEquals(CudaRuntime.deviceCount(), e.getGpuCount());
        try (NDManager g = e.newBaseManager(Device.gpu(0))) {
            NDArray a = g.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            assertEquals(Device.gpu(0), a.getDevice());
            assertEquals(2f, a.toDevice(Device.cpu(), false).getFloat(0, 1));
            NDArray sum = a.add(a);
            assertEquals(Device.gpu(0), sum.getDevice());
            assertEquals(8f, sum.toDevice(Device.cpu(), false).getFloat(1, 1));
        }
        int n = CudaRuntime.deviceCount();
        assertThrows(IllegalArgumentException.class, () -> e.newBaseManager(Device.gpu(n)));
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        AttentionSpec spec = AttentionSpec.builder().setHeads(8, 2).setHeadDim(64).optCausal(true).build();
        BatchAttention attn = new BatchAttention(spec);
        try (NDManager g = manager.newSubManager(Device.gpu(0))) {
            PagedKvCache host = PagedKvCache.create(manager, 4, 16, 2, 64, KvLayout.NHD, DataType.BFLOAT16);
            PagedKvCache cache = host.toDevice(Device.gpu(0));
            NDArray q = g.randomNormal(0, 1, new Shape(1, 8, 64), DataType.BFLOAT16);
            BatchPlan outside = attn.planDecode(new int[] {0, 1}, new int[] {4}, new int[] {1}, 16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> attn.run(outside, q, cache));
            assertTrue(e.getMessage().contains("kv_indices[0]=4"), e.getMessage());
            BatchPlan ok = attn.planDecode(new int[] {0, 1}, new int[] {3}, new int[] {1}, 16);
            NDArray q32 = g.randomNormal(0, 1, new Shape(1, 8, 64), DataType.FLOAT32);
            PagedKvCache cache32 = PagedKvCache.create(g, 4, 16, 2, 64, KvLayout.NHD, DataType.FLOAT32);
            e = assertThrows(IllegalArgumentException.class, () -> attn.run(ok, q32, cache32));
            assertTrue(e.getMessage().contains("float32"), e.getMessage());
            NDArray qCpu = manager.randomNormal(0, 1, new Shape(1, 8, 64), DataType.BFLOAT16);
            e = assertThrows(IllegalArgumentException.class, () -> attn.run(ok, qCpu, cache));
            assertTrue(e.getMessage().contains("one device"), e.getMessage());
            AttentionSpec odd = AttentionSpec.builder().setHeads(12, 4).setHeadDim(64).build();
            BatchAttention oddAttn = new BatchAttention(odd);
            PagedKvCache h4 = PagedKvCache.create(g, 4, 16, 4, 64, KvLayout.NHD, DataType.BFLOAT16);
            NDArray q12 = g.randomNormal(0, 1, new Shape(1, 12, 64), DataType.BFLOAT16);
            e = assertThrows(IllegalArgumentException.class,
                    () -> oddAttn.run(oddAttn.planDecode(new int[] {0, 1}, new int[] {0}, new int[] {1}, 16), q12, h4));
            assertTrue(e.getMessage().contains("divide"), e.getMessage());
        }
    }

    @Test
    void deviceAppendMatchesHostAppend() {
        try (NDManager g = manager.newSubManager(Device.gpu(0))) {
            PagedKvCache host = PagedKvCache.create(manager, 6, 4, 2, 64, KvLayout.HND, DataType.BFLOAT16);
            PagedKvCache dev = host.toDevice(Device.gpu(0));
            NDArray k = manager.randomNormal(0, 1, new Shape(7, 2, 64), DataType.BFLOAT16);
            NDArray v = manager.randomNormal(0, 1, new Shape(7, 2, 64), DataType.BFLOAT16);
            int[] append = {0, 3, 7};
            int[] indptr = {0, 1, 3};
            int[] idx = {5, 2, 0};
            int[] last = {3, 4};
            host.append(k, v, append, indptr, idx, last);
            dev.append(k.toDevice(Device.gpu(0), false), v.toDevice(Device.gpu(0), false), append, indptr, idx, last);
            assertEquals(host.getKeys().toByteBuffer(), dev.getKeys().toByteBuffer());
            assertEquals(host.getValues().toByteBuffer(), dev.getValues().toByteBuffer());
        }
    }

    /**
     * Keys stored rotated: the device's rotating append writes the host's bits, and attention over
     * them (queries rotated in the kernel) equals attention that rotates unrotated keys in the
     * kernel, bit for bit; the rotated keys differ from the plain ones.
     */
    @Test
    void keysRotatedOnAppendGiveTheInKernelRotation() {
        AttentionSpec.Builder b = AttentionSpec.builder().setHeads(8, 2).setHeadDim(64).optCausal(true)
                .optRope(500000, 1);
        AttentionSpec inKernel = b.optPosEncoding(PosEncoding.ROPE_LLAMA).build();
        AttentionSpec rotated = b.optPosEncoding(PosEncoding.ROPE_LLAMA_ROTATED_CACHE).build();
        try (NDManager g = manager.newSubManager(Device.gpu(0))) {
            PagedKvCache host = PagedKvCache.create(manager, 6, 4, 2, 64, KvLayout.NHD, DataType.BFLOAT16);
            PagedKvCache plain = host.toDevice(Device.gpu(0));
            PagedKvCache dev = host.toDevice(Device.gpu(0));
            NDArray k = manager.randomNormal(0, 1, new Shape(7, 2, 64), DataType.BFLOAT16);
            NDArray v = manager.randomNormal(0, 1, new Shape(7, 2, 64), DataType.BFLOAT16);
            NDArray q = g.randomNormal(0, 1, new Shape(7, 8, 64), DataType.BFLOAT16);
            int[] append = {0, 3, 7};
            int[] indptr = {0, 1, 3};
            int[] idx = {5, 2, 0};
            int[] last = {3, 4};
            NDArray kg = k.toDevice(Device.gpu(0), false);
            NDArray vg = v.toDevice(Device.gpu(0), false);
            host.append(rotated, k, v, append, indptr, idx, last);
            dev.append(rotated, kg, vg, append, indptr, idx, last);
            plain.append(inKernel, kg, vg, append, indptr, idx, last);
            assertEquals(host.getKeys().toByteBuffer(), dev.getKeys().toByteBuffer());
            assertEquals(host.getValues().toByteBuffer(), dev.getValues().toByteBuffer());
            assertNotEquals(plain.getKeys().toByteBuffer(), dev.getKeys().toByteBuffer());
            BatchAttention a = new BatchAttention(inKernel);
            BatchAttention r = new BatchAttention(rotated);
            AttentionOutput oa = a.run(a.planPrefill(append, indptr, idx, last, 4), q, plain);
            AttentionOutput or = r.run(r.planPrefill(append, indptr, idx, last, 4), q, dev);
            assertEquals(oa.getOutput().toByteBuffer(), or.getOutput().toByteBuffer());
            assertEquals(oa.getLse().toByteBuffer(), or.getLse().toByteBuffer());
        }
    }
}
