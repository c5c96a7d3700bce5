/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.Device;

import java.util.function.Function;

/**
 * A sequence of ops recorded once on a device and replayed as one launch (a CUDA graph). Between
 * {@link Backend#beginCapture} and {@link #end} every op the calling thread runs on the device is
 * recorded, not executed; memory allocated meanwhile belongs to the capture and keeps its address
 * for every replay, so the arrays made during capture are overwritten by each {@link #replay}.
 */
public interface GraphCapture extends AutoCloseable {

    /** Ends recording and prepares the graph for replay. */
    void end();

    /** Ends recording after a failure, discarding what was recorded and its memory. */
    void abort();

    /** Launches the recorded ops on the calling thread's stream. */
    void replay();

    /**
     * Returns the device memory the capture owns (arrays made while recording).
     *
     * @return bytes
     */
    long getBytes();

    /** Frees the graph and its memory; arrays made during capture must not be used afterwards. */
    @Override
    void close();

    /**
     * Begins a capture on a device and runs {@code body} with it; the body ends the capture itself
     * (so it chooses whether its scratch arrays are freed inside or after the recording). On any
     * failure the capture is aborted and the failure is thrown as an {@link IllegalStateException}
     * naming the cause.
     *
     * @param <T> what the body gives
     * @param backend the device's backend
     * @param device the device to record on
     * @param verb how the failure message names the recording ("recorded", "captured")
     * @param body the ops to record, given the capture; it must call {@link #end}
     * @return what the body gives
     * @throws IllegalStateException if the body cannot be recorded
     */
    static <T> T record(Backend backend, Device device, String verb, Function<GraphCapture, T> body) {
        GraphCapture g = backend.beginCapture(device);
        try {
            return body.apply(g);
        } catch (RuntimeException | Error e) {
            g.abort();
            if (e instanceof IllegalStateException) {
                throw e;
            }
            throw new IllegalStateException("the step could not be " + verb + " as a CUDA graph: " + e.getMessage(), e);
        }
    }
}
