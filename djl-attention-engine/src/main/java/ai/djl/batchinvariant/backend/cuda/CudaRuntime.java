/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.engine.EngineException;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide CUDA state through JCuda's driver API: whether CUDA can be used here, how many
 * devices there are, and one {@link CudaDevice} (context, modules, allocator, stream) per device.
 * Where the driver, a device or the kernels are missing, {@link #deviceCount()} is 0 and {@link
 * #unavailableReason()} says why; nothing else in the engine changes.
 */
public final class CudaRuntime {

    private static final Logger logger = LoggerFactory.getLogger(CudaRuntime.class);

    private static final Object LOCK = new Object();
    private static volatile boolean initialized;
    private static int deviceCount;
    private static String reason = "not initialized";
    private static CudaDevice[] devices = new CudaDevice[0];

    private CudaRuntime() {}

    private static void init() {
        if (initialized) {
            return;
        }
        synchronized (LOCK) {
            if (initialized) {
                return;
            }
            Throwable cause = null;
            try {
                if (CudaRuntime.class.getResource(CudaDevice.KERNEL_DIR + "attention.fatbin") == null) {
                    reason = "this build carries no CUDA kernels (nvcc was absent when it was built)";
                } else if (Boolean.getBoolean("ai.djl.batchinvariant.disable_cuda")) {
                    reason = "disabled by -Dai.djl.batchinvariant.disable_cuda=true";
                } else {
                    JCudaDriver.setExceptionsEnabled(false);
                    int rc = JCudaDriver.cuInit(0);
                    if (rc != CUresult.CUDA_SUCCESS) {
                        reason = "cuInit failed: " + CUresult.stringFor(rc);
                    } else {
                        int[] n = new int[1];
                        check(JCudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
                        deviceCount = n[0];
                        devices = new CudaDevice[deviceCount];
                        reason = deviceCount == 0 ? "the CUDA driver reports no device" : null;
                    }
                }
            } catch (Throwable t) {
                // no libcuda, no JCuda natives for this platform, or a driver too old
                reason = "the CUDA driver could not be loaded: " + oneLine(t);
                deviceCount = 0;
                cause = t;
            }
            if (cause != null) {
                logger.debug("CUDA backend unavailable: {}", reason, cause);
            } else if (reason != null) {
                logger.debug("CUDA backend unavailable: {}", reason);
            }
            initialized = true;
        }
    }

    /**
     * Returns the most telling line of a driver-loading failure: JCuda's loader nests the stack
     * traces of each attempt in its message, where the dynamic linker's line names what is missing.
     */
    static String oneLine(Throwable t) {
        String msg = t.getMessage();
        String name = t.getClass().getSimpleName();
        if (msg == null || msg.isBlank()) {
            return name;
        }
        String[] lines = msg.trim().split("\\R");
        for (String line : lines) {
            int at = line.indexOf("libcuda");
            if (at >= 0) {
                return line.substring(at).trim();
            }
        }
        return name + ": " + lines[0].trim();
    }

    /**
     * Returns the number of usable CUDA devices (0 where CUDA is unavailable).
     *
     * @return devices
     */
    public static int deviceCount() {
        init();
        return deviceCount;
    }

    /**
     * Returns why CUDA is unavailable, or null when it is available.
     *
     * @return the reason
     */
    public static String unavailableReason() {
        init();
        return reason;
    }

    /**
     * Returns device {@code index}, creating its context and loading its kernels on first use.
     *
     * @param index the device ordinal
     * @return the device
     * @throws IllegalArgumentException if there is no such device
     */
    public static CudaDevice device(int index) {
        init();
        if (index < 0 || index >= deviceCount) {
            throw new IllegalArgumentException("device gpu(" + index + ") is not available: "
                    + (deviceCount == 0 ? reason : deviceCount + " CUDA device(s)"));
        }
        synchronized (LOCK) {
            if (devices[index] == null) {
                devices[index] = new CudaDevice(index);
            }
            return devices[index];
        }
    }

    /**
     * Throws a readable exception for a failed driver call.
     *
     * @param rc the CUresult
     * @param call what was called
     * @throws EngineException unless rc is CUDA_SUCCESS
     */
    public static void check(int rc, String call) {
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new EngineException("CUDA " + call + " failed: " + CUresult.stringFor(rc) + " (" + rc + ")");
        }
    }
}
