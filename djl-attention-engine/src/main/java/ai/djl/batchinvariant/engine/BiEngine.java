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
import ai.djl.training.GradientCollector;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code BatchInvariant} engine: a DJL engine whose outputs for a request are bitwise
 * independent of what else is in the batch. It runs on its CPU backend everywhere and on its CUDA
 * backend where a CUDA device, the driver and the kernels of this build are present.
 *
 * <p>At start it logs exactly one INFO line: version, backends, devices, the kernels this build
 * carries (and the nvcc that compiled them) and, where no GPU is usable, why in one line (the full
 * cause is logged at DEBUG by the CUDA backend).
 */
public final class BiEngine extends Engine {

    /** The engine name used with {@code Engine.getEngine} and {@code ai.djl.default_engine}. */
    public static final String ENGINE_NAME = "BatchInvariant";

    /** The provider rank. */
    public static final int RANK = 10;

    private static final Logger logger = LoggerFactory.getLogger(BiEngine.class);

    /** Where the kernels module puts its fatbin resources and {@code nvcc.version}. */
    private static final String KERNEL_DIR = "/ai/djl/batchinvariant/kernels/";

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
        logger.info(startLine());
    }

    /**
     * Returns the one-line summary logged at engine start.
     *
     * @return version, backends, devices, kernel build and, without a usable GPU, the reason
     */
    String startLine() {
        int gpus = Backends.gpuCount();
        StringBuilder sb = new StringBuilder(ENGINE_NAME).append(' ').append(version);
        sb.append(": backends CPU").append(gpus > 0 ? ", CUDA" : "");
        sb.append("; devices cpu()");
        for (int i = 0; i < gpus; i++) {
            sb.append(", gpu(").append(i).append(')');
        }
        sb.append("; kernels ").append(kernelBuild());
        if (gpus == 0) {
            sb.append("; no GPU: ").append(Backends.gpuUnavailableReason());
        }
        return sb.toString();
    }

    /** The kernel families in this build's resources and the nvcc that built them. */
    private static String kernelBuild() {
        List<String> families = kernelFamilies();
        if (families.isEmpty()) {
            return "none (nvcc was absent when this build was made)";
        }
        String nvcc = "unknown";
        try (InputStream is = BiEngine.class.getResourceAsStream(KERNEL_DIR + "nvcc.version")) {
            if (is != null) {
                nvcc = new String(is.readAllBytes(), StandardCharsets.UTF_8).trim().replaceFirst("^Build ", "");
            }
        } catch (IOException ignored) {
            // the nvcc version stays "unknown"
        }
        return String.join(", ", families) + " (nvcc " + nvcc + ")";
    }

    private static List<String> kernelFamilies() {
        List<String> out = new ArrayList<>();
        URL marker = BiEngine.class.getResource(KERNEL_DIR + "attention.fatbin");
        if (marker == null) {
            return out;
        }
        try {
            if ("file".equals(marker.getProtocol())) {
                Path dir = Paths.get(marker.toURI()).getParent();
                try (Stream<Path> files = Files.list(dir)) {
                    files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".fatbin"))
                            .forEach(n -> out.add(n.substring(0, n.length() - ".fatbin".length())));
                }
            } else {
                URLConnection c = marker.openConnection();
                if (c instanceof JarURLConnection) {
                    c.setUseCaches(false);
                    String prefix = KERNEL_DIR.substring(1);
                    try (JarFile jar = ((JarURLConnection) c).getJarFile()) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                            String n = e.nextElement().getName();
                            if (n.startsWith(prefix) && n.endsWith(".fatbin") && n.indexOf('/', prefix.length()) < 0) {
                                out.add(n.substring(prefix.length(), n.length() - ".fatbin".length()));
                            }
                        }
                    }
                }
            }
        } catch (Exception e) {
            logger.debug("could not list the kernel resources", e);
        }
        if (out.isEmpty()) {
            out.add("attention");
        }
        Collections.sort(out);
        return out;
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

    /**
     * {@inheritDoc}
     *
     * <p>Refused: the engine is inference-only; the message names training.
     */
    @Override
    public GradientCollector newGradientCollector() {
        throw Training.refused("Engine.newGradientCollector()");
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

    /**
     * Returns the figures of a GPU's caching allocator (held by arrays, peak, cached, cap).
     *
     * @param device a GPU
     * @return the figures
     * @throws IllegalArgumentException if the device is not a usable GPU
     */
    public GpuMemory getGpuMemory(Device device) {
        if (device == null || !Device.Type.GPU.equals(device.getDeviceType())) {
            throw new IllegalArgumentException("device " + device + " is not a GPU");
        }
        Backends.of(device);
        return new GpuMemory(Backends.gpuMemoryStats(device.getDeviceId()));
    }
}
