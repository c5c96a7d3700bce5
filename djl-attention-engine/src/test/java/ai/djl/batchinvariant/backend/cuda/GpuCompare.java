/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Shared pieces of the GPU-against-CPU suites: test data with the awkward values (NaN, infinities,
 * signed zeros, subnormals, integer extremes), upload and download, and a comparison of raw bits
 * (or of ulps, for the operations allowed to differ) that names the first differing element with
 * its inputs.
 */
final class GpuCompare {

    static final Device GPU = Device.gpu(0);
    static final CpuBackend CPU = CpuBackend.INSTANCE;
    static final CudaBackend CUDA = CudaBackend.INSTANCE;

    /** Every storage type both backends hold. */
    static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16,
        DataType.INT8, DataType.UINT8, DataType.INT32, DataType.INT64, DataType.BOOLEAN};

    private static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 7.0, -7.0, 20.5,
        65504.0, 70000.0, 1e-40, -1e-45, 1e30, -3e38, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        127, 128, 255, 256, -128, -129, 2147483647.0, -2147483648.0, 9.3e18, 1e300};

    private GpuCompare() {}

    /** Skips unless a CUDA device is usable; turns output poisoning on. */
    static void requireGpu() {
        assumeTrue(CudaRuntime.deviceCount() > 0, "no CUDA device: " + CudaRuntime.unavailableReason());
        System.setProperty(CudaAttention.POISON_PROPERTY, "true");
    }

    /** Host data of a shape and type: the special values first, then random ones. */
    static Tensor data(Shape shape, DataType type, long seed) {
        int n = (int) shape.size();
        Random r = new Random(seed);
        Object d = HostData.allocate(type, n);
        for (int i = 0; i < n; i++) {
            int pick = (int) ((i + seed) % (SPECIAL.length * 2));
            if (pick < SPECIAL.length && r.nextInt(3) == 0) {
                HostData.setDouble(d, type, i, SPECIAL[pick]);
            } else if (type == DataType.INT64) {
                HostData.setLong(d, type, i, r.nextInt(5) == 0 ? r.nextLong() : r.nextInt(41) - 20);
            } else if (HostData.isFloating(type)) {
                HostData.setDouble(d, type, i, r.nextGaussian() * (r.nextInt(4) == 0 ? 100 : 3));
            } else {
                HostData.setLong(d, type, i, r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(41) - 20);
            }
        }
        return Tensor.host(shape, type, d);
    }

    /** Integer indices in [-size, size) (negative ones count from the end). */
    static Tensor indices(Shape shape, DataType type, long size, long seed) {
        Random r = new Random(seed);
        int n = (int) shape.size();
        Object d = HostData.allocate(type, n);
        for (int i = 0; i < n; i++) {
            HostData.setLong(d, type, i, size == 0 ? 0 : r.nextInt((int) (2 * size)) - size);
        }
        return Tensor.host(shape, type, d);
    }

    static Tensor up(Tensor host) {
        return CUDA.upload(host, GPU);
    }

    static Tensor down(Tensor gpu) {
        try {
            return CUDA.download(gpu);
        } finally {
            gpu.close();
        }
    }

    /** The bits of element i, NaNs of any payload made one value. */
    static long bits(Tensor t, int i) {
        Object d = t.hostData();
        switch (t.getDataType()) {
            case FLOAT32: {
                float f = ((float[]) d)[i];
                return Float.isNaN(f) ? Long.MIN_VALUE : Float.floatToRawIntBits(f);
            }
            case FLOAT64: {
                double v = ((double[]) d)[i];
                return Double.isNaN(v) ? Long.MIN_VALUE : Double.doubleToRawLongBits(v);
            }
            case FLOAT16:
            case BFLOAT16:
                return Double.isNaN(HostData.getDouble(d, t.getDataType(), i)) ? Long.MIN_VALUE
                        : ((short[]) d)[i] & 0xffff;
            default:
                return HostData.getLong(d, t.getDataType(), i);
        }
    }

    /**
     * Downloads a device tensor's elements as {@link #bits} (the tensor stays open).
     *
     * @param gpu the tensor
     * @return the bits of every element
     */
    static long[] rawBits(Tensor gpu) {
        Tensor host = CUDA.download(gpu);
        long[] b = new long[(int) host.getShape().size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = bits(host, i);
        }
        return b;
    }

    /**
     * Tells whether {@link #bits} found a NaN.
     *
     * @param bits the bits
     * @return true if any is NaN
     */
    static boolean anyNaN(long[] bits) {
        return java.util.Arrays.stream(bits).anyMatch(b -> b == Long.MIN_VALUE);
    }

    /** Distance in units in the last place of the storage type (0 for equal bits, NaN = NaN). */
    static long ulps(Tensor a, Tensor b, int i) {
        long x = bits(a, i);
        long y = bits(b, i);
        if (x == y) {
            return 0;
        }
        if (x == Long.MIN_VALUE || y == Long.MIN_VALUE || !HostData.isFloating(a.getDataType())) {
            return Long.MAX_VALUE;
        }
        return Math.abs(ordered(a.getDataType(), x) - ordered(a.getDataType(), y));
    }

    /** The ulp of 1.0 in a float type. */
    static double unit(DataType t) {
        switch (t) {
            case FLOAT64:
                return 0x1p-52;
            case FLOAT16:
                return 0x1p-10;
            case BFLOAT16:
                return 0x1p-7;
            default:
                return 0x1p-23;
        }
    }

    /** Maps float bits to integers ordered like the values. */
    private static long ordered(DataType t, long bits) {
        int width = t == DataType.FLOAT64 ? 64 : t == DataType.FLOAT32 ? 32 : 16;
        long sign = 1L << (width - 1);
        long mag = bits & (sign - 1);
        return (bits & sign) != 0 ? -mag : mag;
    }

    /**
     * Compares a GPU result with the CPU's: same shape and type, every element within
     * {@code maxUlps} (0: same bits). Returns a diagnostic, or null when they agree.
     */
    static String compare(String what, Tensor cpu, Tensor gpu, long maxUlps, Supplier<String> inputs) {
        if (!cpu.getShape().equals(gpu.getShape()) || cpu.getDataType() != gpu.getDataType()) {
            return what + ": CPU gives " + cpu.getDataType() + " " + cpu.getShape() + ", GPU " + gpu.getDataType() + " "
                    + gpu.getShape();
        }
        int n = cpu.size32();
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            long u = ulps(cpu, gpu, i);
            if (u > maxUlps && maxUlps > 0 && u != Long.MAX_VALUE) {
                // near a cancellation (expm1-like formulas) an ulp of the inputs is many of the
                // result's: accept an absolute error of maxUlps ulps of 1.0 there
                double d = Math.abs(HostData.getDouble(cpu.hostData(), cpu.getDataType(), i)
                        - HostData.getDouble(gpu.hostData(), gpu.getDataType(), i));
                if (d <= maxUlps * unit(cpu.getDataType())) {
                    continue;
                }
            }
            if (u > maxUlps) {
                if (bad++ < 5) {
                    sb.append(String.format("%n  [%d] cpu %s (bits %x) gpu %s (bits %x), %s ulps", i,
                            HostData.getDouble(cpu.hostData(), cpu.getDataType(), i), bits(cpu, i),
                            HostData.getDouble(gpu.hostData(), gpu.getDataType(), i), bits(gpu, i),
                            u == Long.MAX_VALUE ? "inf" : Long.toString(u)));
                }
            }
        }
        if (bad == 0) {
            return null;
        }
        return what + " " + cpu.getDataType() + " " + cpu.getShape() + ": " + bad + " of " + n
                + " elements differ beyond " + maxUlps + " ulps" + sb + "\n  inputs: " + inputs.get();
    }

    /** The first few elements of host tensors, for messages. */
    static String show(Tensor... ts) {
        List<String> out = new ArrayList<>();
        for (Tensor t : ts) {
            StringBuilder sb = new StringBuilder(t.getDataType() + " " + t.getShape() + " [");
            for (int i = 0; i < Math.min(8, t.size32()); i++) {
                sb.append(i == 0 ? "" : ", ").append(HostData.getDouble(t.hostData(), t.getDataType(), i));
            }
            out.add(sb.append(t.size32() > 8 ? ", ...]" : "]").toString());
        }
        return String.join("; ", out);
    }

    /** Runs a call on both backends' side; gives the outcome: a result or the exception's class and message. */
    static Object outcome(Supplier<Tensor> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /**
     * Compares one call on both backends: results (within {@code maxUlps}), or the exception both
     * throw. A difference is added to {@code failures}; a GPU result is closed either way.
     */
    static void both(List<String> failures, String what, Supplier<Tensor> cpu, Supplier<Tensor> gpu, long maxUlps,
            Supplier<String> inputs) {
        Object c = outcome(cpu);
        Object g = outcome(gpu);
        if (c instanceof String || g instanceof String) {
            if (!c.equals(g instanceof Tensor ? "a result" : g)) {
                failures.add(what + ": CPU " + (c instanceof String ? c : "a result") + " / GPU "
                        + (g instanceof String ? g : "a result") + "\n  inputs: " + inputs.get());
            }
            if (g instanceof Tensor) {
                ((Tensor) g).close();
            }
            return;
        }
        String diff = compare(what, (Tensor) c, down((Tensor) g), maxUlps, inputs);
        if (diff != null) {
            failures.add(diff);
        }
    }

    /** Prints the first differences and fails when there are any. */
    static void report(List<String> failures, int cases) {
        System.out.println(failures.size() + " of " + cases + " cases differ");
        failures.stream().limit(40).forEach(System.out::println);
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases differ; first: "
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    /** n uniform values in [-scale, scale) from a seed. */
    static double[] randoms(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextDouble() * 2 - 1) * scale;
        }
        return v;
    }
}
