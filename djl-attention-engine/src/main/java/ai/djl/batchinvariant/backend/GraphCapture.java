/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

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
}
