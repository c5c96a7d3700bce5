/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.attention;

import ai.djl.batchinvariant.nn.FusedAttentionBlock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Random;

/**
 * {@link FusedAttentionBlock} with its parameters on a GPU: projections on the float32 linear
 * kernel, attention on the bfloat16 kernels. Its output matches the CPU block within bfloat16
 * accuracy, and each sequence's bits are the same alone and in a padded batch.
 */
@Tag("gpu")
class GpuFusedAttentionBlockTest {

    private static final int E = 256;
    private static final int T = 96;

    private static NDArray forward(Block block, NDManager m, NDArray x, NDArray mask) {
        NDList in = mask == null ? new NDList(x) : new NDList(x, mask);
        return block.forward(new ParameterStore(m, false), in, false).head();
    }

    private static NDArray mask(NDManager m, int[] lens) {
        float[] v = new float[lens.length * T * T];
        for (int b = 0; b < lens.length; b++) {
            for (int t = 0; t < T; t++) {
                for (int f = 0; f < lens[b]; f++) {
                    v[(b * T + t) * T + f] = 1;
                }
            }
        }
        return m.create(v, new Shape(lens.length, T, T));
    }

    @Test
    void runsOnTheGpuAndIsBatchInvariant() throws Exception {
        GpuSupport.requireGpu();
        try (NDManager cpu = Engine.getEngine("BatchInvariant").newBaseManager();
                NDManager gpu = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            Block ref = FusedAttentionBlock.builder().setEmbeddingSize(E).setHeadCount(2).build();
            ref.initialize(cpu, DataType.FLOAT32, new Shape(1, T, E));
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            ref.saveParameters(new DataOutputStream(bos));
            Block onGpu = FusedAttentionBlock.builder().setEmbeddingSize(E).setHeadCount(2).build();
            onGpu.initialize(gpu, DataType.FLOAT32, new Shape(1, T, E));
            onGpu.loadParameters(gpu, new DataInputStream(new ByteArrayInputStream(bos.toByteArray())));

            int[] lens = {96, 7, 50, 81};
            Random r = new Random(1);
            float[] xv = new float[lens.length * T * E];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = (float) r.nextGaussian();
            }
            NDArray xCpu = cpu.create(xv, new Shape(lens.length, T, E));
            NDArray xGpu = xCpu.toDevice(Device.gpu(0), true);
            float[] want = forward(ref, cpu, xCpu, mask(cpu, lens)).toFloatArray();
            NDArray full = forward(onGpu, gpu, xGpu, mask(gpu, lens));
            assertEquals(Device.gpu(0), full.getDevice());
            float[] got = full.toFloatArray();
            double num = 0;
            double den = 0;
            for (int i = 0; i < got.length; i++) {
                num += (got[i] - want[i]) * (got[i] - want[i]);
                den += want[i] * want[i];
            }
            double rel = Math.sqrt(num / den);
            System.out.printf("gpu FusedAttentionBlock vs cpu: relative L2 %.3e%n", rel);
            assertTrue(rel < 2e-2, "relative L2 error " + rel);

            NDArray fullHost = full.toDevice(Device.cpu(), false);
            for (int i = 0; i < lens.length; i++) {
                NDArray one = xCpu.get(new NDIndex("{}:{}", i, i + 1)).toDevice(Device.gpu(0), false);
                float[] a = forward(onGpu, gpu, one, mask(gpu, new int[] {lens[i]})).toFloatArray();
                float[] b = fullHost.get(new NDIndex("{}:{}", i, i + 1)).toFloatArray();
                assertEquals(0, Bits.diff(a, b), "sequence " + i + " alone vs in the batch");
            }
        }
    }
}
