/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The invariance demo run by {@code ./run-demo}: requests through random batchings, bitwise
 * compared, with throughput.
 */
package ai.djl.batchinvariant.demo;
