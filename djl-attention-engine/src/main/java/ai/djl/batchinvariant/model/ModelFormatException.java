/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

/**
 * A model directory whose files are missing, inconsistent or ask for something unsupported; the
 * message names the file and the key.
 */
public class ModelFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the file and key
     */
    public ModelFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, naming the file and key
     * @param cause the cause
     */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
