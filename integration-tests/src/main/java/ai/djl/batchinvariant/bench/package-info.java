/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * Benchmarks: JMH benchmarks of the CPU backend against DJL's PyTorch engine (run with {@code
 * integration-tests/bin/jmh}, which puts the test-scoped PyTorch engine on the classpath) and the
 * GPU attention benchmark. Figures are in {@code docs/benchmarks.md}.
 */
package ai.djl.batchinvariant.bench;
