/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.internal.NDFormat;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.function.Function;

/**
 * The engine's {@link NDArray}: DJL's bookkeeping (name, manager, uid) around one {@link Tensor},
 * the storage. Every operation is a delegation to the backend serving the array's device ({@link
 * Backends#of}); every reduction there is done in a fixed order that depends only on the reduced
 * length, so a row's result never depends on how many other rows share the call.
 *
 * <p>{@link #reshape}, {@link #expandDims}, {@link #squeeze} and {@link #flatten} share storage
 * with their source, like PyTorch views; every other operation returns new storage.
 *
 * <p>An array on {@code Device.gpu(i)} holds device memory from that device's caching allocator.
 * It can be created, copied ({@link #toDevice}, {@link #duplicate}, {@link #toByteBuffer}, {@link
 * #set}), viewed (reshape and friends) and fed to the fused-attention API; other operations refuse
 * it by name rather than copying behind the caller's back.
 */
public class BiNDArray extends BiNDArrayElementwise implements TensorArray {

    private BiNDManager manager;
    private Tensor tensor;
    private String name;
    private final String uid;
    private volatile boolean closed;

    BiNDArray(BiNDManager manager, Tensor tensor) {
        this.manager = manager;
        this.tensor = tensor;
        this.uid = UUID.randomUUID().toString();
        manager.attachInternal(uid, this);
    }

    // ---------------------------------------------------------------- storage and bookkeeping

    /** {@inheritDoc} */
    @Override
    public Tensor tensor() {
        checkOpen();
        return tensor;
    }

    @Override
    Shape shape() {
        return tensor.getShape();
    }

    @Override
    DataType dataType() {
        return tensor.getDataType();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("NDArray " + uid + " has been closed");
        }
    }

    /** The outermost engine method on the stack: the operation the caller asked for. */
    private static String publicOperation() {
        return StackWalker.getInstance().walk(frames -> {
            String op = "?";
            for (StackWalker.StackFrame f : (Iterable<StackWalker.StackFrame>) frames::iterator) {
                String c = f.getClassName();
                if (c.startsWith("ai.djl.batchinvariant.engine.")) {
                    op = f.getMethodName();
                } else if (!"?".equals(op)) {
                    break;
                }
            }
            return op;
        });
    }

    /** A view of the storage with another shape (same host array, or another device reference). */
    @Override
    BiNDArray view(Shape s) {
        checkOpen();
        return new BiNDArray(manager, tensor.view(s));
    }

    /**
     * The storage's write counter ({@link Tensor#version}): bumped by every in-place write, so
     * caches derived from the storage can tell when they went stale.
     *
     * @return the version
     */
    public int version() {
        return tensor.version();
    }

    /**
     * Wraps a tensor; the array takes it over.
     *
     * @param manager the manager
     * @param tensor the storage
     * @return the array
     */
    static BiNDArray of(BiNDManager manager, Tensor tensor) {
        return new BiNDArray(manager, tensor);
    }

    /** The backend serving this array's device: the one place the engine asks for compute. */
    Backend backend() {
        return Backends.of(getDevice());
    }

    /** Wraps a result of this array's backend as an array of this manager. */
    BiNDArray wrap(Tensor t) {
        return new BiNDArray(manager, t);
    }

    /** Another operand's storage, converted to this engine's array if needed. */
    Tensor other(NDArray other) {
        Tensor t = ours(other).tensor();
        if (!t.getDevice().equals(getDevice())) {
            throw Unsupported.op("NDArray." + publicOperation(), t.isOnDevice() ? t.getDevice() : getDevice());
        }
        return t;
    }

    private BiNDArray ours(NDArray other) {
        if (other instanceof BiNDArray) {
            BiNDArray o = (BiNDArray) other;
            o.checkOpen();
            return o;
        }
        return (BiNDArray) manager.from(other);
    }

    /** {@inheritDoc} */
    @Override
    public NDManager getManager() {
        return manager;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public void setName(String name) {
        this.name = name;
    }

    /** {@inheritDoc} */
    @Override
    public String getUid() {
        return uid;
    }

    /** {@inheritDoc} */
    @Override
    public DataType getDataType() {
        checkOpen();
        return dataType();
    }

    /** {@inheritDoc} */
    @Override
    public Device getDevice() {
        // where the storage lives, which attach/detach to a manager of another device do not move
        return tensor.getDevice();
    }

    /** {@inheritDoc} */
    @Override
    public Shape getShape() {
        checkOpen();
        return shape();
    }

    /** {@inheritDoc} */
    @Override
    public SparseFormat getSparseFormat() {
        return SparseFormat.DENSE;
    }

    /** {@inheritDoc} */
    @Override
    public void attach(NDManager target) {
        detach();
        this.manager = (BiNDManager) target;
        target.attachInternal(uid, this);
    }

    /** {@inheritDoc} */
    @Override
    public void tempAttach(NDManager target) {
        NDManager original = this.manager;
        detach();
        this.manager = (BiNDManager) target;
        target.tempAttachInternal(original, uid, this);
    }

    /** {@inheritDoc} */
    @Override
    public void detach() {
        manager.detachInternal(uid);
        manager = BiNDManager.getSystemManager();
    }

    /** {@inheritDoc} */
    @Override
    public boolean isReleased() {
        return closed;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.detachInternal(uid);
            tensor.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public void intern(NDArray replaced) {
        BiNDArray o = ours(replaced);
        Tensor shared = o.tensor().view(o.tensor.getShape());
        tensor.close();
        tensor = shared;
        // DJL: the array used for the replacement is killed; this one owns its storage now
        if (o != this) {
            o.close();
        }
        if (replaced != o && replaced != this) {
            replaced.close();
        }
    }

    /** {@inheritDoc} */
    @Override
    public boolean hasGradient() {
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Refused, naming training: {@code Trainer.step()} asks for gradients first.
     */
    @Override
    public NDArray getGradient() {
        throw Training.refused("NDArray.getGradient()");
    }

    /** {@inheritDoc} */
    @Override
    public NDArray stopGradient() {
        return this;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Accepted and ignored: DJL marks every parameter trainable when a block initializes, but
     * this engine is inference-only and {@link #getGradient()} is unsupported.
     */
    @Override
    public void setRequiresGradient(boolean requiresGrad) {}

    /** {@inheritDoc} */
    @Override
    public NDArrayEx getNDArrayInternal() {
        return new BiNDArrayEx(this);
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer toByteBuffer(boolean tryDirect) {
        checkOpen();
        Tensor host = backend().toHost(tensor);
        ByteBuffer bb = HostData.toByteBuffer(host.borrowHostData(), host.getDataType(), host.size32());
        if (host != tensor) {
            host.close();
        }
        return bb;
    }

    /** {@inheritDoc} */
    @Override
    public void set(Buffer buffer) {
        checkOpen();
        ValueArgs.checkBuffer(buffer, dataType(), tensor.size32());
        BiNDArray src = BiNDManager.getSystemManager().create(buffer, shape(), dataType());
        try {
            backend().write(tensor, src.tensor());
        } finally {
            src.close();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>DJL's default reads the selection with {@code get} first; a refusal names {@code set},
     * the method called.
     */
    @Override
    public void set(NDIndex index, Function<NDArray, NDArray> function) {
        try {
            super.set(index, function);
        } catch (UnsupportedOperationException e) {
            if (String.valueOf(e.getMessage()).contains("NDArray.set")) {
                throw e;
            }
            throw new UnsupportedOperationException(
                    "BatchInvariant engine does not support NDArray.set() here: " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toDevice(Device device, boolean copy) {
        if (device.equals(getDevice())) {
            return copy ? duplicate() : this;
        }
        BiNDManager target = manager.managerFor(device);
        BiNDArray out = target.copyOf(this);
        out.setName(name);
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray duplicate() {
        BiNDArray out = wrap(backend().copy(tensor()));
        out.setName(name);
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toType(DataType type, boolean copy) {
        if (type == dataType()) {
            return copy ? duplicate() : this;
        }
        return wrap(backend().shapes().toType(tensor(), type));
    }

    /** {@inheritDoc} */
    @Override
    public boolean contentEquals(Number number) {
        if (shape().size() == 0) {
            return false; // PyTorch: an empty array equals no number
        }
        return backend().elementwise().allEqual(tensor(), number.doubleValue());
    }

    /** {@inheritDoc} */
    @Override
    public boolean contentEquals(NDArray other) {
        if (other == null || !shape().equals(other.getShape()) || dataType() != other.getDataType()) {
            return false;
        }
        return toByteBuffer().equals(other.toByteBuffer());
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        if (closed) {
            return "This array is already closed";
        }
        if (dataType() == DataType.BFLOAT16) {
            // DJL's formatter reads values through toArray, which has no bfloat16: print the
            // (exact) float32 values under this array's own header
            try (NDArray f = toType(DataType.FLOAT32, true)) {
                String s = NDFormat.format(f, 100, 10, 10, 20);
                int eol = s.indexOf('\n');
                String head = eol < 0 ? s : s.substring(0, eol);
                return head.replace(DataType.FLOAT32.toString(), DataType.BFLOAT16.toString())
                        + (eol < 0 ? "" : s.substring(eol));
            }
        }
        return NDFormat.format(this, 100, 10, 10, 20);
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof NDArray && contentEquals((NDArray) obj);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return uid.hashCode();
    }

    // ---------------------------------------------------------------- reductions

    private BiNDArray reduce(int[] axes, boolean keepDims, ReduceOp op) {
        return wrap(backend().reductions().reduce(op, tensor(), ShapeArgs.reduceAxes(axes, shape().dimension()),
                keepDims && shape().dimension() > 0));
    }

    @Override public NDArray sum() { return reduce(null, false, ReduceOp.SUM); }
    @Override public NDArray sum(int[] axes, boolean keepDims) { return reduce(axes, keepDims, ReduceOp.SUM); }
    @Override public NDArray mean() { return reduce(null, false, ReduceOp.MEAN); }
    @Override public NDArray mean(int[] axes, boolean keepDims) { return reduce(axes, keepDims, ReduceOp.MEAN); }
    @Override public NDArray max() { return reduce(null, false, ReduceOp.MAX); }
    @Override public NDArray max(int[] axes, boolean keepDims) { return reduce(axes, keepDims, ReduceOp.MAX); }
    @Override public NDArray min() { return reduce(null, false, ReduceOp.MIN); }
    @Override public NDArray min(int[] axes, boolean keepDims) { return reduce(axes, keepDims, ReduceOp.MIN); }
    @Override public NDArray prod() { return reduce(null, false, ReduceOp.PROD); }
    @Override public NDArray prod(int[] axes, boolean keepDims) { return reduce(axes, keepDims, ReduceOp.PROD); }

    private BiNDArray argExtreme(Integer axis, boolean max) {
        Integer ax = axis;
        if (axis != null && shape().dimension() == 0) {
            ShapeArgs.axis(axis, 0); // a scalar's one axis is the whole array
            ax = null;
        }
        return wrap(backend().reductions().argExtreme(tensor(), ax, max));
    }

    @Override public NDArray argMax() { return argExtreme(null, true); }
    @Override public NDArray argMax(int axis) { return argExtreme(axis, true); }
    @Override public NDArray argMin() { return argExtreme(null, false); }
    @Override public NDArray argMin(int axis) { return argExtreme(axis, false); }

    /** {@inheritDoc} */
    @Override
    public NDList topK(int k, int axis, boolean largest, boolean sorted) {
        boolean scalar = shape().dimension() == 0 && ShapeArgs.axis(axis, 0) == 0;
        Tensor t = scalar ? tensor().view(new Shape(1)) : tensor();
        Tensor[] r = backend().reductions().topK(t, k, axis, largest);
        return scalar ? new NDList(wrap(ShapeArgs.scalar(r[0])), wrap(ShapeArgs.scalar(r[1])))
                : new NDList(wrap(r[0]), wrap(r[1]));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray softmax(int axis) {
        return ShapeArgs.onAxis(this, axis, t -> backend().reductions().softmax(t, axis, false));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray logSoftmax(int axis) {
        return ShapeArgs.onAxis(this, axis, t -> backend().reductions().softmax(t, axis, true));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray cumSum(int axis) {
        return ShapeArgs.onAxis(this, axis, t -> backend().reductions().cumSum(t, axis));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray cumSum() {
        NDArray flat = flatten();
        NDArray r = flat.cumSum(0);
        if (r != flat) {
            flat.close();
        }
        if (shape().dimension() == 0 || shape().size() == 0) {
            // the PyTorch engine returns a scalar or empty array as it is, keeping its type
            NDArray typed = r.toType(dataType(), false);
            if (typed != r) {
                r.close();
            }
            return typed;
        }
        return r;
    }

    // ---------------------------------------------------------------- products and gathers

    /** {@inheritDoc} */
    @Override
    public NDArray matMul(NDArray other) {
        return wrap(backend().linalg().matMul(tensor(), other(other)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray batchMatMul(NDArray other) {
        return wrap(backend().linalg().batchMatMul(tensor(), other(other)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray dot(NDArray other) {
        return matMul(other);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray gather(NDArray index, int axis) {
        return wrap(indexing().gather(tensor(), other(index), axis));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray gatherNd(NDArray index) {
        return wrap(indexing().gatherNd(tensor(), other(index)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray take(NDManager target, NDArray index) {
        return wrap(indexing().take(tensor(), other(index)));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray booleanMask(NDArray index, int axis) {
        return wrap(indexing().booleanMask(tensor(), other(index), axis));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray oneHot(int depth, float onValue, float offValue, DataType type) {
        return wrap(indexing().oneHot(tensor(), depth, onValue, offValue, type));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray sequenceMask(NDArray sequenceLength, float value) {
        return wrap(indexing().sequenceMask(tensor(), other(sequenceLength), value));
    }

    private IndexingOps indexing() {
        return backend().indexing();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray sequenceMask(NDArray sequenceLength) {
        return sequenceMask(sequenceLength, 0f);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray flip(int... axes) {
        if (shape().dimension() == 0) {
            for (int a : axes) {
                ShapeArgs.axis(a, 0);
            }
            return duplicate();
        }
        return wrap(backend().shapes().flip(tensor(), axes));
    }
}
