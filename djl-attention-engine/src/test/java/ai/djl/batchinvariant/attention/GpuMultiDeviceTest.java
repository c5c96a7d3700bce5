/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

/**
 * The same requests on gpu(0) and gpu(1), run concurrently from two threads, give bitwise equal
 * attention outputs and lse, and two predictors of one model on two GPUs serve concurrently with
 * bitwise equal outputs: one context, module set and allocator per device, no device assumed to
 * be 0. Skipped with fewer than two devices.
 */
@SuppressWarnings("unchecked")
@Tag("gpu")
class GpuMultiDeviceTest {

    private static Workload.Result run(Device device) {
        AttentionSpec spec = AttentionSpec.builder().setHeads(32, 8).setHeadDim(128).optCausal(true)
                .optPosEncoding(PosEncoding.ROPE_LLAMA).optSplitPolicy(SplitPolicy.fixed(512)).build();
        int[] lens = {2000, 17, 700, 1};
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager();
                Workload w = new Workload(m, spec, DataType.BFLOAT16, lens, 16, KvLayout.NHD, 3, 4, device)) {
            return w.run(new BatchAttention(spec), Workload.fullPrefill(lens, 0, 1, 2, 3), null);
        }
    }

    @Test
    void twoPredictorsOfOneModelServeConcurrentlyOnTwoGpus() throws Exception {
        int n = CudaRuntime.deviceCount();
        assumeTrue(n >= 2, "needs two CUDA devices, found " + n);
        concurrentPredictors(Device.gpu(0), Device.gpu(n - 1));
    }

    @Test
    void twoPredictorsOfOneModelServeConcurrentlyOnOneGpu() throws Exception {
        assumeTrue(CudaRuntime.deviceCount() >= 1, "needs a CUDA device");
        concurrentPredictors(Device.gpu(0), Device.gpu(0));
    }

    private static void concurrentPredictors(Device... devices) throws Exception {
        try (Model model = Engine.getEngine("BatchInvariant").newModel("attention", Device.gpu(0))) {
            model.setBlock(FusedAttentionBlock.builder().setEmbeddingSize(256).setHeadCount(2).build());
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 64, 256));
            float[] x = new float[3 * 64 * 256];
            java.util.Random r = new java.util.Random(2);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            CompletableFuture<float[]>[] outs = new CompletableFuture[2];
            for (int i = 0; i < 2; i++) {
                Device d = devices[i];
                outs[i] = CompletableFuture.supplyAsync(() -> {
                    try (Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator(), d);
                            NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(d)) {
                        NDArray out = p.predict(new NDList(m.create(x, new Shape(3, 64, 256)))).head();
                        assertEquals(d, out.getDevice());
                        return out.toFloatArray();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            assertEquals(0, Bits.diff(outs[0].get(), outs[1].get()), "predictor outputs on " + devices[0] + " and "
                    + devices[1]);
        }
    }

    @Test
    void everyDeviceGivesTheSameBits() throws Exception {
        int n = CudaRuntime.deviceCount();
        assumeTrue(n >= 2, "needs two CUDA devices, found " + n);
        CompletableFuture<Workload.Result> first = CompletableFuture.supplyAsync(() -> run(Device.gpu(0)));
        CompletableFuture<Workload.Result> second = CompletableFuture.supplyAsync(() -> run(Device.gpu(n - 1)));
        Workload.Result a = first.get();
        Workload.Result b = second.get();
        int[] lens = {2000, 17, 700, 1};
        for (int r = 0; r < lens.length; r++) {
            assertEquals(0, Bits.diff(a, b, r, 0, lens[r]), "request " + r + " on gpu(0) vs gpu(" + (n - 1) + ")");
        }
    }
}
