/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.nn;

import ai.djl.Device;
import ai.djl.batchinvariant.backend.GraphCapture;
import ai.djl.batchinvariant.backend.dispatch.Backends;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.function.Function;

/**
 * A step whose inputs are read from fixed-address buffers (for example {@code DecodeInputs})
 * rather than passed in, recorded once as a CUDA graph and replayed as one launch: the same
 * kernels on the same memory, so a replay gives the bits of an eager run of the step on the
 * values the buffers hold. The step runs once eagerly first (loading kernels), then is recorded.
 * On the CPU nothing is recorded and {@link #replay} runs the step again, so code written
 * against this class runs on both devices.
 */
public final class StepGraph implements AutoCloseable {

    private final NDManager own;
    private final Function<NDManager, NDList> step;
    private final GraphCapture graph;
    private NDList outputs;

    private StepGraph(NDManager own, Function<NDManager, NDList> step, GraphCapture graph, NDList outputs) {
        this.own = own;
        this.step = step;
        this.graph = graph;
        this.outputs = outputs;
    }

    /**
     * Records a step.
     *
     * @param manager a manager of this engine on the step's device; the graph's arrays live in a
     *     sub-manager of it
     * @param step the ops: given a manager for its arrays, returns its outputs (it may close its
     *     intermediates early, which lets the recording reuse their memory)
     * @return the graph
     * @throws IllegalStateException if the step cannot be recorded (the cause is named)
     */
    public static StepGraph record(NDManager manager, Function<NDManager, NDList> step) {
        NDManager own = manager.newSubManager();
        try {
            try (NDManager warm = own.newSubManager()) {
                step.apply(warm);
            }
            Device device = manager.getDevice();
            if (!Device.Type.GPU.equals(device.getDeviceType())) {
                return new StepGraph(own, step, null, null);
            }
            return GraphCapture.record(Backends.of(device), device, "recorded", g -> {
                NDList out;
                // the scope closes before end(), so freeing the scratch arrays is part of the recording
                try (NDManager scope = own.newSubManager()) {
                    out = step.apply(scope);
                    out.attach(own);
                }
                g.end();
                return new StepGraph(own, step, g, out);
            });
        } catch (RuntimeException | Error e) {
            own.close();
            throw e;
        }
    }

    /**
     * Tells whether the step is replayed from a recording (false: it runs again on each replay).
     *
     * @return true on a GPU
     */
    public boolean isRecorded() {
        return graph != null;
    }

    /**
     * Replays the step on the values its input buffers hold now.
     *
     * @return the outputs: arrays owned by this graph, overwritten by the next replay
     */
    public NDList replay() {
        if (graph != null) {
            graph.replay();
            return outputs;
        }
        if (outputs != null) {
            outputs.close();
        }
        try (NDManager scope = own.newSubManager()) {
            outputs = step.apply(scope);
            outputs.attach(own);
        }
        return outputs;
    }

    /**
     * Returns the device memory the recording owns (0 on the CPU).
     *
     * @return bytes
     */
    public long getDeviceBytes() {
        return graph == null ? 0 : graph.getBytes();
    }

    /** Frees the graph, its outputs and the memory it recorded. */
    @Override
    public void close() {
        own.close();
        if (graph != null) {
            graph.close();
        }
    }
}
