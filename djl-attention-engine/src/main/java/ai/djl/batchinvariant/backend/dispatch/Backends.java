/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.dispatch;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.backend.cuda.CudaBackend;
import ai.djl.batchinvariant.tensor.Tensor;

/**
 * The one place that picks a backend: from the device the arrays live on. Everything above the
 * backends (attention API, blocks, the DJL classes) asks here and never names an implementation.
 * A GPU's ops without a kernel run on the CPU through host copies ({@link HostFallback}), counted
 * by {@link #hostTrips()}, unless the system property {@code gpu_host_fallback} is false.
 */
public final class Backends {

    /** The CUDA backend with the CPU backend behind the ops it has no kernel for. */
    private static final HostFallback GPU = new HostFallback(CudaBackend.INSTANCE, CpuBackend.INSTANCE);

    private Backends() {}

    /**
     * Returns the backend serving a device.
     *
     * @param device the device
     * @return the CPU backend for {@code Device.cpu()}, the CUDA backend for {@code Device.gpu(i)}
     * @throws IllegalArgumentException for any other device type, or a GPU this process cannot use
     */
    public static Backend of(Device device) {
        if (device == null || Device.Type.CPU.equals(device.getDeviceType())) {
            return CpuBackend.INSTANCE;
        }
        if (Device.Type.GPU.equals(device.getDeviceType())) {
            CudaBackend.INSTANCE.checkDevice(device);
            return GPU;
        }
        throw new IllegalArgumentException("device " + device + " is not supported: use Device.cpu() or Device.gpu(i)");
    }

    /**
     * Returns the backend serving tensors that must share one device.
     *
     * @param names the tensors' names, for the error message
     * @param tensors the tensors (nulls are skipped)
     * @return the backend of their device
     * @throws IllegalArgumentException if they live on different devices
     */
    public static Backend of(String[] names, Tensor... tensors) {
        Device device = null;
        String first = null;
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) {
                continue;
            }
            if (device == null) {
                device = tensors[i].getDevice();
                first = names[i];
            } else if (!device.equals(tensors[i].getDevice())) {
                throw new IllegalArgumentException(first + " is on " + device + ", " + names[i] + " on "
                        + tensors[i].getDevice() + ": all must be on one device");
            }
        }
        return of(device);
    }

    /**
     * Returns how often an op ran on the CPU through host copies because the GPU has no kernel
     * for it, since the process started.
     *
     * @return the count
     */
    public static long hostTrips() {
        return HostFallback.totalTrips();
    }

    /**
     * Returns the host trips per op (family and method, e.g. "ConvPoolOps.conv"), since the
     * process started.
     *
     * @return op to count
     */
    public static java.util.Map<String, Long> hostTripsByOp() {
        return HostFallback.trips();
    }

    /**
     * Tells whether a GPU backend is usable in this process.
     *
     * @return the number of usable GPUs
     */
    public static int gpuCount() {
        return CudaBackend.INSTANCE.deviceCount();
    }

    /**
     * Returns a GPU allocator's figures.
     *
     * @param deviceId the GPU
     * @return {bytes in use, peak in use, bytes cached, cache cap}
     */
    public static long[] gpuMemoryStats(int deviceId) {
        return CudaBackend.INSTANCE.memoryStats(deviceId);
    }

    /**
     * Tells in one line why no GPU is usable.
     *
     * @return the reason, or null when a GPU is usable
     */
    public static String gpuUnavailableReason() {
        return CudaBackend.INSTANCE.unavailableReason();
    }
}
