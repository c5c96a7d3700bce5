/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CPU;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CUDA;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.TYPES;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.both;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.data;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.down;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.indices;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.report;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.show;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.up;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The copy and gather kernels against the CPU backend, bit for bit: every shape operation over
 * every storage type, every conversion pair, every indexing operation, and out-of-range indices
 * refused with the CPU's message before any gather runs.
 */
@Tag("gpu")
class GpuDataMovementTest {

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    /** Runs one op on a host tensor (CPU) and its upload (GPU) and records any difference. */
    private static void check(List<String> failures, String what, Tensor host, Function<Tensor, Tensor> cpu,
            Function<Tensor, Tensor> gpu) {
        Tensor g = up(host);
        // the upload is released right after the GPU call, before its result is read back
        both(failures, what, () -> cpu.apply(host), () -> {
            try {
                return gpu.apply(g);
            } finally {
                g.close();
            }
        }, 0, () -> show(host));
    }

    @Test
    void shapeOperationsCopyTheCpusBits() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 1000;
        Shape[] shapes = {new Shape(2, 3, 4), new Shape(5, 1, 7), new Shape(0, 3, 2), new Shape(1, 1, 9),
            new Shape(3, 2, 2, 2, 2, 3)};
        for (DataType t : TYPES) {
            for (Shape s : shapes) {
                Tensor a = data(s, t, seed++);
                int r = s.dimension();
                String tag = t + " " + s;
                int[] perm = new int[r];
                for (int i = 0; i < r; i++) {
                    perm[i] = (i * 2 + 1) % r == i ? r - 1 - i : (i + 1) % r;
                }
                int[] rev = new int[r];
                for (int i = 0; i < r; i++) {
                    rev[i] = r - 1 - i;
                }
                check(failures, "transpose " + tag, a, x -> CPU.shapes().transpose(x, rev),
                        x -> CUDA.shapes().transpose(x, rev));
                check(failures, "transpose(-1 first) " + tag, a, x -> CPU.shapes().transpose(x, roll(r)),
                        x -> CUDA.shapes().transpose(x, roll(r)));
                Shape big = new Shape(2).addAll(s);
                check(failures, "broadcast " + tag, a, x -> CPU.shapes().broadcast(x, big),
                        x -> CUDA.shapes().broadcast(x, big));
                check(failures, "repeat " + tag, a, x -> CPU.shapes().repeat(x, 1, 3), x -> CUDA.shapes().repeat(x, 1, 3));
                check(failures, "repeat(-1) " + tag, a, x -> CPU.shapes().repeat(x, -1, 2),
                        x -> CUDA.shapes().repeat(x, -1, 2));
                long[] reps = {2, 1, 3};
                check(failures, "tile " + tag, a, x -> CPU.shapes().tile(x, reps), x -> CUDA.shapes().tile(x, reps));
                long[] longReps = {2, 1, 1, 2};
                check(failures, "tile(rank up) " + tag, a, x -> CPU.shapes().tile(x, longReps),
                        x -> CUDA.shapes().tile(x, longReps));
                long len = s.get(r - 1);
                check(failures, "slice " + tag, a, x -> CPU.shapes().slice(x, r - 1, 1, Math.max(1, len - 1)),
                        x -> CUDA.shapes().slice(x, r - 1, 1, Math.max(1, len - 1)));
                check(failures, "flip " + tag, a, x -> CPU.shapes().flip(x, new int[] {0, -1}),
                        x -> CUDA.shapes().flip(x, new int[] {0, -1}));
                Tensor b = data(s, t, seed++);
                check(failures, "concat " + tag, a, x -> CPU.shapes().concat(new Tensor[] {x, b, x}, r - 1),
                        x -> {
                            Tensor gb = up(b);
                            try {
                                return CUDA.shapes().concat(new Tensor[] {x, gb, x}, r - 1);
                            } finally {
                                gb.close();
                            }
                        });
                cases += 10;
                for (DataType to : TYPES) {
                    if (to != t) {
                        check(failures, "toType " + tag + " -> " + to, a, x -> CPU.shapes().toType(x, to),
                                x -> CUDA.shapes().toType(x, to));
                        cases++;
                    }
                }
            }
        }
        Tensor scalar = data(new Shape(), DataType.FLOAT32, 5);
        check(failures, "broadcast rank 0", scalar, x -> CPU.shapes().broadcast(x, new Shape(3, 2)),
                x -> CUDA.shapes().broadcast(x, new Shape(3, 2)));
        check(failures, "broadcast mismatch", data(new Shape(3), DataType.INT32, 6),
                x -> CPU.shapes().broadcast(x, new Shape(4)), x -> CUDA.shapes().broadcast(x, new Shape(4)));
        report(failures, cases + 2);
    }

    private static int[] roll(int r) {
        int[] p = new int[r];
        p[0] = -1;
        for (int i = 1; i < r; i++) {
            p[i] = i - 1;
        }
        return p;
    }

    @Test
    void indexingOperationsGatherTheCpusBits() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 2000;
        for (DataType t : TYPES) {
            for (DataType it : new DataType[] {DataType.INT64, DataType.INT32, DataType.FLOAT32, DataType.UINT8}) {
                Tensor a = data(new Shape(4, 5, 3), t, seed++);
                String tag = t + " by " + it;
                Tensor take = indices(new Shape(2, 7), it == DataType.UINT8 ? DataType.INT64 : it, 60, seed++);
                cases += indexCase(failures, "take " + tag, a, take, (x, i) -> CPU.indexing().take(x, i),
                        (x, i) -> CUDA.indexing().take(x, i));
                Tensor g = indices(new Shape(4, 2, 3), it == DataType.UINT8 ? DataType.INT64 : it, 5, seed++);
                cases += indexCase(failures, "gather(axis 1) " + tag, a, g, (x, i) -> CPU.indexing().gather(x, i, 1),
                        (x, i) -> CUDA.indexing().gather(x, i, 1));
                Tensor along = indices(new Shape(3, 2), it == DataType.UINT8 ? DataType.INT64 : it, 5, seed++);
                cases += indexCase(failures, "takeAlong(axis 1) " + tag, a, along,
                        (x, i) -> CPU.indexing().takeAlong(x, i, 1), (x, i) -> CUDA.indexing().takeAlong(x, i, 1));
                Tensor nd = indices(new Shape(2, 6), DataType.INT64, 4, seed++);
                cases += indexCase(failures, "gatherNd " + tag, a, nd, (x, i) -> CPU.indexing().gatherNd(x, i),
                        (x, i) -> CUDA.indexing().gatherNd(x, i));
                Tensor w = data(new Shape(9, 4), t, seed++);
                Tensor e = indices(new Shape(3, 5), it == DataType.UINT8 ? DataType.INT64 : it, 9, seed++);
                cases += indexCase(failures, "embedding " + tag, w, e, (x, i) -> CPU.indexing().embedding(x, i),
                        (x, i) -> CUDA.indexing().embedding(x, i));
                Tensor mask = data(new Shape(4, 5), DataType.BOOLEAN, seed++);
                cases += indexCase(failures, "booleanMask " + tag, a, mask, (x, i) -> CPU.indexing().booleanMask(x, i, 0),
                        (x, i) -> CUDA.indexing().booleanMask(x, i, 0));
                Tensor lens = indices(new Shape(4), it == DataType.UINT8 ? DataType.INT64 : it, 6, seed++);
                cases += indexCase(failures, "sequenceMask " + tag, a, lens,
                        (x, i) -> CPU.indexing().sequenceMask(x, i, -7.5f), (x, i) -> CUDA.indexing().sequenceMask(x, i,
                                -7.5f));
                Tensor hot = indices(new Shape(2, 3), it == DataType.UINT8 ? DataType.INT64 : it, 4, seed++);
                cases += indexCase(failures, "oneHot " + tag, hot, hot,
                        (x, i) -> CPU.indexing().oneHot(x, 5, 2.5f, -1f, t), (x, i) -> CUDA.indexing().oneHot(x, 5,
                                2.5f, -1f, t));
                long[] min = {1, 0, 2};
                long[] step = {2, 3, -1};
                Shape slice = new Shape(2, 2, 2);
                check(failures, "getSlice " + tag, a,
                        x -> CPU.indexing().getSlice(x, min, step, slice, new Shape(2, 4)),
                        x -> CUDA.indexing().getSlice(x, min, step, slice, new Shape(2, 4)));
                for (DataType vt : new DataType[] {t, DataType.FLOAT64, DataType.INT32}) {
                    Tensor v = data(new Shape(2, 1), vt, seed++);
                    check(failures, "setSlice " + tag + " from " + vt, a, x -> {
                        Tensor y = CPU.copy(x);
                        CPU.indexing().setSlice(y, min, step, slice, v);
                        return y;
                    }, x -> {
                        Tensor gv = up(v);
                        CUDA.indexing().setSlice(x, min, step, slice, gv);
                        gv.close();
                        return CUDA.copy(x);
                    });
                }
                for (double fill : new double[] {3.75, Double.NaN, -1e20}) {
                    check(failures, "fillSlice " + tag + " " + fill, a, x -> {
                        Tensor y = CPU.copy(x);
                        CPU.indexing().fillSlice(y, min, step, slice, fill);
                        return y;
                    }, x -> {
                        CUDA.indexing().fillSlice(x, min, step, slice, fill);
                        return CUDA.copy(x);
                    });
                }
                cases += 7;
            }
        }
        report(failures, cases);
    }

    /** A binary index op: source and index on each backend. */
    private interface IndexOp {
        Tensor apply(Tensor src, Tensor index);
    }

    private static int indexCase(List<String> failures, String what, Tensor a, Tensor idx, IndexOp cpu, IndexOp gpu) {
        Tensor gi = up(idx);
        check(failures, what, a, x -> cpu.apply(x, idx), x -> gpu.apply(x, gi));
        gi.close();
        return 1;
    }

    @Test
    void outOfRangeIndicesAreRefusedWithTheCpusMessageBeforeAnyGather() {
        Tensor a = data(new Shape(4, 5), DataType.FLOAT32, 3);
        long[] bad = {0, 3, -5, 5, 2, -6};
        Tensor idx = Tensor.host(new Shape(6), DataType.INT64, bad);
        Tensor ga = up(a);
        Tensor gi = up(idx);
        String cpu = (String) GpuCompare.outcome(() -> CPU.indexing().takeAlong(a, idx, 1));
        String gpu = (String) GpuCompare.outcome(() -> CUDA.indexing().takeAlong(ga, gi, 1));
        assertEquals("IllegalArgumentException: index 5 is out of range [0, 5)", cpu);
        assertEquals(cpu, gpu);
        Tensor w = data(new Shape(3, 2), DataType.BFLOAT16, 4);
        Tensor gw = up(w);
        String e = (String) GpuCompare.outcome(() -> CUDA.indexing().embedding(gw, gi));
        assertEquals("IllegalArgumentException: embedding index 3 is out of range [0, 3)", e);
        // gatherNd checks all components of a position before the next position
        Tensor nd = Tensor.host(new Shape(2, 3), DataType.INT64, new long[] {0, 1, 9, 0, 7, 1});
        Tensor gnd = up(nd);
        assertEquals(GpuCompare.outcome(() -> CPU.indexing().gatherNd(a, nd)),
                GpuCompare.outcome(() -> CUDA.indexing().gatherNd(ga, gnd)));
        ga.close();
        gi.close();
        gw.close();
        gnd.close();
    }

    @Test
    void float16ConversionRoundsToNearestEvenWithTheCpusNaNBits() {
        float[] v = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 65520f, 0x1p-25f, 0x1.8p-25f, Float.NaN, -0f};
        Tensor h = Tensor.host(new Shape(v.length), DataType.FLOAT32, v);
        short[] got = (short[]) down(CUDA.shapes().toType(up(h), DataType.FLOAT16)).hostData();
        // written out: ties go to even, 65520 overflows to infinity, 2^-25 ties to zero
        short[] want = {0x3c00, 0x3c02, 0x7c00, 0x0000, 0x0001, (short) 0x7e00, (short) 0x8000};
        for (int i = 0; i < v.length; i++) {
            assertEquals(want[i], got[i], "float16 of " + v[i] + ": " + Integer.toHexString(got[i] & 0xffff));
        }
        assertEquals(1.0019531f, HostData.getFloat(got, DataType.FLOAT16, 1));
    }
}
