/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.Backend;
import ai.djl.batchinvariant.backend.GraphCapture;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.batchinvariant.tensor.TensorArray;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.function.Function;

/**
 * A step of engine ops on fixed shapes — for example a block's forward — recorded once as a CUDA
 * graph and replayed with new input values: one launch instead of one per op, the same kernels
 * on the same memory, so a replay gives the bits of an eager run on the same values.
 *
 * <pre>{@code
 * try (CapturedGraph g = CapturedGraph.capture(manager, in -> block.forward(ps, in, false), example)) {
 *     NDList out = g.replay(new NDList(x));   // arrays owned by g, overwritten by each replay
 * }
 * }</pre>
 *
 * <p>The step is run once eagerly (loading kernels), then recorded. While recording it may not
 * read anything back to the host (toArray, getFloat, toDevice(cpu)) or use an op without a GPU
 * kernel: those throw {@link IllegalStateException} naming the cause. Values its ops upload while
 * recording (scalar operands, index arrays) become constants of the graph. Inputs must keep the
 * example's shapes and types. On the CPU, replay runs the step eagerly on the new values, so code
 * written against this class runs on both devices.
 */
public final class CapturedGraph implements AutoCloseable {

    private final NDManager own;
    private final Function<NDList, NDList> step;
    private final NDList inputs;
    private final GraphCapture graph;
    private NDList outputs;

    private CapturedGraph(NDManager own, Function<NDList, NDList> step, NDList inputs, GraphCapture graph,
            NDList outputs) {
        this.own = own;
        this.step = step;
        this.inputs = inputs;
        this.graph = graph;
        this.outputs = outputs;
    }

    /**
     * Records a step.
     *
     * @param manager a manager of this engine; the graph's arrays live in a sub-manager of it
     * @param step the ops, from inputs to outputs; it must not keep references to its inputs
     * @param example inputs with the shapes and types of every later replay
     * @return the graph
     * @throws IllegalStateException if the step cannot be recorded (the cause is named)
     */
    public static CapturedGraph capture(NDManager manager, Function<NDList, NDList> step, NDList example) {
        if (!(manager instanceof BiNDManager)) {
            throw new IllegalArgumentException("manager must be a BatchInvariant manager, got "
                    + manager.getEngine().getEngineName());
        }
        Device device = manager.getDevice();
        NDManager own = manager.newSubManager();
        try {
            NDList in = new NDList();
            for (NDArray a : example) {
                NDArray c = a.toDevice(device, true);
                c.attach(own);
                in.add(c);
            }
            try (NDManager warm = own.newSubManager()) {
                in.tempAttach(warm);
                step.apply(in);
            }
            Backend backend = Backends.of(device);
            if (!Device.Type.GPU.equals(device.getDeviceType())) {
                return new CapturedGraph(own, step, in, null, null);
            }
            return GraphCapture.record(backend, device, "captured", g -> {
                try (NDManager scope = own.newSubManager()) {
                    in.tempAttach(scope);
                    NDList out = step.apply(in);
                    out.attach(own);
                    g.end();
                    return new CapturedGraph(own, step, in, g, out);
                }
            });
        } catch (RuntimeException | Error e) {
            own.close();
            throw e;
        }
    }

    /**
     * Replays the step on new input values.
     *
     * @param values one array per input, with the example's shape and type, on any device
     * @return the outputs: arrays owned by this graph, overwritten by the next replay
     * @throws IllegalArgumentException naming the input whose count, shape or type differs
     */
    public NDList replay(NDList values) {
        if (values.size() != inputs.size()) {
            throw new IllegalArgumentException("replay needs " + inputs.size() + " inputs, got " + values.size());
        }
        for (int i = 0; i < values.size(); i++) {
            NDArray want = inputs.get(i);
            NDArray got = values.get(i);
            if (!want.getShape().equals(got.getShape()) || want.getDataType() != got.getDataType()) {
                throw new IllegalArgumentException("input " + i + " is " + got.getDataType() + " " + got.getShape()
                        + "; the graph was captured for " + want.getDataType() + " " + want.getShape());
            }
        }
        Backend backend = Backends.of(own.getDevice());
        for (int i = 0; i < values.size(); i++) {
            NDArray v = values.get(i);
            if (!own.getDevice().equals(v.getDevice()) && !Device.Type.CPU.equals(v.getDevice().getDeviceType())) {
                v = v.toDevice(Device.cpu(), false);
            }
            backend.write(((TensorArray) inputs.get(i)).tensor(), ((TensorArray) v).tensor());
        }
        if (graph != null) {
            graph.replay();
            return outputs;
        }
        if (outputs != null) {
            outputs.close();
        }
        try (NDManager scope = own.newSubManager()) {
            inputs.tempAttach(scope);
            outputs = step.apply(inputs);
            outputs.attach(own);
        }
        return outputs;
    }

    /**
     * Replays the step on the values its input arrays hold now (see {@link #getInputs}): no copy.
     *
     * @return the outputs: arrays owned by this graph, overwritten by the next replay
     */
    public NDList replay() {
        if (graph != null) {
            graph.replay();
            return outputs;
        }
        return replay(inputs);
    }

    /**
     * Returns the graph's input arrays: writing new values into them (for example with {@code
     * set}) and calling {@link #replay()} skips the copy {@link #replay(NDList)} makes.
     *
     * @return the inputs, owned by this graph
     */
    public NDList getInputs() {
        return inputs;
    }

    /**
     * Returns the device memory the recorded graph owns (0 on the CPU).
     *
     * @return bytes
     */
    public long getDeviceBytes() {
        return graph == null ? 0 : graph.getBytes();
    }

    /** Frees the graph, its inputs and outputs and the memory it recorded. */
    @Override
    public void close() {
        own.close();
        if (graph != null) {
            graph.close();
        }
    }
}
