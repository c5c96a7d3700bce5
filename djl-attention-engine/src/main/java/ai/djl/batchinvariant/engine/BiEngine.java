/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code BatchInvariant} engine: a DJL engine whose outputs for a request are bitwise
 * independent of what else is in the batch. This build runs on its CPU backend only and claims no
 * CUDA capability.
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
     * <p>No capability is claimed: this build has no CUDA backend, no MKL and no training.
     */
    @Override
    public boolean hasCapability(String capability) {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public Device defaultDevice() {
        return Device.cpu();
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices() {
        return new Device[] {Device.cpu()};
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices(int maxGpus) {
        return getDevices();
    }

    /** {@inheritDoc} */
    @Override
    public int getGpuCount() {
        return 0;
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
        return ENGINE_NAME + " " + version + " (CPU backend)";
    }
}
