/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * Every abstract operation of {@link NDArray}, each throwing an {@link
 * UnsupportedOperationException} that names the operation. The engine's array extends this class
 * and overrides what it implements, so that an operation it lacks fails loudly and by name instead
 * of silently delegating to another engine.
 *
 * <p>Generated from the DJL {@code NDArray} interface; keep it free of behaviour.
 */
@SuppressWarnings("PMD")
public abstract class UnsupportedNDArray implements NDArray {

    /**
     * Returns the exception thrown for an operation this engine does not implement.
     *
     * @param op the operation's name
     * @return the exception to throw
     */
    protected static UnsupportedOperationException unsupported(String op) {
        return new UnsupportedOperationException(
                "BatchInvariant engine does not support NDArray." + op + "()");
    }

    @Override
    public NDArray abs() {
        throw unsupported("abs");
    }
    @Override
    public NDArray acos() {
        throw unsupported("acos");
    }
    @Override
    public NDArray acosh() {
        throw unsupported("acosh");
    }
    @Override
    public NDArray add(Number p0) {
        throw unsupported("add");
    }
    @Override
    public NDArray add(NDArray p0) {
        throw unsupported("add");
    }
    @Override
    public NDArray addi(Number p0) {
        throw unsupported("addi");
    }
    @Override
    public NDArray addi(NDArray p0) {
        throw unsupported("addi");
    }
    @Override
    public NDArray argMax() {
        throw unsupported("argMax");
    }
    @Override
    public NDArray argMax(int p0) {
        throw unsupported("argMax");
    }
    @Override
    public NDArray argMin() {
        throw unsupported("argMin");
    }
    @Override
    public NDArray argMin(int p0) {
        throw unsupported("argMin");
    }
    @Override
    public NDArray argSort(int p0, boolean p1) {
        throw unsupported("argSort");
    }
    @Override
    public NDArray asin() {
        throw unsupported("asin");
    }
    @Override
    public NDArray asinh() {
        throw unsupported("asinh");
    }
    @Override
    public NDArray atan2(NDArray p0) {
        throw unsupported("atan2");
    }
    @Override
    public NDArray atan() {
        throw unsupported("atan");
    }
    @Override
    public NDArray atanh() {
        throw unsupported("atanh");
    }
    @Override
    public void attach(NDManager p0) {
        throw unsupported("attach");
    }
    @Override
    public NDArray batchDot(NDArray p0) {
        throw unsupported("batchDot");
    }
    @Override
    public NDArray batchMatMul(NDArray p0) {
        throw unsupported("batchMatMul");
    }
    @Override
    public NDArray booleanMask(NDArray p0, int p1) {
        throw unsupported("booleanMask");
    }
    @Override
    public NDArray broadcast(Shape p0) {
        throw unsupported("broadcast");
    }
    @Override
    public NDArray cbrt() {
        throw unsupported("cbrt");
    }
    @Override
    public NDArray ceil() {
        throw unsupported("ceil");
    }
    @Override
    public NDArray clip(Number p0, Number p1) {
        throw unsupported("clip");
    }
    @Override
    public void close() {
        throw unsupported("close");
    }
    @Override
    public NDArray complex() {
        throw unsupported("complex");
    }
    @Override
    public NDArray conj() {
        throw unsupported("conj");
    }
    @Override
    public boolean contentEquals(Number p0) {
        throw unsupported("contentEquals");
    }
    @Override
    public boolean contentEquals(NDArray p0) {
        throw unsupported("contentEquals");
    }
    @Override
    public NDArray cos() {
        throw unsupported("cos");
    }
    @Override
    public NDArray cosh() {
        throw unsupported("cosh");
    }
    @Override
    public NDArray cumProd(int p0, DataType p1) {
        throw unsupported("cumProd");
    }
    @Override
    public NDArray cumProd(int p0) {
        throw unsupported("cumProd");
    }
    @Override
    public NDArray cumSum() {
        throw unsupported("cumSum");
    }
    @Override
    public NDArray cumSum(int p0) {
        throw unsupported("cumSum");
    }
    @Override
    public void detach() {
        throw unsupported("detach");
    }
    @Override
    public NDArray diagonal() {
        throw unsupported("diagonal");
    }
    @Override
    public NDArray diagonal(int p0, int p1, int p2) {
        throw unsupported("diagonal");
    }
    @Override
    public NDArray diagonal(int p0) {
        throw unsupported("diagonal");
    }
    @Override
    public NDArray diff(int p0, int p1) {
        throw unsupported("diff");
    }
    @Override
    public NDArray div(Number p0) {
        throw unsupported("div");
    }
    @Override
    public NDArray div(NDArray p0) {
        throw unsupported("div");
    }
    @Override
    public NDArray divi(Number p0) {
        throw unsupported("divi");
    }
    @Override
    public NDArray divi(NDArray p0) {
        throw unsupported("divi");
    }
    @Override
    public NDArray dot(NDArray p0) {
        throw unsupported("dot");
    }
    @Override
    public NDArray eq(Number p0) {
        throw unsupported("eq");
    }
    @Override
    public NDArray eq(NDArray p0) {
        throw unsupported("eq");
    }
    @Override
    public NDArray erf() {
        throw unsupported("erf");
    }
    @Override
    public NDArray erfinv() {
        throw unsupported("erfinv");
    }
    @Override
    public NDArray exp() {
        throw unsupported("exp");
    }
    @Override
    public NDArray expandDims(int p0) {
        throw unsupported("expandDims");
    }
    @Override
    public NDArray fft2(long[] p0, long[] p1) {
        throw unsupported("fft2");
    }
    @Override
    public NDArray fft(long p0, long p1) {
        throw unsupported("fft");
    }
    @Override
    public NDArray flatten() {
        throw unsupported("flatten");
    }
    @Override
    public NDArray flatten(int p0, int p1) {
        throw unsupported("flatten");
    }
    @Override
    public NDArray flip(int... p0) {
        throw unsupported("flip");
    }
    @Override
    public NDArray floor() {
        throw unsupported("floor");
    }
    @Override
    public NDArray gammaln() {
        throw unsupported("gammaln");
    }
    @Override
    public NDArray gatherNd(NDArray p0) {
        throw unsupported("gatherNd");
    }
    @Override
    public NDArray gather(NDArray p0, int p1) {
        throw unsupported("gather");
    }
    @Override
    public DataType getDataType() {
        throw unsupported("getDataType");
    }
    @Override
    public Device getDevice() {
        throw unsupported("getDevice");
    }
    @Override
    public NDArray getGradient() {
        throw unsupported("getGradient");
    }
    @Override
    public NDManager getManager() {
        throw unsupported("getManager");
    }
    @Override
    public NDArrayEx getNDArrayInternal() {
        throw unsupported("getNDArrayInternal");
    }
    @Override
    public String getName() {
        throw unsupported("getName");
    }
    @Override
    public Shape getShape() {
        throw unsupported("getShape");
    }
    @Override
    public SparseFormat getSparseFormat() {
        throw unsupported("getSparseFormat");
    }
    @Override
    public String getUid() {
        throw unsupported("getUid");
    }
    @Override
    public NDArray gt(Number p0) {
        throw unsupported("gt");
    }
    @Override
    public NDArray gt(NDArray p0) {
        throw unsupported("gt");
    }
    @Override
    public NDArray gte(Number p0) {
        throw unsupported("gte");
    }
    @Override
    public NDArray gte(NDArray p0) {
        throw unsupported("gte");
    }
    @Override
    public boolean hasGradient() {
        throw unsupported("hasGradient");
    }
    @Override
    public NDArray ifft2(long[] p0, long[] p1) {
        throw unsupported("ifft2");
    }
    @Override
    public NDArray ifft(long p0, long p1) {
        throw unsupported("ifft");
    }
    @Override
    public void intern(NDArray p0) {
        throw unsupported("intern");
    }
    @Override
    public NDArray inverse() {
        throw unsupported("inverse");
    }
    @Override
    public NDArray irfft(long p0, long p1) {
        throw unsupported("irfft");
    }
    @Override
    public NDArray isInfinite() {
        throw unsupported("isInfinite");
    }
    @Override
    public NDArray isNaN() {
        throw unsupported("isNaN");
    }
    @Override
    public boolean isReleased() {
        throw unsupported("isReleased");
    }
    @Override
    public NDArray log10() {
        throw unsupported("log10");
    }
    @Override
    public NDArray log2() {
        throw unsupported("log2");
    }
    @Override
    public NDArray logSoftmax(int p0) {
        throw unsupported("logSoftmax");
    }
    @Override
    public NDArray log() {
        throw unsupported("log");
    }
    @Override
    public NDArray logicalAnd(NDArray p0) {
        throw unsupported("logicalAnd");
    }
    @Override
    public NDArray logicalNot() {
        throw unsupported("logicalNot");
    }
    @Override
    public NDArray logicalOr(NDArray p0) {
        throw unsupported("logicalOr");
    }
    @Override
    public NDArray logicalXor(NDArray p0) {
        throw unsupported("logicalXor");
    }
    @Override
    public NDArray lt(Number p0) {
        throw unsupported("lt");
    }
    @Override
    public NDArray lt(NDArray p0) {
        throw unsupported("lt");
    }
    @Override
    public NDArray lte(Number p0) {
        throw unsupported("lte");
    }
    @Override
    public NDArray lte(NDArray p0) {
        throw unsupported("lte");
    }
    @Override
    public NDArray matMul(NDArray p0) {
        throw unsupported("matMul");
    }
    @Override
    public NDArray max() {
        throw unsupported("max");
    }
    @Override
    public NDArray max(int[] p0, boolean p1) {
        throw unsupported("max");
    }
    @Override
    public NDArray maximum(Number p0) {
        throw unsupported("maximum");
    }
    @Override
    public NDArray maximum(NDArray p0) {
        throw unsupported("maximum");
    }
    @Override
    public NDArray mean() {
        throw unsupported("mean");
    }
    @Override
    public NDArray mean(int[] p0, boolean p1) {
        throw unsupported("mean");
    }
    @Override
    public NDArray median() {
        throw unsupported("median");
    }
    @Override
    public NDArray median(int[] p0) {
        throw unsupported("median");
    }
    @Override
    public NDArray min() {
        throw unsupported("min");
    }
    @Override
    public NDArray min(int[] p0, boolean p1) {
        throw unsupported("min");
    }
    @Override
    public NDArray minimum(Number p0) {
        throw unsupported("minimum");
    }
    @Override
    public NDArray minimum(NDArray p0) {
        throw unsupported("minimum");
    }
    @Override
    public NDArray mod(Number p0) {
        throw unsupported("mod");
    }
    @Override
    public NDArray mod(NDArray p0) {
        throw unsupported("mod");
    }
    @Override
    public NDArray modi(Number p0) {
        throw unsupported("modi");
    }
    @Override
    public NDArray modi(NDArray p0) {
        throw unsupported("modi");
    }
    @Override
    public NDArray mul(Number p0) {
        throw unsupported("mul");
    }
    @Override
    public NDArray mul(NDArray p0) {
        throw unsupported("mul");
    }
    @Override
    public NDArray muli(Number p0) {
        throw unsupported("muli");
    }
    @Override
    public NDArray muli(NDArray p0) {
        throw unsupported("muli");
    }
    @Override
    public NDArray neg() {
        throw unsupported("neg");
    }
    @Override
    public NDArray negi() {
        throw unsupported("negi");
    }
    @Override
    public NDArray neq(Number p0) {
        throw unsupported("neq");
    }
    @Override
    public NDArray neq(NDArray p0) {
        throw unsupported("neq");
    }
    @Override
    public NDArray nonzero() {
        throw unsupported("nonzero");
    }
    @Override
    public NDArray norm(boolean p0) {
        throw unsupported("norm");
    }
    @Override
    public NDArray norm(int p0, int[] p1, boolean p2) {
        throw unsupported("norm");
    }
    @Override
    public NDArray normalize(double p0, long p1, double p2) {
        throw unsupported("normalize");
    }
    @Override
    public NDArray oneHot(int p0, float p1, float p2, DataType p3) {
        throw unsupported("oneHot");
    }
    @Override
    public NDArray pad(Shape p0, double p1) {
        throw unsupported("pad");
    }
    @Override
    public NDArray percentile(Number p0, int[] p1) {
        throw unsupported("percentile");
    }
    @Override
    public NDArray percentile(Number p0) {
        throw unsupported("percentile");
    }
    @Override
    public NDArray pow(Number p0) {
        throw unsupported("pow");
    }
    @Override
    public NDArray pow(NDArray p0) {
        throw unsupported("pow");
    }
    @Override
    public NDArray powi(Number p0) {
        throw unsupported("powi");
    }
    @Override
    public NDArray powi(NDArray p0) {
        throw unsupported("powi");
    }
    @Override
    public NDArray prod() {
        throw unsupported("prod");
    }
    @Override
    public NDArray prod(int[] p0, boolean p1) {
        throw unsupported("prod");
    }
    @Override
    public NDArray put(NDArray p0, NDArray p1) {
        throw unsupported("put");
    }
    @Override
    public NDArray real() {
        throw unsupported("real");
    }
    @Override
    public NDArray repeat(long[] p0) {
        throw unsupported("repeat");
    }
    @Override
    public NDArray repeat(Shape p0) {
        throw unsupported("repeat");
    }
    @Override
    public NDArray repeat(int p0, long p1) {
        throw unsupported("repeat");
    }
    @Override
    public NDArray repeat(long p0) {
        throw unsupported("repeat");
    }
    @Override
    public NDArray reshape(Shape p0) {
        throw unsupported("reshape");
    }
    @Override
    public NDArray rfft(long p0, long p1) {
        throw unsupported("rfft");
    }
    @Override
    public NDArray rotate90(int p0, int[] p1) {
        throw unsupported("rotate90");
    }
    @Override
    public NDArray round() {
        throw unsupported("round");
    }
    @Override
    public NDArray scatter(NDArray p0, NDArray p1, int p2) {
        throw unsupported("scatter");
    }
    @Override
    public NDArray sequenceMask(NDArray p0, float p1) {
        throw unsupported("sequenceMask");
    }
    @Override
    public NDArray sequenceMask(NDArray p0) {
        throw unsupported("sequenceMask");
    }
    @Override
    public void setName(String p0) {
        throw unsupported("setName");
    }
    @Override
    public void setRequiresGradient(boolean p0) {
        throw unsupported("setRequiresGradient");
    }
    @Override
    public void set(Buffer p0) {
        throw unsupported("set");
    }
    @Override
    public NDArray sign() {
        throw unsupported("sign");
    }
    @Override
    public NDArray signi() {
        throw unsupported("signi");
    }
    @Override
    public NDArray sin() {
        throw unsupported("sin");
    }
    @Override
    public NDArray sinh() {
        throw unsupported("sinh");
    }
    @Override
    public NDArray softmax(int p0) {
        throw unsupported("softmax");
    }
    @Override
    public NDArray sort() {
        throw unsupported("sort");
    }
    @Override
    public NDArray sort(int p0) {
        throw unsupported("sort");
    }
    @Override
    public NDList split(long[] p0, int p1) {
        throw unsupported("split");
    }
    @Override
    public NDArray sqrt() {
        throw unsupported("sqrt");
    }
    @Override
    public NDArray square() {
        throw unsupported("square");
    }
    @Override
    public NDArray squeeze(int[] p0) {
        throw unsupported("squeeze");
    }
    @Override
    public NDArray stft(long p0, long p1, boolean p2, NDArray p3, boolean p4, boolean p5) {
        throw unsupported("stft");
    }
    @Override
    public NDArray stopGradient() {
        throw unsupported("stopGradient");
    }
    @Override
    public NDArray sub(Number p0) {
        throw unsupported("sub");
    }
    @Override
    public NDArray sub(NDArray p0) {
        throw unsupported("sub");
    }
    @Override
    public NDArray subi(Number p0) {
        throw unsupported("subi");
    }
    @Override
    public NDArray subi(NDArray p0) {
        throw unsupported("subi");
    }
    @Override
    public NDArray sum() {
        throw unsupported("sum");
    }
    @Override
    public NDArray sum(int[] p0, boolean p1) {
        throw unsupported("sum");
    }
    @Override
    public NDArray take(NDManager p0, NDArray p1) {
        throw unsupported("take");
    }
    @Override
    public NDArray tan() {
        throw unsupported("tan");
    }
    @Override
    public NDArray tanh() {
        throw unsupported("tanh");
    }
    @Override
    public void tempAttach(NDManager p0) {
        throw unsupported("tempAttach");
    }
    @Override
    public NDArray tile(long[] p0) {
        throw unsupported("tile");
    }
    @Override
    public NDArray tile(Shape p0) {
        throw unsupported("tile");
    }
    @Override
    public NDArray tile(int p0, long p1) {
        throw unsupported("tile");
    }
    @Override
    public NDArray tile(long p0) {
        throw unsupported("tile");
    }
    @Override
    public ByteBuffer toByteBuffer(boolean p0) {
        throw unsupported("toByteBuffer");
    }
    @Override
    public NDArray toDegrees() {
        throw unsupported("toDegrees");
    }
    @Override
    public NDArray toDense() {
        throw unsupported("toDense");
    }
    @Override
    public NDArray toDevice(Device p0, boolean p1) {
        throw unsupported("toDevice");
    }
    @Override
    public NDArray toRadians() {
        throw unsupported("toRadians");
    }
    @Override
    public NDArray toSparse(SparseFormat p0) {
        throw unsupported("toSparse");
    }
    @Override
    public String[] toStringArray(Charset p0) {
        throw unsupported("toStringArray");
    }
    @Override
    public NDArray toType(DataType p0, boolean p1) {
        throw unsupported("toType");
    }
    @Override
    public NDList topK(int p0, int p1, boolean p2, boolean p3) {
        throw unsupported("topK");
    }
    @Override
    public NDArray trace(int p0, int p1, int p2) {
        throw unsupported("trace");
    }
    @Override
    public NDArray transpose() {
        throw unsupported("transpose");
    }
    @Override
    public NDArray transpose(int... p0) {
        throw unsupported("transpose");
    }
    @Override
    public NDArray trunc() {
        throw unsupported("trunc");
    }
    @Override
    public NDList unique(Integer p0, boolean p1, boolean p2, boolean p3) {
        throw unsupported("unique");
    }
    @Override
    public NDArray xlogy(NDArray p0) {
        throw unsupported("xlogy");
    }
}
