/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The backends that compute attention once the API has validated a request: one interface,
 * implemented on the CPU ({@code backend.cpu}) and on CUDA devices ({@code backend.cuda}). Internal
 * to the engine.
 */
package ai.djl.batchinvariant.backend;
