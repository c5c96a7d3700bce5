/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend;

import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.Shape;

/**
 * Convolutions, pooling and image resizing over inputs laid out {@code (N, C, *spatial)} with 1 to
 * 3 spatial axes (resize: {@code (H, W, C)} or {@code (N, H, W, C)}), with the argument meanings of
 * DJL's {@code NDArrayEx}. Every output element is computed from its own sample only, its sum
 * running over (input channel, kernel offsets) in one fixed order, so no result depends on the
 * batch size. A backend without a kernel refuses by name.
 */
public interface ConvPoolOps {

    /**
     * Convolution (cross-correlation, as PyTorch's {@code conv1d/2d/3d}).
     *
     * @param x input (N, C, *S)
     * @param w weight (O, C / groups, *K)
     * @param b bias (O) or null
     * @param stride one per spatial axis
     * @param padding one per spatial axis, zeros on both sides
     * @param dilation one per spatial axis
     * @param groups the number of channel groups
     * @return output (N, O, *S')
     */
    default Tensor convolution(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape dilation, int groups) {
        throw Unsupported.op("NDArrayEx.convolution", x.getDevice());
    }

    /**
     * Transposed convolution (PyTorch's {@code conv_transpose1d/2d/3d}).
     *
     * @param x input (N, C, *S)
     * @param w weight (C, O / groups, *K)
     * @param b bias (O) or null
     * @param stride one per spatial axis
     * @param padding one per spatial axis
     * @param outPadding extra size on the high side of each spatial axis
     * @param dilation one per spatial axis
     * @param groups the number of channel groups
     * @return output (N, O, *S')
     */
    default Tensor deconvolution(Tensor x, Tensor w, Tensor b, Shape stride, Shape padding, Shape outPadding,
            Shape dilation, int groups) {
        throw Unsupported.op("NDArrayEx.deconvolution", x.getDevice());
    }

    /**
     * Max pooling; padded positions never win; NaN propagates.
     *
     * @param x input (N, C, *S)
     * @param kernel one per spatial axis
     * @param stride one per spatial axis
     * @param padding one per spatial axis
     * @param ceilMode round the output size up
     * @return output (N, C, *S')
     */
    default Tensor maxPool(Tensor x, Shape kernel, Shape stride, Shape padding, boolean ceilMode) {
        throw Unsupported.op("NDArrayEx.maxPool", x.getDevice());
    }

    /**
     * Average pooling.
     *
     * @param x input (N, C, *S)
     * @param kernel one per spatial axis
     * @param stride one per spatial axis
     * @param padding one per spatial axis
     * @param ceilMode round the output size up
     * @param countIncludePad divide by the window size including padding (not past the padded edge)
     * @return output (N, C, *S')
     */
    default Tensor avgPool(Tensor x, Shape kernel, Shape stride, Shape padding, boolean ceilMode,
            boolean countIncludePad) {
        throw Unsupported.op("NDArrayEx.avgPool", x.getDevice());
    }

    /**
     * Power-average pooling without padding: {@code (sum x^p * K / count)^(1/p)}, as PyTorch's {@code
     * lp_pool}.
     *
     * @param x input (N, C, *S)
     * @param normType p
     * @param kernel one per spatial axis
     * @param stride one per spatial axis
     * @param ceilMode round the output size up
     * @return output (N, C, *S')
     */
    default Tensor lpPool(Tensor x, float normType, Shape kernel, Shape stride, boolean ceilMode) {
        throw Unsupported.op("NDArrayEx.lpPool", x.getDevice());
    }

    /**
     * Pools every spatial position of each (sample, channel).
     *
     * @param x input (N, C, *S)
     * @param max true for the maximum, false for the mean
     * @return output (N, C)
     */
    default Tensor globalPool(Tensor x, boolean max) {
        throw Unsupported.op(max ? "NDArrayEx.globalMaxPool" : "NDArrayEx.globalAvgPool", x.getDevice());
    }

    /**
     * Resizes images as DJL's PyTorch engine does (float32 arithmetic, corners not aligned, the
     * result converted back to the input type).
     *
     * @param x images (H, W, C) or (N, H, W, C)
     * @param width the new width
     * @param height the new height
     * @param interpolation 0 nearest, 1 bilinear
     * @return the resized images
     */
    default Tensor resize(Tensor x, int width, int height, int interpolation) {
        throw Unsupported.op("NDArrayEx.resize", x.getDevice());
    }
}
