/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;

/**
 * Matrix products. Every output element sums over the inner dimension in increasing order, one
 * accumulator, whatever the number of rows. A backend without a kernel refuses by name.
 */
public interface LinalgOps {

    /**
     * Matrix product with numpy semantics (vectors promoted, batch dimensions broadcast).
     *
     * @param a the left operand
     * @param b the right operand
     * @return new storage
     */
    default Tensor matMul(Tensor a, Tensor b) {
        throw Unsupported.op("NDArray.matMul", a.getDevice());
    }

    /**
     * Batched matrix product of two 3-D arrays with equal batch size (no broadcasting, no vectors),
     * as PyTorch's bmm.
     *
     * @param a the left operand (b, m, k)
     * @param b the right operand (b, k, n)
     * @return new storage (b, m, n)
     */
    default Tensor batchMatMul(Tensor a, Tensor b) {
        throw Unsupported.op("NDArray.batchMatMul", a.getDevice());
    }

    /**
     * {@code y = x Wᵀ + b} over the last dimension of {@code x}; the caller has checked that the
     * shapes agree.
     *
     * @param x input (..., k)
     * @param w weight (n, k)
     * @param b bias (n) or null
     * @return output (..., n)
     */
    default Tensor linear(Tensor x, Tensor w, Tensor b) {
        throw Unsupported.op("NDArrayEx.linear", x.getDevice());
    }

    /**
     * A SwiGLU layer's gate and up projections and its gate in one call: {@code siluMul(linear(x,
     * w, null), 8)}, with the bits of those two ops, where w's rows hold the gate's and the up
     * projection's rows in alternating blocks of 8. A backend may fuse the gate into the product's
     * store.
     *
     * @param x input (..., k)
     * @param w weight (2h, k), h a multiple of 8
     * @return output (..., h)
     */
    default Tensor linearSiluMul(Tensor x, Tensor w) {
        throw Unsupported.op("linearSiluMul", x.getDevice());
    }
}
