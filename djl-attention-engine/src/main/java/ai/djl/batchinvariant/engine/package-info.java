/*
 * Batch-invariant attention engine for DJL.
 */

/**
 * The DJL engine {@code BatchInvariant}: its {@code EngineProvider} (found by {@code
 * ServiceLoader}), the engine, its models (DJL {@code .params} into a {@code Block}), and its
 * {@code NDManager} and {@code NDArray} whose operations reduce each row in one fixed order,
 * whatever the number of rows.
 *
 * <p>Select it with {@code Engine.getEngine("BatchInvariant")}, {@code
 * -Dai.djl.default_engine=BatchInvariant} or {@code Criteria.optEngine("BatchInvariant")}.
 */
package ai.djl.batchinvariant.engine;
