/*
 * Batch-invariant attention engine for DJL.
 */
/** Command-line entry points: {@link ai.djl.batchinvariant.cli.Generate}. */
package ai.djl.batchinvariant.cli;
