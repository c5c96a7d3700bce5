/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cuda.CudaDevice;
import ai.djl.batchinvariant.backend.cuda.CudaRuntime;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.engine.CapturedGraph;
import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.batchinvariant.tensor.TensorFactory;
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
import java.util.function.Function;

/**
 * Memory-bound GPU ops through the engine's public API — RMS norm, layer norm, softmax, an
 * element-wise add and the SwiGLU gate (rows of 2 x 4096 in, 4096 out) — on (rows, 4096) float32 and bfloat16 arrays, each captured as a one-op
 * {@link CapturedGraph} and timed by CUDA events over graph replays on the graph's own inputs (so
 * neither the host path nor an input copy is counted): warm-up, then the median of 9 samples of 20 replays. Bandwidth counts the bytes read
 * and written once. tools/ops_bench.py prints torch's figures for the same shapes.
 */
public final class GpuOpsBench {

    private GpuOpsBench() {}

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
        System.setProperty("ai.djl.default_engine", "BatchInvariant");
        System.out.println("op          dtype      rows   cols   time_us   GB/s");
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager(Device.gpu(0))) {
            for (DataType t : new DataType[] {DataType.FLOAT32, DataType.BFLOAT16}) {
                for (int rows : new int[] {16, 4096, 16384}) {
                    int cols = 4096;
                    NDArray x = m.randomUniform(-2, 2, new Shape(rows, cols)).toType(t, false);
                    NDArray w = m.randomUniform(-1, 1, new Shape(cols)).toType(t, false);
                    RmsNorm rms = new RmsNorm(w.duplicate(), 1e-6f);
                    run(m, "rmsNorm", t, rows, cols, 2, in -> new NDList(rms.forward(in.get(0))), x);
                    run(m, "layerNorm", t, rows, cols, 2, in -> in.get(0).getNDArrayInternal()
                            .layerNorm(in.get(0), new Shape(cols), w, w, 1e-5f), x);
                    run(m, "softmax", t, rows, cols, 2, in -> new NDList(in.get(0).softmax(-1)), x);
                    run(m, "add", t, rows, cols, 3, in -> new NDList(in.get(0).add(in.get(1))), x, x);
                    NDArray gu = m.randomUniform(-2, 2, new Shape(rows, 2L * cols)).toType(t, false);
                    run(m, "siluMul", t, rows, cols, 3, in -> new NDList(((TensorFactory) in.get(0).getManager()).wrap(
                            Backends.of(m.getDevice()).elementwise().siluMul(((TensorArray) in.get(0)).tensor()))), gu);
                }
            }
        }
    }

    private static void run(NDManager m, String op, DataType t, int rows, int cols, int passes,
            Function<NDList, NDList> step, NDArray... inputs) {
        try (CapturedGraph g = CapturedGraph.capture(m, step, new NDList(inputs))) {
            double us = time(g::replay);
            double bytes = (double) passes * rows * cols * t.getNumOfBytes();
            System.out.printf(Locale.ROOT, "%-11s %-9s %6d %6d %9.1f %7.0f%n", op, t, rows, cols, us, bytes / us / 1e3);
        } catch (RuntimeException e) {
            System.out.printf(Locale.ROOT, "%-11s %-9s %6d %6d failed: %s%n", op, t, rows, cols, e.getMessage());
        }
    }

    private static double time(Runnable call) {
        CudaDevice dev = CudaRuntime.device(0);
        CUstream stream = dev.getStream();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(end, 0);
        for (int i = 0; i < 50; i++) {
            call.run();
        }
        double[] samples = new double[9];
        for (int s = 0; s < samples.length; s++) {
            JCudaDriver.cuEventRecord(start, stream);
            for (int i = 0; i < 20; i++) {
                call.run();
            }
            JCudaDriver.cuEventRecord(end, stream);
            JCudaDriver.cuEventSynchronize(end);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, end);
            samples[s] = ms[0] * 1000.0 / 20;
        }
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(end);
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }
}
