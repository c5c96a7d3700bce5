/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

import ai.djl.batchinvariant.nn.RmsNorm;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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
 * x / sqrt(mean(x²) + eps) · w on PyTorch, as Hugging Face Llama writes it), {@code softmax} over
 * the last axis, {@code layerNorm} over the last axis with a scale and a shift (DJL's {@code
 * NDArrayEx.layerNorm} on both engines) and {@code add} of two arrays of the same shape. Bytes
 * moved per call: 8 per element for rmsNorm, layerNorm and softmax (read, write), 12 for add.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
public class RowOpsBenchmark {

    @Param({"rmsNorm", "layerNorm", "softmax", "add"})
    public String op;

    @Param({"64", "4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    @Param({"BatchInvariant", "PyTorch"})
    public String engine;

    private NDManager manager;
    private NDArray x;
    private NDArray y;
    private RmsNorm norm;
    private NDArray gamma;
    private NDArray beta;

    /** Allocates the inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        manager = Engine.getEngine(engine).newBaseManager();
        x = manager.randomNormal(new Shape(rows, cols));
        y = manager.randomNormal(new Shape(rows, cols));
        norm = new RmsNorm(manager.randomNormal(new Shape(cols)), 1e-6f);
        gamma = manager.randomNormal(new Shape(cols));
        beta = manager.randomNormal(new Shape(cols));
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
        NDArray out;
        switch (op) {
            case "rmsNorm":
                out = norm.forward(x);
                break;
            case "softmax":
                out = x.softmax(-1);
                break;
            case "layerNorm":
                out = x.getNDArrayInternal().layerNorm(x, new Shape(cols), gamma, beta, 1e-5f).singletonOrThrow();
                break;
            default:
                out = x.add(y);
        }
        float v = out.getFloat(0, 0);
        out.close();
        return v;
    }
}
