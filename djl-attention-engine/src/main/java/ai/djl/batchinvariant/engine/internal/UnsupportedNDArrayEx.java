/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDArrayIndexer;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.recurrent.RNN;

import java.util.List;

/**
 * Every abstract operation of {@link NDArrayEx}, each throwing an {@link
 * UnsupportedOperationException} that names the operation; the engine's {@code NDArrayEx}
 * overrides what it implements.
 *
 * <p>Generated from the DJL {@code NDArrayEx} interface; keep it free of behaviour.
 */
@SuppressWarnings("PMD")
public abstract class UnsupportedNDArrayEx implements NDArrayEx {

    /**
     * Returns the exception thrown for an operation this engine does not implement.
     *
     * @param op the operation's name
     * @return the exception to throw
     */
    protected static UnsupportedOperationException unsupported(String op) {
        return new UnsupportedOperationException(
                "BatchInvariant engine does not support NDArrayEx." + op + "()");
    }

    @Override
    public void adadeltaUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6) {
        throw unsupported("adadeltaUpdate");
    }
    @Override
    public void adagradUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6) {
        throw unsupported("adagradUpdate");
    }
    @Override
    public void adamUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8, float p9, boolean p10, boolean p11) {
        throw unsupported("adamUpdate");
    }
    @Override
    public NDArray avgPool(Shape p0, Shape p1, Shape p2, boolean p3, boolean p4) {
        throw unsupported("avgPool");
    }
    @Override
    public NDList batchNorm(NDArray p0, NDArray p1, NDArray p2, NDArray p3, NDArray p4, int p5, float p6, float p7, boolean p8) {
        throw unsupported("batchNorm");
    }
    @Override
    public NDArray concat(NDList p0, int p1) {
        throw unsupported("concat");
    }
    @Override
    public NDList convolution(NDArray p0, NDArray p1, NDArray p2, Shape p3, Shape p4, Shape p5, int p6) {
        throw unsupported("convolution");
    }
    @Override
    public NDList deconvolution(NDArray p0, NDArray p1, NDArray p2, Shape p3, Shape p4, Shape p5, Shape p6, int p7) {
        throw unsupported("deconvolution");
    }
    @Override
    public NDList dropout(NDArray p0, float p1, boolean p2) {
        throw unsupported("dropout");
    }
    @Override
    public NDArray elu(float p0) {
        throw unsupported("elu");
    }
    @Override
    public NDList embedding(NDArray p0, NDArray p1, SparseFormat p2) {
        throw unsupported("embedding");
    }
    @Override
    public NDArray gelu() {
        throw unsupported("gelu");
    }
    @Override
    public NDArray getArray() {
        throw unsupported("getArray");
    }
    @Override
    public NDArrayIndexer getIndexer(NDManager p0) {
        throw unsupported("getIndexer");
    }
    @Override
    public NDArray globalAvgPool() {
        throw unsupported("globalAvgPool");
    }
    @Override
    public NDArray globalLpPool(float p0) {
        throw unsupported("globalLpPool");
    }
    @Override
    public NDArray globalMaxPool() {
        throw unsupported("globalMaxPool");
    }
    @Override
    public NDList gru(NDArray p0, NDArray p1, NDList p2, boolean p3, int p4, double p5, boolean p6, boolean p7, boolean p8) {
        throw unsupported("gru");
    }
    @Override
    public NDArray interpolation(long[] p0, int p1, boolean p2) {
        throw unsupported("interpolation");
    }
    @Override
    public NDList layerNorm(NDArray p0, Shape p1, NDArray p2, NDArray p3, float p4) {
        throw unsupported("layerNorm");
    }
    @Override
    public NDArray leakyRelu(float p0) {
        throw unsupported("leakyRelu");
    }
    @Override
    public NDList linear(NDArray p0, NDArray p1, NDArray p2) {
        throw unsupported("linear");
    }
    @Override
    public NDArray lpPool(float p0, Shape p1, Shape p2, Shape p3, boolean p4) {
        throw unsupported("lpPool");
    }
    @Override
    public NDList lstm(NDArray p0, NDList p1, NDList p2, boolean p3, int p4, double p5, boolean p6, boolean p7, boolean p8) {
        throw unsupported("lstm");
    }
    @Override
    public NDArray maxPool(Shape p0, Shape p1, Shape p2, boolean p3) {
        throw unsupported("maxPool");
    }
    @Override
    public NDList multiBoxDetection(NDList p0, boolean p1, float p2, int p3, float p4, boolean p5, int p6) {
        throw unsupported("multiBoxDetection");
    }
    @Override
    public NDList multiBoxPrior(List<Float> p0, List<Float> p1, List<Float> p2, List<Float> p3, boolean p4) {
        throw unsupported("multiBoxPrior");
    }
    @Override
    public NDList multiBoxTarget(NDList p0, float p1, float p2, float p3, float p4, int p5) {
        throw unsupported("multiBoxTarget");
    }
    @Override
    public void nagUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6) {
        throw unsupported("nagUpdate");
    }
    @Override
    public NDList prelu(NDArray p0, NDArray p1) {
        throw unsupported("prelu");
    }
    @Override
    public NDArray randomBrightness(float p0) {
        throw unsupported("randomBrightness");
    }
    @Override
    public NDArray randomColorJitter(float p0, float p1, float p2, float p3) {
        throw unsupported("randomColorJitter");
    }
    @Override
    public NDArray randomFlipLeftRight() {
        throw unsupported("randomFlipLeftRight");
    }
    @Override
    public NDArray randomFlipTopBottom() {
        throw unsupported("randomFlipTopBottom");
    }
    @Override
    public NDArray randomHue(float p0) {
        throw unsupported("randomHue");
    }
    @Override
    public NDArray rdivi(NDArray p0) {
        throw unsupported("rdivi");
    }
    @Override
    public NDArray relu() {
        throw unsupported("relu");
    }
    @Override
    public NDArray resize(int p0, int p1, int p2) {
        throw unsupported("resize");
    }
    @Override
    public NDArray rmodi(NDArray p0) {
        throw unsupported("rmodi");
    }
    @Override
    public void rmspropUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8, boolean p9) {
        throw unsupported("rmspropUpdate");
    }
    @Override
    public NDList rnn(NDArray p0, NDArray p1, NDList p2, boolean p3, int p4, RNN.Activation p5, double p6, boolean p7, boolean p8, boolean p9) {
        throw unsupported("rnn");
    }
    @Override
    public NDArray rpowi(Number p0) {
        throw unsupported("rpowi");
    }
    @Override
    public NDArray selu() {
        throw unsupported("selu");
    }
    @Override
    public void sgdUpdate(NDList p0, NDList p1, float p2, float p3, float p4, float p5, float p6, boolean p7) {
        throw unsupported("sgdUpdate");
    }
    @Override
    public NDArray sigmoid() {
        throw unsupported("sigmoid");
    }
    @Override
    public NDArray softPlus() {
        throw unsupported("softPlus");
    }
    @Override
    public NDArray softSign() {
        throw unsupported("softSign");
    }
    @Override
    public NDArray stack(NDList p0, int p1) {
        throw unsupported("stack");
    }
    @Override
    public NDArray tanh() {
        throw unsupported("tanh");
    }
    @Override
    public NDArray where(NDArray p0, NDArray p1) {
        throw unsupported("where");
    }
}
