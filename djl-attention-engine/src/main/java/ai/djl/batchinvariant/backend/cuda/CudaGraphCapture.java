/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.CudaRuntime.check;

import ai.djl.batchinvariant.backend.GraphCapture;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA graph recorded from the calling thread's stream in relaxed mode (so the few driver
 * calls the backend makes besides launches, such as allocating the capture's memory, stay
 * legal). Replay launches the instantiated graph on the replaying thread's stream; the kernels,
 * their parameters and the memory they touch are those recorded, so a replay gives the bits of
 * the eager run it recorded, with whatever values the input memory holds now.
 */
final class CudaGraphCapture implements GraphCapture {

    private final CudaDevice device;
    private final CUstream stream;
    private final CapturePool pool;
    private CUgraph graph;
    private CUgraphExec exec;
    private boolean recording;

    private CudaGraphCapture(CudaDevice device) {
        this.device = device;
        this.stream = device.getStream();
        this.pool = new CapturePool(device, stream);
    }

    /**
     * Starts recording the calling thread's work on a device.
     *
     * @param device the device
     * @return the capture
     * @throws IllegalStateException if the thread is already recording
     */
    static CudaGraphCapture begin(CudaDevice device) {
        if (device.isCapturing()) {
            throw new IllegalStateException("this thread is already capturing a graph on gpu(" + device.getIndex()
                    + "): captures do not nest");
        }
        CudaGraphCapture c = new CudaGraphCapture(device);
        device.makeCurrent();
        device.setCapture(c.pool);
        int rc = JCudaDriver.cuStreamBeginCapture(c.stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
        if (rc != 0) {
            device.setCapture(null);
            c.pool.close();
            check(rc, "cuStreamBeginCapture");
        }
        c.recording = true;
        return c;
    }

    /** {@inheritDoc} */
    @Override
    public void end() {
        if (!recording) {
            throw new IllegalStateException("the capture is not recording");
        }
        recording = false;
        device.setCapture(null);
        device.makeCurrent();
        graph = new CUgraph();
        check(JCudaDriver.cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        exec = new CUgraphExec();
        check(JCudaDriver.cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
    }

    /** {@inheritDoc} */
    @Override
    public void abort() {
        if (recording) {
            recording = false;
            device.setCapture(null);
            device.makeCurrent();
            CUgraph g = new CUgraph();
            // the stream leaves capture mode whatever the outcome; a failed capture has no graph
            if (JCudaDriver.cuStreamEndCapture(stream, g) == 0) {
                JCudaDriver.cuGraphDestroy(g);
            }
        }
        close();
    }

    /** {@inheritDoc} */
    @Override
    public void replay() {
        if (exec == null) {
            throw new IllegalStateException("the graph is " + (recording ? "still recording" : "closed"));
        }
        device.makeCurrent();
        check(JCudaDriver.cuGraphLaunch(exec, device.getStream()), "cuGraphLaunch");
    }

    /** {@inheritDoc} */
    @Override
    public long getBytes() {
        return pool.getBytes();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (exec != null) {
            // the memory may still be read by a replay in flight
            check(JCudaDriver.cuStreamSynchronize(device.getStream()), "cuStreamSynchronize(graph close)");
            JCudaDriver.cuGraphExecDestroy(exec);
            exec = null;
        }
        if (graph != null) {
            JCudaDriver.cuGraphDestroy(graph);
            graph = null;
        }
        pool.close();
    }
}
