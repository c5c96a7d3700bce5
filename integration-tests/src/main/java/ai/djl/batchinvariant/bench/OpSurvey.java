/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A survey of DJL ops on this engine and on DJL's PyTorch engine, to find the ones far from
 * PyTorch's time: each op on arrays of 1024 × 4096 float32 (or the inputs its name gives), called
 * repeatedly for 2.5 seconds with its output closed each call, the best call's milliseconds after
 * two warm-up calls. A coarse wall-clock figure for finding gaps; the figures quoted as results
 * come from JMH ({@link RowOpsBenchmark}) where the op is one of its. Properties: {@code ops}
 * (comma-separated names, default all), {@code engines} (default {@code BatchInvariant,PyTorch}).
 * PyTorch's bfloat16 cast aborts the process on some machines (a native abort in
 * pytorch-native-cpu 2.7.1), so the bfloat16 ops run on this engine only.
 */
public final class OpSurvey {

    private OpSurvey() {}

    /**
     * Runs the survey and prints one line an op: its name and each engine's milliseconds.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        List<String> engines = Arrays.asList(System.getProperty("engines", "BatchInvariant,PyTorch").split(","));
        String only = System.getProperty("ops");
        Map<String, Function<NDArray[], NDArray>> ops = ops();
        for (Map.Entry<String, Function<NDArray[], NDArray>> op : ops.entrySet()) {
            if (only != null && !Arrays.asList(only.split(",")).contains(op.getKey())) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format("%-16s", op.getKey()));
            for (String engine : engines) {
                if ("PyTorch".equals(engine) && op.getKey().contains("BF16")) {
                    line.append(String.format(" %10s", "-"));
                    continue;
                }
                line.append(String.format(" %10.3f", time(engine, op.getValue())));
            }
            System.out.println(line);
        }
    }

    /** The best call's milliseconds of one op on one engine. */
    private static double time(String engine, Function<NDArray[], NDArray> op) {
        try (NDManager m = Engine.getEngine(engine).newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1024, 4096));
            NDArray y = m.randomNormal(new Shape(1024, 4096));
            NDArray[] in = {
                x, y, m.randomNormal(new Shape(4096)), x.gt(y),
                "PyTorch".equals(engine) ? null : x.toType(DataType.BFLOAT16, false),
                m.randomNormal(new Shape(64, 128, 64)), m.randomNormal(new Shape(64, 64, 128)),
                m.randomInteger(0, 1000, new Shape(4096), DataType.INT64),
                m.randomInteger(0, 1024, new Shape(512), DataType.INT64),
                m.randomNormal(new Shape(1024, 1)),
                x.abs().toType(DataType.FLOAT64, false),
            };
            double best = Double.MAX_VALUE;
            long end = System.nanoTime() + 2_500_000_000L;
            for (int call = 0; System.nanoTime() < end || call < 5; call++) {
                long t0 = System.nanoTime();
                NDArray r = op.apply(in);
                long t1 = System.nanoTime();
                r.close();
                if (call >= 2) {
                    best = Math.min(best, (t1 - t0) / 1e6);
                }
            }
            return best;
        }
    }

    /**
     * The ops by name; inputs: x, y, a row, the mask x &gt; y, x in bfloat16, two batches, labels,
     * rows, a column, |x| in float64.
     */
    private static Map<String, Function<NDArray[], NDArray>> ops() {
        Map<String, Function<NDArray[], NDArray>> ops = new LinkedHashMap<>();
        ops.put("exp", a -> a[0].exp());
        ops.put("sqrt", a -> a[0].sqrt());
        ops.put("abs", a -> a[0].abs());
        ops.put("mul", a -> a[0].mul(a[1]));
        ops.put("div2", a -> a[0].div(2f));
        ops.put("subRow", a -> a[0].sub(a[2]));
        ops.put("mulCol", a -> a[0].mul(a[9]));
        ops.put("rowDiv", a -> a[2].div(a[0]));
        ops.put("eq", a -> a[0].eq(a[1]));
        ops.put("gt0", a -> a[0].gt(0f));
        ops.put("meanLast", a -> a[0].mean(new int[] {-1}));
        ops.put("maxFirst", a -> a[0].max(new int[] {0}));
        ops.put("toInt32", a -> a[0].toType(DataType.INT32, false));
        ops.put("toF64", a -> a[0].toType(DataType.FLOAT64, false));
        ops.put("logF64", a -> a[10].log());
        ops.put("expF64", a -> a[10].exp());
        ops.put("toBF16", a -> a[0].toType(DataType.BFLOAT16, false));
        ops.put("concat0", a -> a[0].concat(a[1], 0));
        ops.put("stack", a -> NDArrays.stack(new NDList(a[0], a[1])));
        ops.put("flip", a -> a[0].flip(1));
        ops.put("repeat", a -> a[2].repeat(0, 1024));
        ops.put("topK", a -> a[0].topK(10, -1).get(0));
        ops.put("softmaxFirst", a -> a[0].softmax(0));
        ops.put("isNaN", a -> a[0].isNaN());
        ops.put("and", a -> a[3].logicalAnd(a[3]));
        ops.put("sumBool", a -> a[3].sum());
        ops.put("erf", a -> a[0].erf());
        ops.put("sin", a -> a[0].sin());
        ops.put("cos", a -> a[0].cos());
        ops.put("log2", a -> a[0].abs().log2());
        ops.put("mish", a -> Activation.mish(a[0]));
        ops.put("gelu", a -> Activation.gelu(a[0]));
        ops.put("sign", a -> a[0].sign());
        ops.put("floor", a -> a[0].floor());
        ops.put("round", a -> a[0].round());
        ops.put("softPlus", a -> Activation.softPlus(a[0]));
        ops.put("leakyRelu", a -> Activation.leakyRelu(a[0], 0.1f));
        ops.put("elu", a -> Activation.elu(a[0], 1f));
        ops.put("selu", a -> Activation.selu(a[0]));
        ops.put("mulBF16", a -> a[4].mul(a[4]));
        ops.put("softmaxBF16", a -> a[4].softmax(-1));
        ops.put("logSoftmaxBF16", a -> a[4].logSoftmax(-1));
        ops.put("matMulBatch", a -> a[5].matMul(a[6]));
        ops.put("oneHot", a -> a[7].oneHot(1000));
        ops.put("gatherRows", a -> a[0].get(a[8]));
        ops.put("booleanMask", a -> a[0].get(a[3]));
        ops.put("swapAxes", a -> a[5].swapAxes(1, 2).duplicate());
        return ops;
    }
}
