/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Compiled, tested usage examples; the README quotes {@link
 * ai.djl.batchinvariant.examples.UsingIt} and {@link
 * ai.djl.batchinvariant.examples.GenerateText} verbatim.
 */
package ai.djl.batchinvariant.examples;
