/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.Device;

/** The one wording for an op a backend does not run, so refusals read the same everywhere. */
public final class Unsupported {

    private Unsupported() {}

    /**
     * Builds the refusal for an op on a device.
     *
     * @param op the op as users call it (e.g. "NDArray.cumProd")
     * @param device the device the arrays live on
     * @return the exception to throw
     */
    public static UnsupportedOperationException op(String op, Device device) {
        String hint = device != null && Device.Type.GPU.equals(device.getDeviceType())
                ? ": this build runs it on the CPU only; move the arrays with toDevice(Device.cpu(), false)"
                : "";
        String called = calledMethod();
        String via = called == null || op.contains("." + called) ? "" : " (called as NDArray." + called + ")";
        return new UnsupportedOperationException(
                "BatchInvariant engine does not support " + op + via + " on " + device + hint);
    }

    /**
     * The method the user called: the outermost frame of DJL's NDArray interfaces (whose default
     * methods compose engine ops, e.g. set(index, function) calls get and where) or of the engine's
     * arrays, so a refusal inside a composite names the method the user wrote, not only the inner op.
     */
    private static String calledMethod() {
        return StackWalker.getInstance().walk(frames -> {
            String name = null;
            for (StackWalker.StackFrame f : (Iterable<StackWalker.StackFrame>) frames::iterator) {
                String c = f.getClassName();
                boolean api = c.startsWith("ai.djl.ndarray.NDArray") || c.startsWith("ai.djl.ndarray.internal.NDArrayEx")
                        || c.startsWith("ai.djl.ndarray.index.") || c.startsWith("ai.djl.batchinvariant.engine.");
                boolean inside = api || c.startsWith("ai.djl.batchinvariant.backend.")
                        || c.startsWith("ai.djl.batchinvariant.tensor.") || c.startsWith("ai.djl.ndarray.");
                if (api && (c.startsWith("ai.djl.ndarray.NDArray") || c.startsWith("ai.djl.batchinvariant.engine.BiNDArray"))
                        && !f.getMethodName().startsWith("lambda$")) {
                    name = f.getMethodName();
                } else if (!inside) {
                    break;
                }
            }
            return name;
        });
    }
}
