/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.config.EngineOptions;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Programmatic dependent launches (compute capability 9.0 and later): a kernel launched this way
 * may be scheduled while the kernel ahead of it in the stream still runs, so its launch and the
 * part of it that reads only the plan's tables overlap that kernel's end; it waits in
 * {@code dependent_wait} (common.cuh) before it reads anything an earlier kernel wrote or writes
 * anything. The attention kernel reaches its first query load that way, and the merge is scheduled
 * while the attention blocks finish. Scheduling only: every value a kernel computes, and so every
 * bit, is the same either way.
 *
 * <p>JCuda 12.6 does not bind {@code cuLaunchKernelEx}; the launch goes through the incubating
 * foreign linker ({@link ForeignLaunches}) where the JVM has it ({@code --add-modules
 * jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}), and is an ordinary launch otherwise,
 * on older devices, and with {@code ai.djl.batchinvariant.cuda_dependent_launch=false}.
 */
public final class DependentLaunch {

    /** The driver call, where the foreign linker is present. */
    interface Launcher {

        /**
         * Prepares launches of a kernel whose one argument is a params struct, as programmatic
         * dependents of the stream's previous kernel: everything but the stream is fixed here, so
         * that a launch costs the host a copy of a few hundred bytes and one native call.
         *
         * @param function the kernel's {@code CUfunction} handle
         * @param blocks the grid (x)
         * @param threads the block (x)
         * @param smem dynamic shared memory in bytes
         * @param params the struct's bytes (copied)
         * @return the prepared launch
         */
        Prepared prepare(long function, int blocks, int threads, int smem, byte[] params);
    }

    /** A launch with everything but the stream fixed. */
    @FunctionalInterface
    interface Prepared {

        /**
         * Launches on a stream.
         *
         * @param stream the {@code CUstream} handle
         * @return the driver's result code
         */
        int launch(long stream);
    }

    /**
     * Tests only: launch kernels that do not wait as dependents too, to show that the suites catch
     * a kernel reading its input before the kernel ahead has written it.
     */
    static volatile boolean ignoreWaitsForTests;

    private static final Launcher LAUNCHER = ForeignLinker.load("ForeignLaunches", Launcher.class,
            "attention and merge kernels launch after the kernel ahead of them has finished");

    private DependentLaunch() {}

    /**
     * Tells whether launches on a device are dependent ones: the launcher present, compute
     * capability 9.0 or later, the option on (read at each launch).
     *
     * @param device the device
     * @return true for dependent launches
     */
    public static boolean enabled(CudaDevice device) {
        return LAUNCHER != null && device.getComputeCapability() >= 90 && EngineOptions.cudaDependentLaunch();
    }

    /**
     * Prepares launches of a kernel. Those of a kernel that calls {@code dependent_wait} before its
     * first read of an earlier kernel's output and before any write (attention_sm90.cu, merge.cu)
     * are dependent ones where {@link #enabled} at that launch; every other launch is an ordinary
     * one (a kernel that does not wait would read its inputs before they are written).
     *
     * @param device the device
     * @param f the kernel
     * @param blocks the grid
     * @param threads the block
     * @param smem dynamic shared memory in bytes
     * @param params the kernel's params struct (not to be changed while the launch is used)
     * @param waits whether the kernel waits (else every launch is an ordinary one)
     * @param what the launch, for an error message
     * @return the launch, to run on a stream once or many times
     */
    static KernelLaunch prepare(CudaDevice device, CUfunction f, int blocks, int threads, int smem, Params params,
            boolean waits, String what) {
        return new KernelLaunch(device, f, blocks, threads, smem, params, waits, what);
    }

    /** A prepared launch of one kernel, dependent where enabled at the launch. */
    static final class KernelLaunch {
        private final CudaDevice device;
        private final CUfunction f;
        private final int blocks;
        private final int threads;
        private final int smem;
        private final Params params;
        private final boolean waits;
        private final String what;
        private Prepared dependent;
        private Pointer kernelParams;

        private KernelLaunch(CudaDevice device, CUfunction f, int blocks, int threads, int smem, Params params,
                boolean waits, String what) {
            this.device = device;
            this.f = f;
            this.blocks = blocks;
            this.threads = threads;
            this.smem = smem;
            this.params = params;
            this.waits = waits;
            this.what = what;
        }

        /**
         * Launches on a stream (which may be capturing: the dependency becomes the graph's edge).
         *
         * @param stream the stream
         */
        void launch(CUstream stream) {
            if ((waits || ignoreWaitsForTests) && enabled(device)) {
                if (dependent == null) {
                    dependent = LAUNCHER.prepare(NativeHandles.of(f), blocks, threads, smem, params.toBytes());
                }
                check(dependent.launch(NativeHandles.of(stream)), "cuLaunchKernelEx(" + what + ", dependent)");
            } else {
                if (kernelParams == null) {
                    kernelParams = params.toKernelParams();
                }
                check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, smem, stream, kernelParams, null),
                        "cuLaunchKernel(" + what + ")");
            }
        }
    }
}
