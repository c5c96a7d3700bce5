/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The checked shapes of a matrix product with numpy semantics (vectors promoted to a row or a
 * column, batch axes broadcast), shared by every backend so they refuse the same arguments with
 * the same words and agree on the result's shape.
 */
public final class MatMulShape {

    /** Rows of each left matrix. */
    public final int m;
    /** The reduction length. */
    public final int k;
    /** Columns of each right matrix. */
    public final int n;
    /** The left operand's batch axes (its shape without the last two). */
    public final Shape batchA;
    /** The right operand's batch axes. */
    public final Shape batchB;
    /** The broadcast batch shape. */
    public final Shape batch;
    /** The result's shape (promoted vector axes dropped again). */
    public final Shape out;

    private MatMulShape(int m, int k, int n, Shape batchA, Shape batchB, Shape batch, Shape out) {
        this.m = m;
        this.k = k;
        this.n = n;
        this.batchA = batchA;
        this.batchB = batchB;
        this.batch = batch;
        this.out = out;
    }

    /**
     * Checks a product's operand shapes.
     *
     * @param as the left shape, rank 1 or more
     * @param bs the right shape, rank 1 or more
     * @return the geometry
     * @throws IllegalArgumentException for a rank-0 operand or disagreeing inner dimensions
     */
    public static MatMulShape of(Shape as, Shape bs) {
        if (as.dimension() == 0 || bs.dimension() == 0) {
            throw new IllegalArgumentException("matMul needs arrays of rank >= 1, got " + as + " and " + bs);
        }
        boolean aVec = as.dimension() == 1;
        boolean bVec = bs.dimension() == 1;
        Shape a2 = aVec ? new Shape(1, as.get(0)) : as;
        Shape b2 = bVec ? new Shape(bs.get(0), 1) : bs;
        int m = (int) a2.get(a2.dimension() - 2);
        int k = (int) a2.get(a2.dimension() - 1);
        int n = (int) b2.get(b2.dimension() - 1);
        if (k != b2.get(b2.dimension() - 2)) {
            throw new IllegalArgumentException("matMul shapes " + as + " and " + bs + " do not agree on the inner dimension");
        }
        Shape batchA = a2.slice(0, a2.dimension() - 2);
        Shape batchB = b2.slice(0, b2.dimension() - 2);
        Shape batch = Strided.broadcast(batchA, batchB);
        List<Long> dims = new ArrayList<>();
        for (long d : batch.getShape()) {
            dims.add(d);
        }
        if (!aVec) {
            dims.add((long) m);
        }
        if (!bVec) {
            dims.add((long) n);
        }
        return new MatMulShape(m, k, n, batchA, batchB, batch, new Shape(dims));
    }

    /**
     * Checks the operands of a batched product of two 3-D arrays (PyTorch's bmm: equal batch, no
     * broadcasting, no vectors).
     *
     * @param as the left shape (b, m, k)
     * @param bs the right shape (b, k, n)
     * @throws IllegalArgumentException if they are not such a pair
     */
    public static void checkBatched(Shape as, Shape bs) {
        if (as.dimension() != 3 || bs.dimension() != 3) {
            throw new IllegalArgumentException("batchMatMul needs two 3-D arrays, got " + as + " and " + bs);
        }
        if (as.get(0) != bs.get(0) || as.get(2) != bs.get(1)) {
            throw new IllegalArgumentException("batchMatMul shapes " + as + " and " + bs
                    + " need an equal batch and agreeing inner dimensions");
        }
    }
}
