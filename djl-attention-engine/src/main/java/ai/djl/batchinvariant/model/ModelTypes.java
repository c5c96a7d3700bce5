/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;
import java.util.Map;

/**
 * The types a {@link LlamaModel} computes in and whether it replays decode steps, from its device
 * and options:
 *
 * <ul>
 *   <li>{@value #COMPUTE_DTYPE} — weights and activations: {@code auto} (default) is the {@code
 *       dtype} option's float16 or bfloat16 on a GPU and float32 otherwise; {@code float32},
 *       {@code float16}, {@code bfloat16} (or fp32, fp16, bf16) choose it on any device.
 *   <li>the KV cache: the compute type when that is 16-bit; else float32 on the CPU and float16
 *       or bfloat16 (per {@code dtype}, bfloat16 unless float16) on a GPU, whose attention
 *       kernels take 16-bit inputs.
 *   <li>{@value #DECODE_GRAPH} — {@code auto} (default: on a GPU), {@code true} or {@code false}.
 *       On the CPU, {@code true} runs decode steps through the same fixed-capacity step with
 *       padding rows, eagerly (there is no graph to replay): a way to check that step there.
 * </ul>
 */
final class ModelTypes {

    static final String COMPUTE_DTYPE = "compute_dtype";
    static final String DECODE_GRAPH = "decode_graph";

    final DataType compute;
    final DataType cache;
    final boolean graphs;
    final boolean gpu;

    private ModelTypes(DataType compute, DataType cache, boolean graphs, boolean gpu) {
        this.compute = compute;
        this.cache = cache;
        this.graphs = graphs;
        this.gpu = gpu;
    }

    static ModelTypes of(Device device, DataType dtype, Map<String, ?> options) {
        boolean gpu = Device.Type.GPU.equals(device.getDeviceType());
        boolean half = dtype == DataType.FLOAT16 || dtype == DataType.BFLOAT16;
        String c = option(options, COMPUTE_DTYPE);
        DataType compute;
        switch (c) {
            case "auto":
                compute = gpu && half ? dtype : DataType.FLOAT32;
                break;
            case "float32":
            case "fp32":
                compute = DataType.FLOAT32;
                break;
            case "float16":
            case "fp16":
                compute = DataType.FLOAT16;
                break;
            case "bfloat16":
            case "bf16":
                compute = DataType.BFLOAT16;
                break;
            default:
                throw new IllegalArgumentException("option " + COMPUTE_DTYPE + "=" + c + " is invalid: expected auto,"
                        + " float32, float16 or bfloat16 (or fp32, fp16, bf16)");
        }
        DataType cache;
        if (compute != DataType.FLOAT32) {
            cache = compute;
        } else if (!gpu) {
            cache = DataType.FLOAT32;
        } else {
            cache = dtype == DataType.FLOAT16 ? DataType.FLOAT16 : DataType.BFLOAT16;
        }
        String g = option(options, DECODE_GRAPH);
        boolean graphs;
        switch (g) {
            case "auto":
                graphs = gpu;
                break;
            case "true":
                graphs = true;
                break;
            case "false":
                graphs = false;
                break;
            default:
                throw new IllegalArgumentException("option " + DECODE_GRAPH + "=" + g + " is invalid: expected auto,"
                        + " true or false");
        }
        return new ModelTypes(compute, cache, graphs, gpu);
    }

    private static String option(Map<String, ?> options, String key) {
        Object v = options == null ? null : options.get(key);
        return v == null ? "auto" : v.toString().trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether weights keep the checkpoint's (out, in) layout and run through {@code linear}: 16-bit
     * weights, and every weight on the CPU, whose {@code linear} packs each weight once and keeps
     * the panels (those of a bfloat16 checkpoint in bfloat16: half the bytes a step streams). The
     * products are the same chains as {@code matMul} on the transposed weight.
     */
    boolean linearLayout() {
        return compute != DataType.FLOAT32 || !gpu;
    }

    ModelTypes withGraphs(boolean on) {
        return new ModelTypes(compute, cache, on, gpu);
    }
}
