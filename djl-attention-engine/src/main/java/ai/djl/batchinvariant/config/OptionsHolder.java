/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.config;

/**
 * Something that carries engine options down a hierarchy (the engine's NDManager: a model's
 * options reach every block run under its predictors). Blocks ask for options through this, so
 * they never name the engine's classes.
 */
public interface OptionsHolder {

    /**
     * Returns the options in effect.
     *
     * @return the options
     */
    EngineOptions getOptions();
}
