/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CPU;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.CUDA;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.TYPES;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.bits;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.both;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.data;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.down;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.report;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.show;
import static ai.djl.batchinvariant.backend.cuda.GpuCompare.up;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
/**
 * The contiguous element-wise kernels (same-shape operands, or one a single value) on arrays of
 * many 16-byte chunks and a partial tail, every op and type against the CPU backend: its bits for
 * the exactly rounded operations, a few ulps for the transcendental ones, the same exception for
 * refused inputs. GpuElementwiseTest covers the small and broadcast shapes.
 */
@Tag("gpu")
class GpuContiguousElementwiseTest {

    /** Several blocks of chunks and a tail that no vector width divides. */
    private static final Shape BIG = new Shape(3, 4099);

    @BeforeAll
    static void gpu() {
        GpuCompare.requireGpu();
    }

    /**
     * The SwiGLU gate on a grid of three blocks, where each thread carries its row and chunk
     * across many grid steps, gives the bits of the full grid's one step a thread: gate and up in
     * blocks of 8 and in halves, rows not a power of two.
     */
    @Test
    void gateOnAFewBlocksGivesTheFullGridsBits() {
        long seed = 880;
        for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16}) {
            for (int block : new int[] {8, 2056}) {
                Tensor gx = up(data(new Shape(37, 2 * 2056), t, seed++));
                Tensor full = CUDA.elementwise().siluMul(gx, block);
                Tensor few;
                try {
                    Launch.maxBlocksOverride = 3;
                    few = CUDA.elementwise().siluMul(gx, block);
                } finally {
                    Launch.maxBlocksOverride = 0;
                }
                // down() downloads and closes the device tensors
                Tensor a = down(full);
                Tensor b = down(few);
                for (int i = 0; i < a.getShape().size(); i++) {
                    if (bits(a, i) != bits(b, i)) {
                        throw new AssertionError("siluMul " + t + " block " + block + ": element " + i + " differs");
                    }
                }
                gx.close();
            }
        }
    }

    @Test
    void binaryOpsOnLongArraysMatchTheCpu() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 900;
        for (DataType t : TYPES) {
            Tensor a = data(BIG, t, seed++);
            Tensor b = data(BIG, t, seed++);
            Tensor s = data(new Shape(), t, seed++);
            Tensor ga = up(a);
            Tensor gb = up(b);
            Tensor gs = up(s);
            Tensor[][] pairs = {{a, b, ga, gb}, {a, s, ga, gs}, {s, b, gs, gb}};
            for (Tensor[] p : pairs) {
                for (BinaryOp op : BinaryOp.values()) {
                    boolean exact = op != BinaryOp.POW || !HostData.isFloating(t);
                    DataType out = op.isBoolean() ? DataType.BOOLEAN : t;
                    both(failures, op + "(" + t + " " + p[0].getShape() + ", " + p[1].getShape() + ")",
                        () -> CPU.elementwise().binary(op, p[0], p[1]), () -> CUDA.elementwise().binary(op, p[2], p[3]),
                        GpuElementwiseTest.tolerance(exact, out), () -> show(p[0], p[1]));
                    cases++;
                }
            }
            ga.close();
            gb.close();
            gs.close();
        }
        report(failures, cases);
    }

    @Test
    void unaryOpsAndActivationsOnLongArraysMatchTheCpu() {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long seed = 950;
        for (DataType t : TYPES) {
            Tensor a = data(BIG, t, seed++);
            Tensor ga = up(a);
            for (UnaryOp op : UnaryOp.values()) {
                both(failures, op + "(" + t + ")", () -> CPU.elementwise().unary(op, a),
                        () -> CUDA.elementwise().unary(op, ga),
                        GpuElementwiseTest.tolerance(!GpuElementwiseTest.TRANSCENDENTAL.contains(op), t), () -> show(a));
                cases++;
            }
            for (float alpha : new float[] {0.01f, 1.5f}) {
                both(failures, "leakyRelu(" + t + ")", () -> CPU.elementwise().leakyRelu(a, alpha),
                        () -> CUDA.elementwise().leakyRelu(ga, alpha), 0, () -> show(a));
                both(failures, "elu(" + t + ")", () -> CPU.elementwise().elu(a, alpha),
                        () -> CUDA.elementwise().elu(ga, alpha), 16, () -> show(a));
                cases += 2;
            }
            ga.close();
        }
        report(failures, cases);
    }
}
