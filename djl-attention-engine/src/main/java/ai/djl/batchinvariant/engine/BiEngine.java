/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code BatchInvariant} engine: a DJL engine whose outputs for a request are bitwise
 * independent of what else is in the batch. It runs on its CPU backend everywhere and on its CUDA
 * backend where a CUDA device, the driver and the kernels of this build are present.
 */
public final class BiEngine extends Engine {

    /** The engine name used with {@code Engine.getEngine} and {@code ai.djl.default_engine}. */
    public static final String ENGINE_NAME = "BatchInvariant";

    /** The provider rank. */
    public static final int RANK = 10;

    private static final AtomicLong SEED_SALT = new AtomicLong();

    private final String version;

    BiEngine() {
        String v = "unknown";
        try (InputStream is = BiEngine.class.getResourceAsStream("engine.properties")) {
            if (is != null) {
                Properties p = new Properties();
                p.load(is);
                v = p.getProperty("version", v);
            }
        } catch (IOException ignored) {
            // the version stays "unknown"
        }
        this.version = v;
    }

    static long nextSeedSalt() {
        return SEED_SALT.incrementAndGet() * 0x9E3779B97F4A7C15L;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getAlternativeEngine() {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getRank() {
        return RANK;
    }

    /** {@inheritDoc} */
    @Override
    public String getVersion() {
        return version;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code CUDA} is claimed only where a device is usable ({@link Backends#gpuCount}); MKL and
     * training are never claimed.
     */
    @Override
    public boolean hasCapability(String capability) {
        return StandardCapabilities.CUDA.equals(capability) && Backends.gpuCount() > 0;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The CPU: the CUDA backend runs the fused-attention API on arrays placed on a GPU
     * explicitly, while most NDArray operations are CPU-only in this build.
     */
    @Override
    public Device defaultDevice() {
        return Device.cpu();
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices() {
        return getDevices(Integer.MAX_VALUE);
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices(int maxGpus) {
        int n = Math.min(maxGpus, getGpuCount());
        if (n <= 0) {
            return new Device[] {Device.cpu()};
        }
        Device[] d = new Device[n];
        for (int i = 0; i < n; i++) {
            d[i] = Device.gpu(i);
        }
        return d;
    }

    /** {@inheritDoc} */
    @Override
    public int getGpuCount() {
        return Backends.gpuCount();
    }

    /** {@inheritDoc} */
    @Override
    public Model newModel(String name, Device device) {
        return new BiModel(name, device == null ? defaultDevice() : device);
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager() {
        return BiNDManager.getSystemManager().newSubManager();
    }

    /** {@inheritDoc} */
    @Override
    public NDManager newBaseManager(Device device) {
        return BiNDManager.getSystemManager().newSubManager(device == null ? defaultDevice() : device);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        int gpus = Backends.gpuCount();
        return ENGINE_NAME + " " + version + " (CPU backend" + (gpus > 0 ? ", CUDA backend on " + gpus + " GPU(s))" : ")");
    }
}
