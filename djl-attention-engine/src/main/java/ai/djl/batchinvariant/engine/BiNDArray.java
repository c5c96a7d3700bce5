/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.IndexingOps;
import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.backend.Unsupported;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
public class BiNDArray extends BiNDArrayMath implements TensorArray {

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

    private Shape shape() {
        return tensor.getShape();
    }

    private DataType dataType() {
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
    private BiNDArray view(Shape s) {
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
        ByteBuffer bb = HostData.toByteBuffer(host.hostData(), host.getDataType(), host.size32());
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

    // ---------------------------------------------------------------- element-wise

    private BiNDArray scalar(Number n) {
        DataType t = dataType();
        // a Float or Double is a floating scalar whatever its value (2.0d is not an integer): with an
        // integer array it makes a float result of its own precision, as the PyTorch engine does
        boolean floatingNumber = n instanceof Float || n instanceof Double;
        boolean integral = !floatingNumber
                && (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                        || (n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue())));
        if (!HostData.isFloating(t) && !integral) {
            t = n instanceof Double ? DataType.FLOAT64 : DataType.FLOAT32;
        }
        if (t == DataType.BOOLEAN) {
            t = DataType.INT64;
        }
        Object d = HostData.allocate(t, 1);
        if (HostData.isFloating(t)) {
            HostData.setDouble(d, t, 0, n.doubleValue());
        } else {
            HostData.setLong(d, t, 0, n.longValue());
        }
        return wrap(Tensor.host(new Shape(), t, d));
    }

    private BiNDArray binary(NDArray other, BinaryOp op) {
        return wrap(backend().elementwise().binary(op, tensor(), other(other)));
    }

    private BiNDArray binary(Number n, BinaryOp op) {
        BiNDArray s = scalar(n);
        try {
            return binary(s, op);
        } finally {
            s.close();
        }
    }

    private BiNDArray inPlace(BiNDArray result) {
        if (!result.getShape().equals(shape())) {
            Shape rs = result.getShape();
            result.close();
            throw new IllegalArgumentException("in-place result shape " + rs + " does not match " + shape());
        }
        if (!InPlaceCast.allowed(result.getDataType(), dataType())) {
            DataType rt = result.getDataType();
            result.close();
            throw new IllegalArgumentException(
                    "in-place result type " + rt + " can't be cast to the array's type " + dataType());
        }
        backend().write(tensor, result.tensor());
        result.close();
        return this;
    }

    BiNDArray unary(UnaryOp op) {
        return wrap(backend().elementwise().unary(op, tensor()));
    }

    @Override public NDArray add(Number n) { return binary(n, BinaryOp.ADD); }
    @Override public NDArray add(NDArray other) { return binary(other, BinaryOp.ADD); }
    @Override public NDArray sub(Number n) { return binary(n, BinaryOp.SUB); }
    @Override public NDArray sub(NDArray other) { return binary(other, BinaryOp.SUB); }
    @Override public NDArray mul(Number n) { return binary(n, BinaryOp.MUL); }
    @Override public NDArray mul(NDArray other) { return binary(other, BinaryOp.MUL); }
    @Override public NDArray div(Number n) { return binary(n, BinaryOp.DIV); }
    @Override public NDArray div(NDArray other) { return binary(other, BinaryOp.DIV); }
    @Override public NDArray mod(Number n) { return binary(n, BinaryOp.MOD); }
    @Override public NDArray mod(NDArray other) { return binary(other, BinaryOp.MOD); }
    @Override public NDArray pow(Number n) { return binary(n, BinaryOp.POW); }
    @Override public NDArray pow(NDArray other) { return binary(other, BinaryOp.POW); }
    @Override public NDArray addi(Number n) { return inPlace(binary(n, BinaryOp.ADD)); }
    @Override public NDArray addi(NDArray other) { return inPlace(binary(other, BinaryOp.ADD)); }
    @Override public NDArray subi(Number n) { return inPlace(binary(n, BinaryOp.SUB)); }
    @Override public NDArray subi(NDArray other) { return inPlace(binary(other, BinaryOp.SUB)); }
    @Override public NDArray muli(Number n) { return inPlace(binary(n, BinaryOp.MUL)); }
    @Override public NDArray muli(NDArray other) { return inPlace(binary(other, BinaryOp.MUL)); }
    @Override public NDArray divi(Number n) { return inPlace(binary(n, BinaryOp.DIV)); }
    @Override public NDArray divi(NDArray other) { return inPlace(binary(other, BinaryOp.DIV)); }
    @Override public NDArray modi(Number n) { return inPlace(binary(n, BinaryOp.MOD)); }
    @Override public NDArray modi(NDArray other) { return inPlace(binary(other, BinaryOp.MOD)); }
    @Override public NDArray powi(Number n) { return inPlace(binary(n, BinaryOp.POW)); }
    @Override public NDArray powi(NDArray other) { return inPlace(binary(other, BinaryOp.POW)); }
    @Override public NDArray maximum(Number n) { return binary(n, BinaryOp.MAX); }
    @Override public NDArray maximum(NDArray other) { return binary(other, BinaryOp.MAX); }
    @Override public NDArray minimum(Number n) { return binary(n, BinaryOp.MIN); }
    @Override public NDArray minimum(NDArray other) { return binary(other, BinaryOp.MIN); }
    @Override public NDArray eq(Number n) { return binary(n, BinaryOp.EQ); }
    @Override public NDArray eq(NDArray other) { return binary(other, BinaryOp.EQ); }
    @Override public NDArray neq(Number n) { return binary(n, BinaryOp.NEQ); }
    @Override public NDArray neq(NDArray other) { return binary(other, BinaryOp.NEQ); }
    @Override public NDArray gt(Number n) { return binary(n, BinaryOp.GT); }
    @Override public NDArray gt(NDArray other) { return binary(other, BinaryOp.GT); }
    @Override public NDArray gte(Number n) { return binary(n, BinaryOp.GTE); }
    @Override public NDArray gte(NDArray other) { return binary(other, BinaryOp.GTE); }
    @Override public NDArray lt(Number n) { return binary(n, BinaryOp.LT); }
    @Override public NDArray lt(NDArray other) { return binary(other, BinaryOp.LT); }
    @Override public NDArray lte(Number n) { return binary(n, BinaryOp.LTE); }
    @Override public NDArray lte(NDArray other) { return binary(other, BinaryOp.LTE); }
    @Override public NDArray logicalAnd(NDArray other) { return binary(other, BinaryOp.AND); }
    @Override public NDArray logicalOr(NDArray other) { return binary(other, BinaryOp.OR); }
    @Override public NDArray logicalXor(NDArray other) { return binary(other, BinaryOp.XOR); }
    @Override public NDArray logicalNot() { return unary(UnaryOp.NOT); }
    @Override public NDArray neg() { return unary(UnaryOp.NEG); }
    @Override public NDArray negi() { return inPlace(unary(UnaryOp.NEG)); }
    @Override public NDArray abs() { return unary(UnaryOp.ABS); }
    @Override public NDArray square() { return unary(UnaryOp.SQUARE); }
    @Override public NDArray sqrt() { return unary(UnaryOp.SQRT); }
    @Override public NDArray cbrt() { return unary(UnaryOp.CBRT); }
    @Override public NDArray exp() { return unary(UnaryOp.EXP); }
    @Override public NDArray log() { return unary(UnaryOp.LOG); }
    @Override public NDArray log2() { return unary(UnaryOp.LOG2); }
    @Override public NDArray log10() { return unary(UnaryOp.LOG10); }
    @Override public NDArray sin() { return unary(UnaryOp.SIN); }
    @Override public NDArray cos() { return unary(UnaryOp.COS); }
    @Override public NDArray tan() { return unary(UnaryOp.TAN); }
    @Override public NDArray tanh() { return unary(UnaryOp.TANH); }
    @Override public NDArray floor() { return unary(UnaryOp.FLOOR); }
    @Override public NDArray ceil() { return unary(UnaryOp.CEIL); }
    @Override public NDArray round() { return unary(UnaryOp.ROUND); }
    @Override public NDArray trunc() { return unary(UnaryOp.TRUNC); }
    @Override public NDArray sign() { return unary(UnaryOp.SIGN); }
    @Override public NDArray signi() { return inPlace(unary(UnaryOp.SIGN)); }
    @Override public NDArray erf() { return unary(UnaryOp.ERF); }
    @Override public NDArray isNaN() { return unary(UnaryOp.ISNAN); }
    @Override public NDArray isInfinite() { return unary(UnaryOp.ISINF); }

    /** {@inheritDoc} */
    @Override
    public NDArray clip(Number min, Number max) {
        BiNDArray lo = binary(min, BinaryOp.CLIP_LO);
        try {
            return lo.binary(max, BinaryOp.CLIP_HI);
        } finally {
            lo.close();
        }
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
        if (shape().dimension() == 0 || shape().size() == 0) {
            // the PyTorch engine returns a scalar or empty array as it is, keeping its type
            NDArray r = flat.cumSum(0);
            NDArray typed = r.toType(dataType(), false);
            if (typed != r) {
                r.close();
            }
            return typed;
        }
        return flat.cumSum(0);
    }

    // ---------------------------------------------------------------- shapes

    /** {@inheritDoc} */
    @Override
    public NDArray reshape(Shape target) {
        long[] dims = target.getShape().clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape to " + target + ": more than one -1");
                }
                infer = i;
            } else {
                known *= dims[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || shape().size() % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + shape() + " to " + target);
            }
            dims[infer] = shape().size() / known;
        }
        Shape s = new Shape(dims);
        if (s.size() != shape().size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + target);
        }
        return view(s);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray expandDims(int axisIn) {
        int rank = shape().dimension();
        int axis = axisIn < 0 ? axisIn + rank + 1 : axisIn;
        if (axis < 0 || axis > rank) {
            throw new IllegalArgumentException("axis " + axisIn + " is out of range for expandDims of rank " + rank);
        }
        long[] dims = new long[rank + 1];
        for (int i = 0, j = 0; i <= rank; i++) {
            dims[i] = i == axis ? 1 : shape().get(j++);
        }
        return view(new Shape(dims));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray squeeze(int[] axesIn) {
        return view(ShapeArgs.squeeze(shape(), axesIn));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray squeeze() {
        List<Integer> ones = new ArrayList<>();
        for (int i = 0; i < shape().dimension(); i++) {
            if (shape().get(i) == 1) {
                ones.add(i);
            }
        }
        return squeeze(ones.stream().mapToInt(Integer::intValue).toArray());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray flatten() {
        return reshape(new Shape(shape().size()));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray flatten(int startDim, int endDim) {
        int rank = shape().dimension();
        if (rank == 0 && ShapeArgs.axis(startDim, 0) <= ShapeArgs.axis(endDim, 0)) {
            return view(new Shape(1));
        }
        int s = Strided.axis(startDim, rank);
        int e = Strided.axis(endDim, rank);
        List<Long> dims = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            dims.add(shape().get(i));
        }
        long m = 1;
        for (int i = s; i <= e; i++) {
            m *= shape().get(i);
        }
        dims.add(m);
        for (int i = e + 1; i < rank; i++) {
            dims.add(shape().get(i));
        }
        return reshape(new Shape(dims));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray transpose() {
        int rank = shape().dimension();
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) {
            axes[i] = rank - 1 - i;
        }
        return transpose(axes);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray transpose(int... axes) {
        return wrap(backend().shapes().transpose(tensor(), axes));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray broadcast(Shape target) {
        return wrap(backend().shapes().broadcast(tensor(), target));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(int axis, long repeats) {
        ShapeArgs.checkRepeat(shape());
        return wrap(backend().shapes().repeat(tensor(), axis, repeats));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(long repeats) {
        ShapeArgs.checkRepeat(shape());
        NDArray cur = this;
        for (int a = 0; a < shape().dimension(); a++) {
            NDArray next = cur.repeat(a, repeats);
            if (cur != this) {
                cur.close();
            }
            cur = next;
        }
        return cur == this ? duplicate() : cur;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(long[] repeats) {
        NDArray cur = this;
        for (int a = 0; a < repeats.length; a++) {
            NDArray next = cur.repeat(a, repeats[a]);
            if (cur != this) {
                cur.close();
            }
            cur = next;
        }
        return cur == this ? duplicate() : cur;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray repeat(Shape desired) {
        long[] r = new long[shape().dimension()];
        for (int i = 0; i < r.length; i++) {
            r[i] = desired.get(i) / shape().get(i);
        }
        return repeat(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(long[] repeats) {
        ShapeArgs.checkTile(shape(), repeats);
        return wrap(backend().shapes().tile(tensor(), repeats));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(long repeats) {
        long[] r = new long[Math.max(1, shape().dimension())];
        Arrays.fill(r, repeats);
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(int axis, long repeats) {
        long[] r = new long[shape().dimension()];
        Arrays.fill(r, 1);
        r[Strided.axis(axis, shape().dimension())] = repeats;
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray tile(Shape desired) {
        long[] r = new long[desired.dimension()];
        for (int i = 0; i < r.length; i++) {
            int j = i - (r.length - shape().dimension());
            r[i] = desired.get(i) / (j < 0 ? 1 : shape().get(j));
        }
        return tile(r);
    }

    /** {@inheritDoc} */
    @Override
    public NDList split(long[] indices, int axisIn) {
        return ShapeArgs.split(this, indices, axisIn);
    }

    /** {@inheritDoc} */
    @Override
    public NDList split(long sections, int axis) {
        return ShapeArgs.split(this, sections, axis);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray swapAxes(int axis1, int axis2) {
        int[] perm = ShapeArgs.swap(shape().dimension(), axis1, axis2);
        return perm == null ? duplicate() : transpose(perm);
    }

    BiNDArray sliceAxis(int axis, long start, long end) {
        return wrap(backend().shapes().slice(tensor(), axis, start, end));
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
