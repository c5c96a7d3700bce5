/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

/**
 * The one wording for the training features this inference engine refuses (gradients, backward,
 * optimizer steps). A {@code Trainer} works for initialisation, forward passes and evaluation;
 * anything that needs a gradient fails with this message.
 */
final class Training {

    private Training() {}

    /**
     * Builds the refusal of a training feature.
     *
     * @param what the call, e.g. "Engine.newGradientCollector()"
     * @return the exception to throw
     */
    static UnsupportedOperationException refused(String what) {
        return new UnsupportedOperationException("BatchInvariant engine does not support training: " + what
                + " needs gradients; use the Trainer for initialisation, forward and evaluation only, or train"
                + " with another engine and load the .params");
    }
}
