/*
 * Batch-invariant attention engine for DJL.
 */
/**
 * DJL entry points for causal language models: the model zoo of group {@code ai.djl.batchinvariant}
 * (reachable by {@code djl://} URL, served from this jar so it works offline), and the translators
 * from text or token ids to generated text or ids, configured by Criteria arguments or {@code
 * option.*} keys of {@code serving.properties}.
 */
package ai.djl.batchinvariant.zoo;
