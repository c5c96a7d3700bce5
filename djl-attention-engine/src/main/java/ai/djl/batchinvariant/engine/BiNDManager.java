/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorFactory;
import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.config.OptionsHolder;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.SplittableRandom;

/**
 * The engine's {@link NDManager}. Arrays live in host memory ({@code Device.cpu()}) or in device
 * memory ({@code Device.gpu(i)}) and are released when their manager closes. Each manager carries the {@link EngineOptions} that attention blocks running under it
 * use; a sub-manager inherits its parent's options.
 */
public class BiNDManager extends BaseNDManager implements TensorFactory, OptionsHolder {

    private static final BiNDManager SYSTEM_MANAGER = new SystemManager();

    private EngineOptions options;

    private BiNDManager(NDManager parent, Device device, EngineOptions options) {
        super(parent, device);
        this.options = options;
    }

    static BiNDManager getSystemManager() {
        return SYSTEM_MANAGER;
    }

    /**
     * Returns the options that apply to work under this manager.
     *
     * @return the options
     */
    @Override
    public EngineOptions getOptions() {
        return options;
    }

    /**
     * Sets the options that apply to work under this manager and the sub-managers created after.
     *
     * @param options the options
     */
    public void setOptions(EngineOptions options) {
        this.options = options;
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer allocateDirect(int capacity) {
        return ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray from(NDArray array) {
        if (array == null || array instanceof BiNDArray) {
            return array;
        }
        NDArray out = create(array.toByteBuffer(), array.getShape(), array.getDataType());
        out.setName(array.getName());
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public BiNDManager newSubManager(Device dev) {
        checkDevice(dev);
        BiNDManager m = new BiNDManager(this, dev, options);
        attachUncappedInternal(m.uid, m);
        return m;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        return Engine.getEngine(BiEngine.ENGINE_NAME);
    }

    static void checkDevice(Device dev) {
        Backends.of(dev);
    }

    BiNDManager managerFor(Device dev) {
        checkDevice(dev);
        return dev.equals(device) ? this : newSubManager(dev);
    }

    /**
     * Wraps host storage in an array of this manager, uploading it when the manager is on a GPU.
     *
     * @param shape the shape
     * @param type the data type
     * @param data a primitive array typed as {@link HostData} describes
     * @return the array
     */
    BiNDArray wrap(Shape shape, DataType type, Object data) {
        Tensor host = Tensor.host(shape, type, data);
        return BiNDArray.of(this, Backends.of(device).adopt(host, device));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray wrap(Tensor tensor) {
        return wrapTensor(tensor);
    }

    BiNDArray wrapTensor(Tensor t) {
        checkOpen();
        return BiNDArray.of(this, t);
    }

    BiNDArray copyOf(BiNDArray src) {
        checkOpen();
        Tensor t = src.tensor();
        Backend target = Backends.of(device);
        if (t.getDevice().equals(device)) {
            return BiNDArray.of(this, target.copy(t));
        }
        Tensor host = Backends.of(t.getDevice()).toHost(t);
        Tensor out = target.upload(host, device);
        if (host != t) {
            host.close();
        }
        return BiNDArray.of(this, out);
    }

    private void checkOpen() {
        if (!isOpen()) {
            throw new IllegalStateException("NDManager " + uid + " has been closed");
        }
    }

    /** {@inheritDoc} */
    @Override
    public BiNDArray create(Buffer data, Shape shape, DataType dataType) {
        checkOpen();
        if (!HostData.isSupported(dataType)) {
            HostData.allocate(dataType, 0);
        }
        int n = Math.toIntExact(shape.size());
        Object d;
        if (data instanceof ByteBuffer) {
            ByteBuffer bb = (ByteBuffer) data;
            int need = n * dataType.getNumOfBytes();
            if (bb.remaining() < need) {
                throw new IllegalArgumentException(
                        "buffer has " + bb.remaining() + " bytes, shape " + shape + " " + dataType + " needs " + need);
            }
            d = HostData.fromByteBuffer(bb, dataType, n);
        } else {
            d = fromTypedBuffer(data, dataType, n);
        }
        return wrap(shape, dataType, d);
    }

    private static Object fromTypedBuffer(Buffer data, DataType dataType, int n) {
        if (data.remaining() < n) {
            throw new IllegalArgumentException("buffer has " + data.remaining() + " elements, " + n + " needed");
        }
        Object d = HostData.allocate(dataType, n);
        Buffer src = data.duplicate();
        for (int i = 0; i < n; i++) {
            if (src instanceof FloatBuffer) {
                HostData.setFloat(d, dataType, i, ((FloatBuffer) src).get());
            } else if (src instanceof DoubleBuffer) {
                HostData.setDouble(d, dataType, i, ((DoubleBuffer) src).get());
            } else if (src instanceof IntBuffer) {
                HostData.setLong(d, dataType, i, ((IntBuffer) src).get());
            } else if (src instanceof LongBuffer) {
                HostData.setLong(d, dataType, i, ((LongBuffer) src).get());
            } else if (src instanceof ShortBuffer) {
                short v = ((ShortBuffer) src).get();
                if (dataType == DataType.FLOAT16 || dataType == DataType.BFLOAT16) {
                    ((short[]) d)[i] = v;
                } else {
                    HostData.setLong(d, dataType, i, v);
                }
            } else {
                throw new IllegalArgumentException("unsupported buffer type " + data.getClass().getSimpleName());
            }
        }
        return d;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray create(Shape shape, DataType dataType) {
        checkOpen();
        HostData.allocate(dataType, 0);
        return BiNDArray.of(this, Backends.of(device).zeros(device, shape, dataType));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray zeros(Shape shape, DataType dataType) {
        return create(shape, dataType);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray ones(Shape shape, DataType dataType) {
        return full(shape, 1f, dataType);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray full(Shape shape, float value, DataType dataType) {
        checkOpen();
        ValueArgs.checkFill(value, dataType);
        int n = Math.toIntExact(shape.size());
        Object d = HostData.allocate(dataType, n);
        for (int i = 0; i < n; i++) {
            HostData.setDouble(d, dataType, i, value);
        }
        return wrap(shape, dataType, d);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray arange(float start, float stop, float step, DataType dataType) {
        checkOpen();
        if (step == 0 || Float.isNaN(step)) {
            throw new IllegalArgumentException("arange step " + step + " must be non-zero");
        }
        ValueArgs.checkArangeStep(step, dataType);
        int n = (int) Math.max(0, Math.ceil((stop - start) / step));
        Object d = HostData.allocate(dataType, n);
        for (int i = 0; i < n; i++) {
            HostData.setDouble(d, dataType, i, start + (double) i * step);
        }
        return wrap(new Shape(n), dataType, d);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray eye(int rows, int cols, int k, DataType dataType) {
        checkOpen();
        Object d = HostData.allocate(dataType, rows * cols);
        for (int i = 0; i < rows; i++) {
            int j = i + k;
            if (j >= 0 && j < cols) {
                HostData.setDouble(d, dataType, i * cols + j, 1);
            }
        }
        return wrap(new Shape(rows, cols), dataType, d);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray linspace(float start, float stop, int num, boolean endpoint) {
        checkOpen();
        float[] d = new float[num];
        double step = num <= 1 ? 0 : (stop - start) / (double) (endpoint ? num - 1 : num);
        for (int i = 0; i < num; i++) {
            d[i] = (float) (start + i * step);
        }
        return wrap(new Shape(num), DataType.FLOAT32, d);
    }

    private SplittableRandom random() {
        Integer seed = getEngine().getSeed();
        return seed == null ? new SplittableRandom() : new SplittableRandom(seed ^ BiEngine.nextSeedSalt());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray randomUniform(float low, float high, Shape shape, DataType dataType) {
        checkOpen();
        SplittableRandom r = random();
        int n = Math.toIntExact(shape.size());
        Object d = HostData.allocate(dataType, n);
        for (int i = 0; i < n; i++) {
            HostData.setDouble(d, dataType, i, low + (high - low) * r.nextDouble());
        }
        return wrap(shape, dataType, d);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray randomNormal(float loc, float scale, Shape shape, DataType dataType) {
        checkOpen();
        SplittableRandom r = random();
        int n = Math.toIntExact(shape.size());
        Object d = HostData.allocate(dataType, n);
        for (int i = 0; i < n; i += 2) {
            double u1 = Math.max(r.nextDouble(), 1e-300);
            double u2 = r.nextDouble();
            double rad = StrictMath.sqrt(-2 * StrictMath.log(u1));
            HostData.setDouble(d, dataType, i, loc + scale * rad * StrictMath.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                HostData.setDouble(d, dataType, i + 1, loc + scale * rad * StrictMath.sin(2 * Math.PI * u2));
            }
        }
        return wrap(shape, dataType, d);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray randomInteger(long low, long high, Shape shape, DataType dataType) {
        checkOpen();
        ValueArgs.checkRandomRange(low, high, dataType);
        SplittableRandom r = random();
        int n = Math.toIntExact(shape.size());
        Object d = HostData.allocate(dataType, n);
        for (int i = 0; i < n; i++) {
            HostData.setLong(d, dataType, i, r.nextLong(low, high));
        }
        return wrap(shape, dataType, d);
    }

    /** The root manager; it is never closed. */
    private static final class SystemManager extends BiNDManager implements SystemNDManager {

        SystemManager() {
            super(null, Device.cpu(), EngineOptions.fromSystemProperties());
        }

        /** {@inheritDoc} */
        @Override
        public void attachInternal(String resourceId, AutoCloseable... resources) {}

        /**
         * Keeps nothing: the root never closes, so holding its children (every base manager and
         * model) would only keep them alive after they are closed.
         */
        @Override
        public void attachUncappedInternal(String resourceId, AutoCloseable resource) {}

        /** {@inheritDoc} */
        @Override
        public void detachInternal(String resourceId) {}

        /** {@inheritDoc} */
        @Override
        public void close() {}
    }
}
