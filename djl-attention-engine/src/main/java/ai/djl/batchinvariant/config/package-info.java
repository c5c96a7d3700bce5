/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The engine's options ({@link ai.djl.batchinvariant.config.EngineOptions}): per model from
 * {@code Criteria.optOption} or {@code serving.properties}, process-wide from system properties
 * {@code ai.djl.batchinvariant.<key>}, validated with messages that name the key, the value and
 * what is allowed.
 *
 * <p>The bottom layer: it depends on nothing else of the engine, so every other package may use
 * it.
 */
package ai.djl.batchinvariant.config;
