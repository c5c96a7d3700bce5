/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The one place that picks a backend implementation from the device an array lives on; the
 * layers above (attention API, blocks, DJL classes) ask here and never name an implementation.
 * Internal: not part of the published API.
 */
package ai.djl.batchinvariant.backend.dispatch;
