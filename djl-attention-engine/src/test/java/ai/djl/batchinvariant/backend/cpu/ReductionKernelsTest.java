/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.batchinvariant.backend.ReduceOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

/**
 * Reductions over a block of adjacent axes ({@link ReductionKernels}, through {@link
 * CpuReductions#reduce}) against the element loop over the permuted layout's offsets ({@link
 * CpuReductions#inIndexOrder}), bits equal: every reduction, float32, float16 and bfloat16, every
 * block of adjacent axes of shapes up to rank 4, row counts that are and are not multiples of the
 * eight interleaved chains, runs of outputs longer than a task's, sizes that go to the threads,
 * NaN, infinities and signed zeros; argMax and argMin over every axis likewise, ties included;
 * running sums over every axis against their loop; sums, products, maxima and minima of boolean and
 * integer arrays (exact, in chunks on the threads: {@link IntegerReductions}) likewise, wrapping
 * past int64's range included.
 * Inverse case: the same row summed in another order (two
 * chains, even and odd elements) differs, so the comparison can fail.
 */
class ReductionKernelsTest {

    private final Random rnd = new Random(11);

    private static final Shape[] SHAPES = {
        new Shape(7),
        new Shape(16, 33),
        new Shape(13, 5),
        new Shape(3, 5, 2100),
        new Shape(2, 3, 4, 5),
        new Shape(9, 1, 6),
        new Shape(70, 4000),
        new Shape(4000, 70),
    };

    @Test
    void everyBlockOfAdjacentAxesMatchesTheElementLoop() {
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16};
        for (Shape shape : SHAPES) {
            int rank = shape.dimension();
            // specials only where rows are short enough that not every result is NaN
            double odd = shape.size() > 10_000 ? 0 : 0.03;
            float[] values = KernelReference.data(rnd, (int) shape.size(), odd);
            for (DataType type : types) {
                Tensor t = Tensor.host(shape, type, HostData.fromFloats(values.clone(), type));
                for (int from = 0; from < rank; from++) {
                    for (int to = from + 1; to <= rank; to++) {
                        int[] axes = new int[to - from];
                        for (int i = 0; i < axes.length; i++) {
                            axes[i] = from + i;
                        }
                        for (ReduceOp op : ReduceOp.values()) {
                            Object got = CpuReductions.INSTANCE.reduce(op, t, axes, false).hostData();
                            Object want = reference(op, t, axes);
                            assertEquals(-1, difference(got, want, type),
                                    op + " " + type + " " + shape + " axes " + Arrays.toString(axes));
                        }
                    }
                }
            }
        }
    }

    @Test
    void integerReductionsMatchTheElementLoop() {
        DataType[] types = {DataType.BOOLEAN, DataType.INT8, DataType.UINT8, DataType.INT32, DataType.INT64};
        Shape[] shapes = {new Shape(7), new Shape(16, 33), new Shape(3, 5, 2100), new Shape(2, 3, 4, 5),
            new Shape(300_001)};
        long[] extremes = {Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0, 1, 255, -128};
        for (Shape shape : shapes) {
            int rank = shape.dimension();
            int n = (int) shape.size();
            for (DataType type : types) {
                Object data = HostData.allocate(type, n);
                for (int i = 0; i < n; i++) {
                    long v = type == DataType.BOOLEAN ? rnd.nextInt(2)
                            : rnd.nextInt(9) == 0 ? extremes[rnd.nextInt(extremes.length)] : rnd.nextInt(7) - 3;
                    HostData.setLong(data, type, i, v);
                }
                Tensor t = Tensor.host(shape, type, data);
                for (int from = 0; from < rank; from++) {
                    for (int to = from + 1; to <= rank; to++) {
                        int[] axes = new int[to - from];
                        for (int i = 0; i < axes.length; i++) {
                            axes[i] = from + i;
                        }
                        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.PROD, ReduceOp.MAX, ReduceOp.MIN}) {
                            Tensor got = CpuReductions.INSTANCE.reduce(op, t, axes, false);
                            boolean[] reduced = new boolean[rank];
                            for (int a : axes) {
                                reduced[a] = true;
                            }
                            long[] kept = new long[rank - axes.length];
                            int[] offs = CpuReductions.reduceLayout(shape, axes, kept, reduced);
                            int outN = (int) new Shape(kept).size();
                            Object want = CpuReductions.inIndexOrder(op, t, offs, outN, offs.length / outN,
                                    got.getDataType());
                            for (int i = 0; i < outN; i++) {
                                assertEquals(HostData.getLong(want, got.getDataType(), i),
                                        HostData.getLong(got.hostData(), got.getDataType(), i),
                                        op + " " + type + " " + shape + " axes " + Arrays.toString(axes) + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void argMaxAndArgMinOverEveryAxisMatchTheElementLoop() {
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16};
        for (Shape shape : SHAPES) {
            double odd = shape.size() > 10_000 ? 0.001 : 0.03;
            float[] values = KernelReference.data(rnd, (int) shape.size(), odd);
            // ties, so that the first of equal values must be the one chosen
            for (int i = 0; i < values.length; i += 7) {
                values[i] = 1.5f;
            }
            for (DataType type : types) {
                Tensor t = Tensor.host(shape, type, HostData.fromFloats(values.clone(), type));
                for (int axis = 0; axis < shape.dimension(); axis++) {
                    boolean[] reduced = new boolean[shape.dimension()];
                    reduced[axis] = true;
                    int[] offs = CpuReductions.reduceLayout(shape, new int[] {axis}, new long[shape.dimension() - 1],
                            reduced);
                    for (boolean max : new boolean[] {true, false}) {
                        long[] got = (long[]) CpuReductions.INSTANCE.argExtreme(t, axis, max).hostData();
                        long[] want = CpuReductions.argExtremeByOffsets(t, offs, (int) shape.get(axis), max);
                        assertArrayEquals(want, got,
                                (max ? "argMax " : "argMin ") + type + " " + shape + " axis " + axis);
                    }
                }
            }
        }
    }

    @Test
    void runningSumsOverEveryAxisMatchTheElementLoop() {
        DataType[] types = {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16};
        for (Shape shape : SHAPES) {
            float[] values = KernelReference.data(rnd, (int) shape.size(), shape.size() > 10_000 ? 0 : 0.03);
            for (DataType type : types) {
                Tensor t = Tensor.host(shape, type, HostData.fromFloats(values.clone(), type));
                for (int axis = 0; axis < shape.dimension(); axis++) {
                    Object got = CpuReductions.INSTANCE.cumSum(t, axis).hostData();
                    // the loop: a float chain along the axis in index order, each sum stored rounded
                    Object want = HostData.allocate(type, (int) shape.size());
                    int len = (int) shape.get(axis);
                    int inner = 1;
                    for (int d = axis + 1; d < shape.dimension(); d++) {
                        inner *= (int) shape.get(d);
                    }
                    for (int o = 0; o < shape.size() / len; o++) {
                        int base = o / inner * len * inner + o % inner;
                        float acc = 0f;
                        for (int i = 0; i < len; i++) {
                            acc += HostData.getFloat(t.hostData(), type, base + i * inner);
                            HostData.setFloat(want, type, base + i * inner, acc);
                        }
                    }
                    assertEquals(-1, difference(got, want, type), "cumSum " + type + " " + shape + " axis " + axis);
                }
            }
        }
    }

    @Test
    void theSameCheckCatchesASumInAnotherOrder() {
        float[] row = KernelReference.data(rnd, 4096, 0);
        Tensor t = Tensor.host(new Shape(1, 4096), DataType.FLOAT32, row);
        float got = ((float[]) CpuReductions.INSTANCE.reduce(ReduceOp.SUM, t, new int[] {1}, false).hostData())[0];
        float even = 0f;
        float odd = 0f;
        for (int i = 0; i < row.length; i += 2) {
            even += row[i];
            odd += row[i + 1];
        }
        assertNotEquals(-1, difference(new float[] {got}, new float[] {even + odd}, DataType.FLOAT32));
    }

    private static Object reference(ReduceOp op, Tensor t, int[] axes) {
        Shape shape = t.getShape();
        boolean[] reduced = new boolean[shape.dimension()];
        for (int a : axes) {
            reduced[a] = true;
        }
        long[] kept = new long[shape.dimension() - axes.length];
        int[] offs = CpuReductions.reduceLayout(shape, axes, kept, reduced);
        int outN = (int) new Shape(kept).size();
        return CpuReductions.inIndexOrder(op, t, offs, outN, offs.length / outN, t.getDataType());
    }

    /** The first index whose bits differ (every NaN one value), or -1. */
    private static int difference(Object got, Object want, DataType type) {
        if (type == DataType.FLOAT32) {
            return KernelReference.firstDifference((float[]) want, (float[]) got);
        }
        short[] g = (short[]) got;
        short[] w = (short[]) want;
        if (g.length != w.length) {
            return 0;
        }
        for (int i = 0; i < g.length; i++) {
            float gv = HostData.getFloat(g, type, i);
            float wv = HostData.getFloat(w, type, i);
            if (g[i] != w[i] && !(Float.isNaN(gv) && Float.isNaN(wv))) {
                return i;
            }
        }
        return -1;
    }
}
