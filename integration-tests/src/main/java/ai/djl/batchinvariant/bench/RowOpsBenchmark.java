/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Memory-bound row and element-wise ops on float32 (rows × 4096) on this engine and on DJL's
 * PyTorch engine: {@code rmsNorm} (the {@link RmsNorm} block: one fused op here, the composed
 * x / sqrt(mean(x²) + eps) · w on PyTorch, as Hugging Face Llama writes it), {@code softmax} and
 * {@code logSoftmax} over the last axis ({@code softmaxColumns} and {@code logSoftmaxColumns} over the
 * first), {@code sigmoid} and {@code gelu} element-wise (DJL's {@code
 * Activation.sigmoid}, {@code Activation.gelu}), {@code tanh}, {@code layerNorm} over the last
 * axis with a scale and a shift (DJL's {@code NDArrayEx.layerNorm} on both engines), {@code add}
 * of two arrays of the same shape, {@code addRow} (a row of {@code cols} broadcast over the rows)
 * {@code mulScalar} (times 2), {@code gt} (x > 0, a boolean result), {@code clip} (to [-1, 1]),
 * {@code where} (x where a boolean mask is set, else y), the reductions {@code sum} and {@code
 * max} over the last axis and {@code sumColumns} over the first, {@code relu}, {@code argMax},
 * {@code cumSum} and {@code sort} over the last axis, {@code transpose} (materialised by {@code
 * duplicate}: PyTorch's transpose is a view), {@code addF16} (x + x in float16), {@code toF16}
 * (a cast) and {@code pow2} (x to the power 2). Bytes moved per call: 8 per element for the
 * element-wise ops but add (read, write), 12 for add, about 4 for the reductions.
 * {@code copy} and {@code copyLoop} are the machine's reference for 8 bytes an element: plain Java
 * copying the input's floats into a kept array on two threads, the same for either engine parameter. Outputs are
 * closed each call, as a DJL program's are; this engine then reuses their arrays ({@code
 * cpuCacheMb}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
public class RowOpsBenchmark {

    @Param({"rmsNorm", "layerNorm", "softmax", "logSoftmax", "softmaxColumns", "logSoftmaxColumns", "sigmoid",
        "gelu", "tanh", "add", "addRow", "mulScalar", "gt", "clip", "where", "sum", "sumColumns", "max", "relu",
        "argMax", "cumSum", "sort", "transpose", "addF16", "toF16", "pow2", "copy", "copyLoop"})
    public String op;

    @Param({"64", "4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    @Param({"BatchInvariant", "PyTorch"})
    public String engine;

    /**
     * This engine's cache of closed outputs in MiB ({@code cpu_cache_limit_mb}); "default" leaves
     * the property unset, "0" gives every op a new array (the JVM clears it first).
     */
    @Param({"default"})
    public String cpuCacheMb;

    private NDManager manager;
    private NDArray x;
    private NDArray y;
    private RmsNorm norm;
    private NDArray gamma;
    private NDArray beta;
    private NDArray mask;
    private NDArray half;
    private float[] copySource;
    private float[] copyTarget;

    /** Allocates the inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        String key = "ai.djl.batchinvariant.cpu_cache_limit_mb";
        if ("default".equals(cpuCacheMb)) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, cpuCacheMb);
        }
        if (op.startsWith("copy")) {
            copySource = new float[rows * cols];
            copyTarget = new float[rows * cols];
            java.util.Arrays.fill(copySource, 1f);
        }
        manager = Engine.getEngine(engine).newBaseManager();
        x = manager.randomNormal(new Shape(rows, cols));
        y = manager.randomNormal(new Shape(rows, cols));
        norm = new RmsNorm(manager.randomNormal(new Shape(cols)), 1e-6f);
        gamma = manager.randomNormal(new Shape(cols));
        beta = manager.randomNormal(new Shape(cols));
        mask = x.gt(y);
        half = x.toType(DataType.FLOAT16, false);
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /**
     * One op.
     *
     * @return a value of the output
     */
    @Benchmark
    public float run() {
        if (copySource != null) {
            return copy();
        }
        NDArray out;
        switch (op) {
            case "rmsNorm":
                out = norm.forward(x);
                break;
            case "softmax":
                out = x.softmax(-1);
                break;
            case "logSoftmax":
                out = x.logSoftmax(-1);
                break;
            case "softmaxColumns":
                out = x.softmax(0);
                break;
            case "logSoftmaxColumns":
                out = x.logSoftmax(0);
                break;
            case "sigmoid":
                out = Activation.sigmoid(x);
                break;
            case "gelu":
                out = Activation.gelu(x);
                break;
            case "tanh":
                out = x.tanh();
                break;
            case "addRow":
                out = x.add(gamma);
                break;
            case "mulScalar":
                out = x.mul(2f);
                break;
            case "gt":
                out = x.gt(0f);
                break;
            case "clip":
                out = x.clip(-1, 1);
                break;
            case "where":
                out = NDArrays.where(mask, x, y);
                break;
            case "sum":
                out = x.sum(new int[] {-1});
                break;
            case "sumColumns":
                out = x.sum(new int[] {0});
                break;
            case "max":
                out = x.max(new int[] {-1});
                break;
            case "relu":
                out = Activation.relu(x);
                break;
            case "argMax":
                out = x.argMax(-1);
                break;
            case "cumSum":
                out = x.cumSum(-1);
                break;
            case "sort":
                out = x.sort(-1);
                break;
            case "transpose":
                // materialised: this engine copies at transpose, PyTorch makes a view
                try (NDArray view = x.transpose()) {
                    out = view.duplicate();
                }
                break;
            case "addF16":
                out = half.add(half);
                break;
            case "toF16":
                out = x.toType(DataType.FLOAT16, false);
                break;
            case "pow2":
                out = x.pow(2f);
                break;
            case "layerNorm":
                out = x.getNDArrayInternal().layerNorm(x, new Shape(cols), gamma, beta, 1e-5f).singletonOrThrow();
                break;
            default:
                out = x.add(y);
        }
        long[] first = new long[out.getShape().dimension()];
        float v;
        if (out.getDataType() == DataType.BOOLEAN) {
            v = out.getBoolean(first) ? 1f : 0f;
        } else {
            // one element as float32 (toType of a whole 16-bit output would be timed with it)
            try (NDArray e = out.get(new NDIndex(first)); NDArray f = e.toType(DataType.FLOAT32, false)) {
                v = f.getFloat();
            }
        }
        out.close();
        return v;
    }

    /**
     * The machine's rate for the same bytes: the input copied into a kept array on two threads, by
     * {@code System.arraycopy} ({@code copy}: the JVM's copy stub, which may store past the caches)
     * or by a plain loop ({@code copyLoop}: the vector loads and stores a Java kernel gets).
     */
    private float copy() {
        int half = copySource.length / 2;
        boolean loop = "copyLoop".equals(op);
        java.util.stream.IntStream.range(0, 2).parallel().forEach(p -> {
            int from = p * half;
            int to = p == 0 ? half : copySource.length;
            if (loop) {
                copyLoop(copySource, copyTarget, from, to);
            } else {
                System.arraycopy(copySource, from, copyTarget, from, to - from);
            }
        });
        return copyTarget[0];
    }

    private static void copyLoop(float[] s, float[] t, int from, int to) {
        for (int i = from; i < to; i++) {
            t[i] = s[i];
        }
    }
}
