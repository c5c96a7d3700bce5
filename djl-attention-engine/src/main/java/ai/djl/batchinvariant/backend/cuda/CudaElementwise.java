/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import ai.djl.batchinvariant.backend.BinaryOp;
import ai.djl.batchinvariant.backend.ElementwiseOps;
import ai.djl.batchinvariant.backend.OpChecks;
import ai.djl.batchinvariant.backend.TypeRules;
import ai.djl.batchinvariant.backend.UnaryOp;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi;
import ai.djl.batchinvariant.backend.cuda.abi.DataAbi.Elementwise;
import ai.djl.batchinvariant.backend.cuda.abi.Params;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.Strided;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Element-wise operations on a GPU ({@code kernels/src/elementwise.cu}), every storage type the
 * CPU backend holds: a contiguous kernel where the operands allow one ({@link ContiguousKernels}),
 * the strided kernel otherwise. Result types, refused inputs and the arithmetic type of each element come
 * from {@link TypeRules}, the rules the CPU backend applies, so exactly rounded operations give
 * the CPU's bits; see docs/contract.md for which operations may differ in the last ulps.
 */
public final class CudaElementwise implements ElementwiseOps {

    /** The shared instance. */
    public static final CudaElementwise INSTANCE = new CudaElementwise();

    private CudaElementwise() {}

    static int mode(TypeRules.Arith a) {
        switch (a) {
            case LONG:
                return DataAbi.MODE_LONG;
            case FLOAT:
                return DataAbi.MODE_FLOAT;
            default:
                return DataAbi.MODE_DOUBLE;
        }
    }

    /** The simplified iteration of one launch over {@code out}'s shape with operands a, b, c. */
    private static StridedArgs args(Tensor out, Tensor a, Tensor b, Tensor c, String what) {
        Shape s = out.getShape();
        long[] dims = s.getShape();
        return StridedArgs.of(dims, StridedArgs.broadcast(a.getShape(), s),
                b == null ? new long[dims.length] : StridedArgs.broadcast(b.getShape(), s),
                c == null ? new long[dims.length] : StridedArgs.broadcast(c.getShape(), s)).checkRank(what);
    }

    /** Starts the parameters of one launch over {@code out}'s shape with operands a, b, c. */
    private static Params params(Tensor out, int kind, int op, int mode, Tensor a, Tensor b, Tensor c, String what) {
        return params(args(out, a, b, c, what), out, kind, op, mode, a, b, c, what);
    }

    private static Params params(StridedArgs args, Tensor out, int kind, int op, int mode, Tensor a, Tensor b, Tensor c,
            String what) {
        CudaDevice device = CudaBackend.device(out);
        Shape s = out.getShape();
        DeviceMemory ma = Launch.on(device, a, what);
        DeviceMemory mb = b == null ? null : Launch.on(device, b, what);
        DeviceMemory mc = c == null ? null : Launch.on(device, c, what);
        device.await(device.getStream(), ma, mb, mc);
        return DataAbi.ELEMENTWISE.newParams()
                .ptr(Elementwise.A, ma.getPointer())
                .ptr(Elementwise.B, mb == null ? null : mb.getPointer())
                .ptr(Elementwise.C, mc == null ? null : mc.getPointer())
                .ptr(Elementwise.OUT, CudaBackend.memory(out).getPointer())
                .i64s(Elementwise.SHAPE, args.shape())
                .i64s(Elementwise.STRIDE_A, args.strides(0))
                .i64s(Elementwise.STRIDE_B, args.strides(1))
                .i64s(Elementwise.STRIDE_C, args.strides(2))
                .i64(Elementwise.N, s.size())
                .i32(Elementwise.RANK, args.rank())
                .i32(Elementwise.KIND, kind)
                .i32(Elementwise.OP, op)
                .i32(Elementwise.TYPE_A, DataAbi.dtypeCode(a.getDataType()))
                .i32(Elementwise.TYPE_B, DataAbi.dtypeCode(b == null ? a.getDataType() : b.getDataType()))
                .i32(Elementwise.TYPE_C, DataAbi.dtypeCode(c == null ? a.getDataType() : c.getDataType()))
                .i32(Elementwise.MODE, mode);
    }

    private static void run(Tensor out, Params p) {
        Launch.run(CudaBackend.device(out), DataAbi.MODULE_ELEMENTWISE, DataAbi.elementwiseKernel(out.getDataType()),
                p, out.getShape().size());
    }

    /** Runs a contiguous kernel (ContiguousKernels) if one applies, else the strided one. */
    private static void run(Tensor out, Params p, String contiguous, DataType in) {
        if (contiguous == null) {
            run(out, p);
            return;
        }
        Launch.run(CudaBackend.device(out), DataAbi.MODULE_ELEMENTWISE, contiguous, p,
                ContiguousKernels.items(in, out.getDataType(), out.getShape().size()));
    }

    /** {@inheritDoc} */
    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Shape shape = Strided.broadcast(a.getShape(), b.getShape());
        DataType compute = TypeRules.binaryCompute(op, a.getDataType(), b.getDataType());
        TypeRules.Arith arith = TypeRules.binaryArith(op, compute);
        CudaDevice device = CudaBackend.device(a);
        Tensor out = Launch.output(device, shape, op.isBoolean() ? DataType.BOOLEAN : compute);
        if (shape.size() == 0) {
            return out;
        }
        StridedArgs args = args(out, a, b, null, "NDArray." + op.opName());
        Params p = params(args, out, Elementwise.KIND_BINARY, op.ordinal(), mode(arith), a, b, null,
                "NDArray." + op.opName());
        // only integer floor division and modulo can fail: their zero divisor is reported through a flag
        boolean mayFail = arith == TypeRules.Arith.LONG && (op == BinaryOp.MOD || op == BinaryOp.DIV);
        DeviceMemory flag = mayFail ? Launch.flag(device, 0) : null;
        p.ptr(Elementwise.ERROR, flag == null ? null : flag.getPointer());
        run(out, p, ContiguousKernels.kernel(args, Elementwise.KIND_BINARY, null, a.getDataType(), b.getDataType(),
                out.getDataType(), mode(arith)), a.getDataType());
        if (flag != null && Launch.read(flag) != 0) {
            out.close();
            throw new EngineException("ZeroDivisionError");
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor unary(UnaryOp op, Tensor a) {
        TypeRules.checkUnary(op, a.getDataType());
        Tensor out = Launch.output(CudaBackend.device(a), a.getShape(), TypeRules.unaryResult(op, a.getDataType()));
        if (a.getShape().size() == 0) {
            return out;
        }
        int mode = mode(TypeRules.unaryArith(op, a.getDataType()));
        StridedArgs args = args(out, a, null, null, "NDArray." + op.opName());
        Params p = params(args, out, Elementwise.KIND_UNARY, op.ordinal(), mode, a, null, null,
                "NDArray." + op.opName());
        p.i32(Elementwise.FLAGS, TypeRules.geluInfIsNaN(op, a.getDataType(), a.getShape().size()) ? 1 : 0);
        run(out, p, ContiguousKernels.kernel(args, Elementwise.KIND_UNARY, op, a.getDataType(), null, out.getDataType(),
                mode), a.getDataType());
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor where(Tensor c, Tensor a, Tensor b) {
        Shape shape = Strided.broadcast(Strided.broadcast(c.getShape(), a.getShape()), b.getShape());
        DataType t = TypeRules.promote(a.getDataType(), b.getDataType());
        Tensor out = Launch.output(CudaBackend.device(a), shape, t);
        if (shape.size() > 0) {
            int mode = HostData.isFloating(t) ? DataAbi.MODE_DOUBLE : DataAbi.MODE_LONG;
            run(out, params(out, Elementwise.KIND_WHERE, 0, mode, a, b, c, "NDArray.where"));
        }
        return out;
    }

    private static Tensor activation(int kind, Tensor a, float alpha, String what) {
        boolean wide = a.getDataType() == DataType.FLOAT64;
        Tensor out = Launch.output(CudaBackend.device(a), a.getShape(), wide ? DataType.FLOAT64 : DataType.FLOAT32);
        if (a.getShape().size() > 0) {
            int mode = wide ? DataAbi.MODE_DOUBLE : DataAbi.MODE_FLOAT;
            StridedArgs args = args(out, a, null, null, what);
            Params p = params(args, out, kind, 0, mode, a, null, null, what);
            run(out, p.f32(Elementwise.ALPHA, alpha), ContiguousKernels.kernel(args, kind, null, a.getDataType(), null,
                    out.getDataType(), mode), a.getDataType());
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public Tensor leakyRelu(Tensor a, float alpha) {
        return activation(Elementwise.KIND_LEAKY_RELU, a, alpha, "NDArrayEx.leakyRelu");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor elu(Tensor a, float alpha) {
        return activation(Elementwise.KIND_ELU, a, alpha, "NDArrayEx.elu");
    }

    /** {@inheritDoc} */
    @Override
    public Tensor siluMul(Tensor x, int block) {
        Shape os = OpChecks.siluMulShape(x.getShape(), x.getDataType(), block);
        CudaDevice device = CudaBackend.device(x);
        long n = os.size();
        DeviceMemory out = Launch.memory(device, n * x.getDataType().getNumOfBytes());
        if (n > 0) {
            DeviceMemory mx = Launch.on(device, x, "siluMul");
            device.await(device.getStream(), mx);
            Params p = DataAbi.ELEMENTWISE.newParams()
                    .ptr(Elementwise.A, mx.getPointer())
                    .ptr(Elementwise.OUT, out.getPointer())
                    .i64s(Elementwise.SHAPE, new long[] {os.get(os.dimension() - 1), block})
                    .i64(Elementwise.N, n)
                    .i32(Elementwise.RANK, 1)
                    .i32(Elementwise.TYPE_A, DataAbi.dtypeCode(x.getDataType()));
            // the kernel's vector path where blocks are whole chunks (launched a thread an element,
            // seven in eight threads of a 16-bit gate had nothing to do)
            int vec = 16 / x.getDataType().getNumOfBytes();
            long items = block % vec == 0 ? gateThreads((n + vec - 1) / vec, device.getSmCount()) : n;
            Launch.run(device, DataAbi.MODULE_ELEMENTWISE, DataAbi.siluMulKernel(x.getDataType()), p, items);
        }
        return Tensor.device(os, x.getDataType(), out);
    }

    /** Chunks a thread of the gate's vector path takes at once (GATE_CHUNKS in elementwise.cu). */
    static final int GATE_CHUNKS = 2;

    /**
     * Threads for the gate's vector path over {@code chunks} 16-byte chunks: one a chunk while that
     * does not fill the device's resident threads twice over, else one per {@value #GATE_CHUNKS}
     * chunks, which the kernel loads together. The grid never shows in the bits (each output's
     * arithmetic is fixed), only in the speed.
     *
     * @param chunks the output's 16-byte chunks
     * @param sms the device's multiprocessors
     * @return the threads to launch
     */
    static long gateThreads(long chunks, int sms) {
        long resident = 2048L * sms;
        return chunks >= GATE_CHUNKS * resident ? (chunks + GATE_CHUNKS - 1) / GATE_CHUNKS : chunks;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads one flag back from the device: the answer is a host boolean.
     */
    @Override
    public boolean allEqual(Tensor a, double value) {
        long n = a.getShape().size();
        if (n == 0) {
            return true;
        }
        CudaDevice device = CudaBackend.device(a);
        DeviceMemory flag = Launch.flag(device, 0);
        StridedArgs args = StridedArgs.of(a.getShape().getShape(), StridedArgs.contiguous(a.getShape().getShape()));
        DeviceMemory ma = Launch.on(device, a, "NDArray.contentEquals");
        device.await(device.getStream(), ma);
        Params p = DataAbi.ELEMENTWISE.newParams()
                .ptr(Elementwise.A, ma.getPointer())
                .ptr(Elementwise.ERROR, flag.getPointer())
                .i64s(Elementwise.SHAPE, args.shape())
                .i64s(Elementwise.STRIDE_A, args.strides(0))
                .i64(Elementwise.N, n)
                .i64(Elementwise.VALUE_BITS, Double.doubleToRawLongBits(value))
                .i32(Elementwise.RANK, args.rank())
                .i32(Elementwise.KIND, Elementwise.KIND_ALL_EQUAL)
                .i32(Elementwise.TYPE_A, DataAbi.dtypeCode(a.getDataType()))
                .i32(Elementwise.MODE, DataAbi.MODE_DOUBLE);
        Launch.run(device, DataAbi.MODULE_ELEMENTWISE, DataAbi.elementwiseKernel(DataType.FLOAT32), p, n);
        return Launch.read(flag) == 0;
    }
}
