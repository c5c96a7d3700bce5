/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.bench;

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

/** {@code NDArrayEx.linear} (x·Wᵀ + b, float32) on this engine against DJL's PyTorch engine. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
public class LinearBenchmark {

    @Param({"1", "16", "256"})
    public int rows;

    @Param({"2048"})
    public int features;

    @Param({"BatchInvariant", "PyTorch"})
    public String engine;

    private NDManager manager;
    private NDArray x;
    private NDArray w;
    private NDArray b;

    /** Allocates inputs and weights. */
    @Setup(Level.Trial)
    public void setUp() {
        manager = Engine.getEngine(engine).newBaseManager();
        x = manager.randomNormal(new Shape(rows, features));
        w = manager.randomNormal(new Shape(features, features));
        b = manager.randomNormal(new Shape(features));
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    /**
     * One linear layer.
     *
     * @return a value of the output
     */
    @Benchmark
    public float linear() {
        NDArray y = x.getNDArrayInternal().linear(x, w, b).head();
        float v = y.getFloat(0, 0);
        y.close();
        return v;
    }
}
