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
        return new UnsupportedOperationException(
                "BatchInvariant engine does not support " + op + " on " + device + hint);
    }
}
