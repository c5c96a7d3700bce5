/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static ai.djl.batchinvariant.integration.diff.DiffData.FLOATS;
import static ai.djl.batchinvariant.integration.diff.DiffOps.sh;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.ACCUMULATE;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.EXACT;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.TRANSCENDENTAL;

import ai.djl.batchinvariant.integration.diff.DiffData.Fill;
import ai.djl.batchinvariant.integration.diff.DiffData.Operand;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The convolution, pooling and resize rows of the operation table: 1-D, 2-D and 3-D inputs, batch
 * 1 and 3, odd sizes, stride 2, padding, dilation, groups, ceil mode and count-include-pad. Like
 * {@link DiffOps}, nothing here states an expected value: the reference is the same call on the
 * PyTorch engine. (Transposed convolution has no PyTorch-engine implementation in DJL; its test
 * builds the reference from PyTorch's convolution, see {@code DeconvolutionTest}.)
 */
final class DiffNnOps {

    /** Adds one case per data type (DiffOps' {@code custom}). */
    @FunctionalInterface
    interface Custom {
        void add(DiffOp op, List<DataType> types, String shapes, DiffOps.OperandsOf operands);
    }

    private DiffNnOps() {}

    private static Operand rnd(DataType t, Shape s) {
        return new Operand(t, s, Fill.RANDOM);
    }

    private static String name(Shape s) {
        return DiffData.name(s);
    }

    /** A convolution case: input, weight, optional bias, and the geometry. */
    private static void conv(Custom add, Shape x, Shape w, boolean bias, Shape s, Shape p, Shape d, int g) {
        String label = "ex.convolution(s" + name(s) + ",p" + name(p) + ",d" + name(d) + ",g" + g + ")";
        DiffOp op = new DiffOp("NDArrayEx.convolution", label, ACCUMULATE, c -> c.a().getNDArrayInternal()
                .convolution(c.in[0], c.in[1], bias ? c.in[2] : null, s, p, d, g));
        Shape b = sh(w.get(0));
        add.add(op, FLOATS, name(x) + "*" + name(w) + (bias ? "+" + name(b) : ""),
                t -> bias ? new Operand[] {rnd(t, x), rnd(t, w), rnd(t, b)} : new Operand[] {rnd(t, x), rnd(t, w)});
    }

    private static void maxPool(Custom add, Shape x, Shape k, Shape s, Shape p, boolean ceil) {
        String label = "ex.maxPool(k" + name(k) + ",s" + name(s) + ",p" + name(p) + (ceil ? ",ceil)" : ")");
        DiffOp op = new DiffOp("NDArrayEx.maxPool", label, EXACT, c -> c.a().getNDArrayInternal().maxPool(k, s, p, ceil));
        add.add(op, FLOATS, name(x), t -> new Operand[] {rnd(t, x)});
    }

    private static void avgPool(Custom add, Shape x, Shape k, Shape s, Shape p, boolean ceil, boolean include) {
        String label = "ex.avgPool(k" + name(k) + ",s" + name(s) + ",p" + name(p) + (ceil ? ",ceil" : "")
                + (include ? ",includePad)" : ")");
        DiffOp op = new DiffOp("NDArrayEx.avgPool", label, ACCUMULATE,
                c -> c.a().getNDArrayInternal().avgPool(k, s, p, ceil, include));
        add.add(op, FLOATS, name(x), t -> new Operand[] {rnd(t, x)});
    }

    private static void lpPool(Custom add, Shape x, float norm, Shape k, Shape s, boolean ceil) {
        String label = "ex.lpPool(" + norm + ",k" + name(k) + ",s" + name(s) + (ceil ? ",ceil)" : ")");
        DiffOp op = new DiffOp("NDArrayEx.lpPool", label, TRANSCENDENTAL,
                c -> c.a().getNDArrayInternal().lpPool(norm, k, s, sh(0), ceil));
        add.add(op, List.of(DataType.FLOAT32, DataType.FLOAT64), name(x),
                t -> new Operand[] {rnd(t, x)});
    }

    private static void resize(Custom add, Shape x, int w, int h, int mode, List<DataType> types) {
        String label = "ex.resize(" + w + "," + h + "," + (mode == 0 ? "nearest" : "bilinear") + ")";
        DiffOp op = new DiffOp("NDArrayEx.resize", label, mode == 0 ? EXACT : ACCUMULATE,
                c -> c.a().getNDArrayInternal().resize(w, h, mode));
        add.add(op, types, name(x), t -> new Operand[] {rnd(t, x)});
    }

    /**
     * Generates the cases.
     *
     * @param add DiffOps' per-type case builder
     */
    static void generate(Custom add) {
        // convolution: 1-D, 2-D, 3-D; batch 1 and 3; stride, padding, dilation, groups, depthwise
        conv(add, sh(3, 4, 9), sh(6, 2, 3), true, sh(2), sh(1), sh(2), 2);
        conv(add, sh(1, 3, 5, 7), sh(4, 3, 3, 3), true, sh(1, 1), sh(1, 1), sh(1, 1), 1);
        conv(add, sh(3, 3, 5, 7), sh(4, 3, 3, 3), false, sh(1, 1), sh(1, 1), sh(1, 1), 1);
        conv(add, sh(3, 4, 7, 9), sh(6, 2, 3, 2), true, sh(2, 2), sh(1, 2), sh(2, 1), 2);
        conv(add, sh(2, 4, 6, 6), sh(4, 1, 3, 3), true, sh(2, 1), sh(0, 1), sh(1, 1), 4);
        conv(add, sh(1, 1, 8, 8), sh(2, 1, 4, 4), false, sh(2, 2), sh(0, 0), sh(1, 1), 1);
        conv(add, sh(2, 2, 4, 5, 3), sh(3, 2, 2, 3, 2), true, sh(1, 2, 1), sh(1, 0, 1), sh(1, 1, 2), 1);

        maxPool(add, sh(2, 3, 7, 9), sh(3, 3), sh(2, 2), sh(1, 1), false);
        maxPool(add, sh(2, 3, 7, 9), sh(3, 3), sh(2, 2), sh(1, 1), true);
        maxPool(add, sh(3, 2, 10), sh(3), sh(2), sh(1), true);
        maxPool(add, sh(1, 2, 5, 7), sh(2, 2), sh(2, 2), sh(0, 0), false);
        maxPool(add, sh(1, 2, 5, 6, 7), sh(2, 3, 2), sh(2, 2, 2), sh(1, 1, 0), true);

        for (boolean include : new boolean[] {false, true}) {
            avgPool(add, sh(2, 3, 7, 9), sh(3, 3), sh(2, 2), sh(1, 1), false, include);
            avgPool(add, sh(2, 3, 7, 9), sh(3, 3), sh(2, 2), sh(1, 1), true, include);
            avgPool(add, sh(3, 2, 10), sh(4), sh(3), sh(2), true, include);
            avgPool(add, sh(1, 2, 5, 6, 7), sh(2, 3, 2), sh(2, 2, 2), sh(1, 1, 0), true, include);
        }
        lpPool(add, sh(2, 3, 7, 9), 2f, sh(3, 3), sh(2, 2), false);
        lpPool(add, sh(3, 2, 10), 2f, sh(3), sh(2), true);

        DiffOp gmax = new DiffOp("NDArrayEx.globalMaxPool", "ex.globalMaxPool()", EXACT,
                c -> c.a().getNDArrayInternal().globalMaxPool());
        DiffOp gavg = new DiffOp("NDArrayEx.globalAvgPool", "ex.globalAvgPool()", ACCUMULATE,
                c -> c.a().getNDArrayInternal().globalAvgPool());
        DiffOp glp = new DiffOp("NDArrayEx.globalLpPool", "ex.globalLpPool(2)", TRANSCENDENTAL,
                c -> c.a().getNDArrayInternal().globalLpPool(2f));
        for (Shape x : List.of(sh(2, 3, 5, 7), sh(3, 2, 4, 3, 5), sh(1, 4, 9))) {
            add.add(gmax, FLOATS, name(x), t -> new Operand[] {rnd(t, x)});
            if (x.dimension() != 3) {
                add.add(gavg, FLOATS, name(x), t -> new Operand[] {rnd(t, x)});
            }
        }
        add.add(glp, List.of(DataType.FLOAT32, DataType.FLOAT64), "(2,3,5,7)", t -> new Operand[] {rnd(t, sh(2, 3, 5, 7))});

        List<DataType> images = new ArrayList<>(FLOATS);
        images.add(DataType.UINT8);
        resize(add, sh(5, 7, 3), 14, 10, 0, images);
        resize(add, sh(2, 5, 7, 3), 5, 3, 0, images);
        resize(add, sh(5, 7, 3), 9, 11, 1, FLOATS);
        resize(add, sh(2, 5, 7, 3), 4, 3, 1, FLOATS);
        resize(add, sh(4, 6, 1), 12, 8, 1, images);
    }
}
