/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.dispatch;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.ArrayMathOps;
import ai.djl.batchinvariant.backend.AttentionOps;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.ConvPoolOps;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.GraphCapture;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.LinalgOps;
import ai.djl.batchinvariant.backend.ReductionOps;
import ai.djl.batchinvariant.backend.ShapeOps;
import ai.djl.batchinvariant.backend.SortOps;
import ai.djl.batchinvariant.backend.SpecialOps;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device backend whose op families fall back to the CPU backend for the ops the device has no
 * kernel for: the device inputs are copied to the host, the CPU backend runs the op, and the
 * results are copied back (an in-place op writes its target back). Each such host trip is
 * counted per op and logged once at DEBUG; ops with a kernel never come here. With the system
 * property {@code gpu_host_fallback=false} the device's refusal by name stands instead.
 *
 * <p>The CPU backend's arithmetic is batch-invariant too, so a fallback changes where an op runs
 * (and its speed), never the invariance of its result.
 */
final class HostFallback implements Backend {

    private static final Logger logger = LoggerFactory.getLogger(HostFallback.class);

    private static final Map<String, AtomicLong> TRIPS = new ConcurrentHashMap<>();
    private static final AtomicLong TOTAL = new AtomicLong();

    private final Backend device;
    private final Backend host;
    private final Map<Class<?>, Object> families = new ConcurrentHashMap<>();

    HostFallback(Backend device, Backend host) {
        this.device = device;
        this.host = host;
    }

    /**
     * Returns the host trips since start, per op (a snapshot).
     *
     * @return op name to count, sorted by name
     */
    static Map<String, Long> trips() {
        Map<String, Long> out = new TreeMap<>();
        TRIPS.forEach((k, v) -> out.put(k, v.get()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Returns the number of host trips since start.
     *
     * @return the count
     */
    static long totalTrips() {
        return TOTAL.get();
    }

    @SuppressWarnings("unchecked")
    private <T> T family(Class<T> type, T onDevice, T onHost) {
        return (T) families.computeIfAbsent(type, t -> Proxy.newProxyInstance(type.getClassLoader(),
                new Class<?>[] {type}, new Handler(onDevice, onHost)));
    }

    /** Runs each call on the device, and on the host when the device refuses it. */
    private final class Handler implements InvocationHandler {
        private final Object onDevice;
        private final Object onHost;

        Handler(Object onDevice, Object onHost) {
            this.onDevice = onDevice;
            this.onHost = onHost;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(onDevice, args);
            }
            try {
                return method.invoke(onDevice, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (!(cause instanceof UnsupportedOperationException) || !EngineOptions.gpuHostFallback()) {
                    throw cause;
                }
                return onHost(method, args);
            }
        }

        private Object onHost(Method method, Object[] args) throws Throwable {
            Device target = null;
            Object[] hostArgs = args == null ? null : args.clone();
            for (Object a : args == null ? new Object[0] : args) {
                Tensor first = a instanceof Tensor ? (Tensor) a
                        : a instanceof Tensor[] && ((Tensor[]) a).length > 0 ? ((Tensor[]) a)[0] : null;
                if (first != null && first.isOnDevice()) {
                    target = first.getDevice();
                    break;
                }
            }
            String op = method.getDeclaringClass().getSimpleName() + "." + method.getName();
            if (target != null && device.isCapturing(target)) {
                throw new IllegalStateException(op + " has no kernel on " + target + ": it would run on the CPU through"
                        + " host copies, which a captured CUDA graph cannot contain");
            }
            for (int i = 0; hostArgs != null && i < hostArgs.length; i++) {
                if (hostArgs[i] instanceof Tensor && ((Tensor) hostArgs[i]).isOnDevice()) {
                    Tensor t = (Tensor) hostArgs[i];
                    target = target == null ? t.getDevice() : target;
                    hostArgs[i] = device.download(t);
                } else if (hostArgs[i] instanceof Tensor[]) {
                    Tensor[] parts = ((Tensor[]) hostArgs[i]).clone();
                    for (int j = 0; j < parts.length; j++) {
                        if (parts[j] != null && parts[j].isOnDevice()) {
                            target = target == null ? parts[j].getDevice() : target;
                            parts[j] = device.download(parts[j]);
                        }
                    }
                    hostArgs[i] = parts;
                }
            }
            TOTAL.incrementAndGet();
            if (TRIPS.computeIfAbsent(op, k -> new AtomicLong()).getAndIncrement() == 0) {
                logger.debug("{} has no kernel on {}: it runs on the CPU through host copies", op, target);
            }
            Object result;
            try {
                result = method.invoke(onHost, hostArgs);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (method.getReturnType() == void.class) {
                // an in-place op: its target (the first array) goes back to the device
                for (int i = 0; args != null && i < args.length; i++) {
                    if (args[i] instanceof Tensor && ((Tensor) args[i]).isOnDevice()) {
                        device.write((Tensor) args[i], (Tensor) hostArgs[i]);
                        break;
                    }
                }
                return null;
            }
            Device back = target;
            if (result instanceof Tensor) {
                return back == null ? result : device.upload((Tensor) result, back);
            }
            if (result instanceof Tensor[]) {
                Tensor[] r = ((Tensor[]) result).clone();
                for (int i = 0; back != null && i < r.length; i++) {
                    r[i] = r[i] == null ? null : device.upload(r[i], back);
                }
                return r;
            }
            return result;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return device.getName();
    }

    /** {@inheritDoc} */
    @Override
    public boolean serves(Device d) {
        return device.serves(d);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor zeros(Device d, Shape shape, DataType dataType) {
        return device.zeros(d, shape, dataType);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor upload(Tensor t, Device d) {
        return device.upload(t, d);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor download(Tensor t) {
        return device.download(t);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor copy(Tensor t) {
        return device.copy(t);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor adopt(Tensor t, Device d) {
        return device.adopt(t, d);
    }

    /** {@inheritDoc} */
    @Override
    public Tensor toHost(Tensor t) {
        return device.toHost(t);
    }

    /** {@inheritDoc} */
    @Override
    public void write(Tensor dst, Tensor src) {
        device.write(dst, src);
    }

    /** {@inheritDoc} */
    @Override
    public GraphCapture beginCapture(Device d) {
        return device.beginCapture(d);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isCapturing(Device d) {
        return device.isCapturing(d);
    }

    /** {@inheritDoc} */
    @Override
    public AttentionOps attention() {
        return device.attention();
    }

    /** {@inheritDoc} */
    @Override
    public ElementwiseOps elementwise() {
        return family(ElementwiseOps.class, device.elementwise(), host.elementwise());
    }

    /** {@inheritDoc} */
    @Override
    public ReductionOps reductions() {
        return family(ReductionOps.class, device.reductions(), host.reductions());
    }

    /** {@inheritDoc} */
    @Override
    public LinalgOps linalg() {
        return family(LinalgOps.class, device.linalg(), host.linalg());
    }

    /** {@inheritDoc} */
    @Override
    public ShapeOps shapes() {
        return family(ShapeOps.class, device.shapes(), host.shapes());
    }

    /** {@inheritDoc} */
    @Override
    public IndexingOps indexing() {
        return family(IndexingOps.class, device.indexing(), host.indexing());
    }

    /** {@inheritDoc} */
    @Override
    public ConvPoolOps convPool() {
        return family(ConvPoolOps.class, device.convPool(), host.convPool());
    }

    /** {@inheritDoc} */
    @Override
    public SpecialOps special() {
        return family(SpecialOps.class, device.special(), host.special());
    }

    /** {@inheritDoc} */
    @Override
    public SortOps sorting() {
        return family(SortOps.class, device.sorting(), host.sorting());
    }

    /** {@inheritDoc} */
    @Override
    public ArrayMathOps arrayMath() {
        return family(ArrayMathOps.class, device.arrayMath(), host.arrayMath());
    }
}
