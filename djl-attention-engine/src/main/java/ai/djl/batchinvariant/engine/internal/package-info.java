/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Base classes of the engine's arrays that implement every DJL {@code NDArray} operation by
 * throwing an {@code UnsupportedOperationException} naming it, so that a missing operation fails
 * loudly instead of falling back to another engine. Not an API.
 */
package ai.djl.batchinvariant.engine.internal;
