/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.cpu.CpuBackend;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Supplier;

/**
 * The GPU launch plans replayed in Java, without a GPU: each copy or gather plan is walked the
 * way the kernels walk it (through {@link StridedArgs}' simplification, with the kernels' index
 * arithmetic), and the result must equal the CPU backend's, element for element. A wrong stride,
 * offset or shape in a plan fails here before any device sees it.
 */
class PlansReplayTest {

    private static final CpuBackend CPU = CpuBackend.INSTANCE;

    private static Tensor distinct(Shape s) {
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 0.5f;
        }
        return Tensor.host(s, DataType.FLOAT32, v);
    }

    /** {@code bi::strided_offset}. */
    private static long offset(long i, long[] shape, long[] stride) {
        long off = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * stride[d];
            i /= shape[d];
        }
        return off;
    }

    /** copy.cu in Java: walk, read strided, write strided (contiguous here). */
    private static void copy(float[] in, long inOffset, long[] inStrides, float[] out, long outOffset,
            long[] outStrides, long[] shape) {
        StridedArgs a = StridedArgs.of(shape, inStrides, outStrides).checkRank("replay");
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        for (long i = 0; i < n; i++) {
            out[(int) (outOffset + offset(i, a.shape(), a.strides(1)))] =
                    in[(int) (inOffset + offset(i, a.shape(), a.strides(0)))];
        }
    }

    private static float[] replay(Tensor src, CopyPlans.Walk w) {
        float[] out = new float[(int) w.outShape.size()];
        copy((float[]) src.hostData(), w.inOffset, w.inStrides, out, 0, StridedArgs.contiguous(w.shape), w.shape);
        return out;
    }

    private static void same(String what, Tensor cpu, Shape shape, float[] replayed) {
        assertEquals(cpu.getShape(), shape, what + ": shape");
        assertArrayEquals((float[]) cpu.hostData(), replayed, what);
    }

    @Test
    void copyPlansReproduceTheCpuShapeOperations() {
        Shape[] shapes = {new Shape(2, 3, 4), new Shape(5, 1, 7), new Shape(0, 3, 2), new Shape(1, 1, 9),
            new Shape(3, 2, 2, 2, 2, 3), new Shape(6)};
        for (Shape s : shapes) {
            Tensor a = distinct(s);
            int r = s.dimension();
            int[] rev = new int[r];
            int[] roll = new int[r];
            for (int i = 0; i < r; i++) {
                rev[i] = r - 1 - i;
                roll[i] = i == 0 ? -1 : i - 1;
            }
            for (int[] axes : new int[][] {rev, roll}) {
                CopyPlans.Walk w = CopyPlans.transpose(s, axes);
                same("transpose " + s, CPU.shapes().transpose(a, axes), w.outShape, replay(a, w));
            }
            Shape big = new Shape(2).addAll(s);
            CopyPlans.Walk b = CopyPlans.broadcast(s, big);
            same("broadcast " + s, CPU.shapes().broadcast(a, big), b.outShape, replay(a, b));
            for (int axis : new int[] {0, -1}) {
                for (long reps : new long[] {1, 3, 0}) {
                    CopyPlans.Walk w = CopyPlans.repeat(s, axis, reps);
                    same("repeat " + s + " " + axis + "x" + reps, CPU.shapes().repeat(a, axis, reps), w.outShape,
                            replay(a, w));
                }
            }
            for (long[] reps : new long[][] {{2, 1, 3}, {2, 1, 1, 2}, {3}, {}}) {
                CopyPlans.Walk w = CopyPlans.tile(s, reps);
                same("tile " + s + " " + java.util.Arrays.toString(reps), CPU.shapes().tile(a, reps), w.outShape,
                        replay(a, w));
            }
            long len = s.get(r - 1);
            CopyPlans.Walk sl = CopyPlans.slice(s, r - 1, 1, Math.max(1, len - 1));
            same("slice " + s, CPU.shapes().slice(a, r - 1, 1, Math.max(1, len - 1)), sl.outShape, replay(a, sl));
            CopyPlans.Walk f = CopyPlans.flip(s, new int[] {0, -1});
            same("flip " + s, CPU.shapes().flip(a, new int[] {0, -1}), f.outShape, replay(a, f));
        }
        Tensor scalar = distinct(new Shape());
        CopyPlans.Walk w = CopyPlans.broadcast(new Shape(), new Shape(3, 2));
        same("broadcast rank 0", CPU.shapes().broadcast(scalar, new Shape(3, 2)), w.outShape, replay(scalar, w));
        assertThrows(IllegalArgumentException.class, () -> CopyPlans.broadcast(new Shape(3), new Shape(4)));
    }

    @Test
    void strideSlicesReadAndWriteWhereTheCpuDoes() {
        Shape s = new Shape(4, 5, 3);
        Tensor a = distinct(s);
        long[] min = {1, 0, 2};
        long[] step = {2, 3, -1};
        Shape slice = new Shape(2, 2, 2);
        CopyPlans.Walk w = CopyPlans.slice(s, min, step, slice, new Shape(2, 4));
        same("getSlice", CPU.indexing().getSlice(a, min, step, slice, new Shape(2, 4)), w.outShape, replay(a, w));
        // setSlice: the value (2, 1) broadcast over the slice, written at the slice's strides
        Tensor v = Tensor.host(new Shape(2, 1), DataType.FLOAT32, new float[] {-1f, -2f});
        Tensor cpu = CPU.copy(a);
        CPU.indexing().setSlice(cpu, min, step, slice, v);
        float[] out = ((float[]) a.hostData()).clone();
        CopyPlans.Walk t = CopyPlans.slice(s, min, step, slice, slice);
        copy((float[]) v.hostData(), 0, StridedArgs.broadcast(new Shape(2, 1), slice), out, t.inOffset, t.inStrides,
                t.shape);
        assertArrayEquals((float[]) cpu.hostData(), out, "setSlice");
    }

    @Test
    void concatOffsetsReproduceTheCpu() {
        Shape[] parts = {new Shape(2, 3, 4), new Shape(2, 1, 4), new Shape(2, 0, 4), new Shape(2, 5, 4)};
        Tensor[] ts = new Tensor[parts.length];
        long total = 0;
        for (int i = 0; i < parts.length; i++) {
            ts[i] = distinct(parts[i]);
            total += parts[i].get(1);
        }
        long[] dims = {2, total, 4};
        float[] out = new float[(int) (2 * total * 4)];
        long[] ost = StridedArgs.contiguous(dims);
        long at = 0;
        for (Tensor t : ts) {
            long[] bd = t.getShape().getShape();
            copy((float[]) t.hostData(), 0, StridedArgs.contiguous(bd), out, at * ost[1], ost, bd);
            at += bd[1];
        }
        assertArrayEquals((float[]) CPU.shapes().concat(ts, 1).hostData(), out);
    }

    /** gather.cu (G_GATHER and the check kernel) in Java. */
    private static float[] gather(Tensor src, long[] idx, GatherPlans.Plan p) {
        if (p.check && idx.length > 0) {
            long best = Long.MAX_VALUE;
            for (long q = 0; q < idx.length; q++) {
                long k = p.parts() == 1 ? 0 : q / p.idxStep;
                long len = p.axisLen[(int) k];
                if (idx[(int) q] < -len || idx[(int) q] >= len) {
                    best = Math.min(best, (q % p.idxStep) * p.parts() + k);
                }
            }
            if (best != Long.MAX_VALUE) {
                int k = (int) (best % p.parts());
                long q = CudaIndexing.indexPosition(best, p.parts(), p.idxStep);
                throw new IllegalArgumentException(TypeRules.indexOutOfRange(p.what, idx[(int) q], p.axisLen[k]));
            }
        }
        StridedArgs a = StridedArgs.of(p.walk, p.srcStrides, p.idxStrides).checkRank("replay");
        float[] in = (float[]) src.hostData();
        float[] out = new float[(int) p.outShape.size()];
        for (int i = 0; i < out.length; i++) {
            long s = offset(i, a.shape(), a.strides(0));
            long x = offset(i, a.shape(), a.strides(1));
            for (int k = 0; k < p.parts(); k++) {
                long v = idx[(int) (x + k * p.idxStep)];
                s += (v < 0 ? v + p.axisLen[k] : v) * p.axisStride[k];
            }
            out[i] = in[(int) s];
        }
        return out;
    }

    private static Object outcome(Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static void sameGather(String what, Supplier<Tensor> cpu, Supplier<GatherPlans.Plan> plan, Tensor src,
            long[] idx) {
        Object c = outcome(() -> cpu.get());
        Object g = outcome(() -> {
            GatherPlans.Plan p = plan.get();
            return new Object[] {p.outShape, gather(src, idx, p)};
        });
        if (c instanceof String || g instanceof String) {
            assertEquals(c, g, what);
            return;
        }
        Object[] r = (Object[]) g;
        same(what, (Tensor) c, (Shape) r[0], (float[]) r[1]);
    }

    private static long[] indices(int n, long size, Random r, boolean allowBad) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt((int) (2 * size + (allowBad ? 2 : 0))) - size;
        }
        return v;
    }

    @Test
    void gatherPlansReproduceTheCpuIndexingIncludingItsMessages() {
        Random r = new Random(9);
        Shape s = new Shape(4, 5, 3);
        Tensor a = distinct(s);
        for (int round = 0; round < 40; round++) {
            boolean bad = round % 3 == 0;
            long[] t = indices(14, 60, r, bad);
            Tensor ti = Tensor.host(new Shape(2, 7), DataType.INT64, t);
            sameGather("take", () -> CPU.indexing().take(a, ti), () -> GatherPlans.take(s, ti.getShape()), a, t);
            long[] g = indices(24, 5, r, bad);
            Tensor gi = Tensor.host(new Shape(4, 2, 3), DataType.INT64, g);
            sameGather("gather", () -> CPU.indexing().gather(a, gi, 1), () -> GatherPlans.gather(s, gi.getShape(), 1), a,
                    g);
            long[] al = indices(6, 5, r, bad);
            Tensor ai = Tensor.host(new Shape(3, 2), DataType.INT64, al);
            sameGather("takeAlong", () -> CPU.indexing().takeAlong(a, ai, 1),
                    () -> GatherPlans.takeAlong(s, ai.getShape(), 1), a, al);
            long[] nd = indices(12, 4, r, bad);
            Tensor ni = Tensor.host(new Shape(2, 6), DataType.INT64, nd);
            sameGather("gatherNd", () -> CPU.indexing().gatherNd(a, ni), () -> GatherPlans.gatherNd(s, ni.getShape()),
                    a, nd);
            Shape ws = new Shape(9, 4);
            Tensor w = distinct(ws);
            long[] e = indices(15, 9, r, bad);
            Tensor ei = Tensor.host(new Shape(3, 5), DataType.INT64, e);
            sameGather("embedding", () -> CPU.indexing().embedding(w, ei), () -> GatherPlans.embedding(ws, ei.getShape()),
                    w, e);
        }
        // no outer rows: the CPU checks nothing, and neither may the plan
        Shape empty = new Shape(0, 5);
        Tensor z = distinct(empty);
        long[] badIdx = {99};
        Tensor bi = Tensor.host(new Shape(1), DataType.INT64, badIdx);
        sameGather("takeAlong, no rows", () -> CPU.indexing().takeAlong(z, bi, 1),
                () -> GatherPlans.takeAlong(empty, bi.getShape(), 1), z, badIdx);
    }
}
