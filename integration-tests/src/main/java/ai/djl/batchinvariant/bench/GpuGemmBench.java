/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaDevice;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.engine.CapturedGraph;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.Arrays;
import java.util.Locale;

/**
 * The invariant GEMM through the engine's public {@code linear} (y = x Wᵀ), timed with CUDA
 * events on the calling thread's stream: warm-up, then the median of 9 samples, each the mean of
 * 10 back-to-back calls (so a call's host path is counted where it exceeds the kernel), and the
 * same product captured as a one-step {@link CapturedGraph} and replayed (kernel time only). Shapes of
 * a Llama-3.2-1B-like decoder (hidden 2048, intermediate 8192, vocab 128256) and a 4096-square
 * product, bfloat16 and float32, rows M from decode (1) to prefill (8192). Prints one line per
 * case; tools/gemm_bench.py prints cuBLAS's figures for the same shapes.
 */
public final class GpuGemmBench {

    private GpuGemmBench() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        if (CudaRuntime.deviceCount() == 0) {
            System.out.println("no CUDA device: " + CudaRuntime.unavailableReason());
            return;
        }
        CudaDevice dev = CudaRuntime.device(0);
        System.out.printf(Locale.ROOT, "device gpu(0): %d SMs, sm_%d%n", dev.getSmCount(), dev.getComputeCapability());
        System.out.println("dtype     M      N      K     time_us   TFLOP/s   GB/s(weights)   graph_us  graph_TFLOP/s");
        int[][] nk = {{2048, 2048}, {8192, 2048}, {2048, 8192}, {128256, 2048}, {4096, 4096}};
        int[] rows = {1, 16, 64, 256, 2048, 8192};
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            // a throw-away first case, so the JIT has compiled the host path before the first figure
            run(m, DataType.BFLOAT16, 64, 1024, 1024);
            System.out.println("(warm-up above)");
            for (DataType t : new DataType[] {DataType.BFLOAT16, DataType.FLOAT32}) {
                for (int[] s : nk) {
                    for (int r : rows) {
                        if (t == DataType.FLOAT32 && r > 2048) {
                            continue;
                        }
                        if ((long) s[0] * r > 300_000_000L) {
                            continue;
                        }
                        run(m, t, r, s[0], s[1]);
                    }
                }
            }
        }
    }

    private static void run(NDManager m, DataType t, int rows, int n, int k) {
        try (NDManager sub = m.newSubManager()) {
            NDArray x = sub.randomUniform(-1, 1, new Shape(rows, k)).toType(t, false);
            NDArray w = sub.randomUniform(-1, 1, new Shape(n, k)).toType(t, false);
            Runnable call = () -> x.getNDArrayInternal().linear(x, w, null).singletonOrThrow().close();
            double us = time(dev(), call);
            double graphUs;
            try (CapturedGraph g = CapturedGraph.capture(sub,
                    in -> in.get(0).getNDArrayInternal().linear(in.get(0), in.get(1), null), new NDList(x, w))) {
                graphUs = time(dev(), g::replay);
            }
            double flops = 2.0 * rows * n * k;
            double weightBytes = (double) n * k * t.getNumOfBytes();
            System.out.printf(Locale.ROOT, "%-8s %6d %6d %6d %10.1f %9.1f %9.0f %14.1f %10.1f%n", t, rows, n, k, us,
                    flops / us / 1e6, weightBytes / us / 1e3, graphUs, flops / graphUs / 1e6);
        } catch (RuntimeException e) {
            System.out.printf(Locale.ROOT, "%-8s %6d %6d %6d failed: %s%n", t, rows, n, k, e.getMessage());
        }
    }

    private static CudaDevice dev() {
        return CudaRuntime.device(0);
    }

    private static double time(CudaDevice dev, Runnable call) {
        CUstream stream = dev.getStream();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(end, 0);
        // enough calls for the JIT to compile the host path before the first sample
        for (int i = 0; i < 200; i++) {
            call.run();
        }
        double[] samples = new double[9];
        for (int s = 0; s < samples.length; s++) {
            JCudaDriver.cuEventRecord(start, stream);
            for (int i = 0; i < 10; i++) {
                call.run();
            }
            JCudaDriver.cuEventRecord(end, stream);
            JCudaDriver.cuEventSynchronize(end);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, end);
            samples[s] = ms[0] * 1000.0 / 10;
        }
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(end);
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }
}
