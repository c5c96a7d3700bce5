/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration;

import static ai.djl.batchinvariant.integration.CrossEngine.assertClose;
import static ai.djl.batchinvariant.integration.CrossEngine.data;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Each NDArray operation the engine implements, on identical inputs, against DJL's PyTorch engine
 * (CPU). Tolerances: 1e-5 relative for plain arithmetic and reductions, 1e-5 relative + 1e-6
 * absolute where float32 accumulation order differs, 1e-6 absolute for transcendental functions.
 */
class CrossEngineOpsTest {

    private static NDManager ours;
    private static NDManager torch;

    @BeforeAll
    static void setUp() {
        ours = Engine.getEngine("BatchInvariant").newBaseManager();
        torch = Engine.getEngine("PyTorch").newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        ours.close();
        torch.close();
    }

    static final class Op {
        final String name;
        final Function<NDManager, NDArray> f;
        final double rtol;
        final double atol;

        Op(String name, double rtol, double atol, Function<NDManager, NDArray> f) {
            this.name = name;
            this.f = f;
            this.rtol = rtol;
            this.atol = atol;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Op> ops() {
        List<Op> ops = new ArrayList<>();
        double e = 1e-5;
        ops.add(new Op("add broadcast", e, 0, m -> data(m, 1, 1, 4, 1, 5).add(data(m, 2, 1, 3, 1))));
        ops.add(new Op("sub broadcast", e, 0, m -> data(m, 1, 1, 4, 3, 5).sub(data(m, 2, 1, 5))));
        ops.add(new Op("mul broadcast", e, 0, m -> data(m, 1, 1, 2, 3, 5).mul(data(m, 2, 1, 2, 1, 5))));
        ops.add(new Op("div", e, 0, m -> data(m, 1, 1, 6, 5).div(data(m, 2, 1, 6, 5).abs().add(0.5f))));
        ops.add(new Op("scalar ops", e, 0, m -> data(m, 1, 1, 6, 5).mul(3f).add(1f).sub(0.5f).div(2f)));
        ops.add(new Op("in-place", e, 0, m -> {
            NDArray a = data(m, 1, 1, 6, 5);
            a.addi(data(m, 2, 1, 5));
            a.muli(2f);
            a.subi(data(m, 3, 1, 6, 1));
            a.divi(3f);
            return a;
        }));
        ops.add(new Op("matMul 2d", e, 1e-5, m -> data(m, 1, 1, 7, 33).matMul(data(m, 2, 1, 33, 9))));
        ops.add(new Op("matMul 3d", e, 1e-5, m -> data(m, 1, 1, 3, 7, 33).matMul(data(m, 2, 1, 3, 33, 9))));
        ops.add(new Op("matMul 4d", e, 1e-5, m -> data(m, 1, 1, 2, 3, 7, 16).matMul(data(m, 2, 1, 2, 3, 16, 5))));
        ops.add(new Op("matMul broadcast", e, 1e-5, m -> data(m, 1, 1, 2, 3, 7, 16).matMul(data(m, 2, 1, 16, 5))));
        ops.add(new Op("linear", e, 1e-5, m -> data(m, 1, 1, 2, 5, 24).getNDArrayInternal()
                        .linear(data(m, 1, 1, 2, 5, 24), data(m, 2, 1, 12, 24), data(m, 3, 1, 12)).head()));
        ops.add(new Op("embedding", 0, 0, m -> data(m, 1, 1, 10, 4).getNDArrayInternal()
                        .embedding(m.create(new long[] {3, 0, 9, 3}, new Shape(2, 2)), data(m, 1, 1, 10, 4), SparseFormat.DENSE).head()));
        ops.add(new Op("layerNorm", e, 1e-5, m -> data(m, 1, 2, 4, 32).getNDArrayInternal()
                .layerNorm(data(m, 1, 2, 4, 32), new Shape(32), data(m, 2, 1, 32), data(m, 3, 1, 32), 1e-5f).head()));
        ops.add(new Op("batchNorm inference", e, 1e-5, m -> data(m, 1, 1, 4, 6, 5).getNDArrayInternal()
                .batchNorm(data(m, 1, 1, 4, 6, 5), data(m, 2, 1, 6), data(m, 3, 1, 6).abs().add(0.1f),
                        data(m, 4, 1, 6), data(m, 5, 1, 6), 1, 0.9f, 1e-5f, false).head()));
        ops.add(new Op("softmax", e, 1e-7, m -> data(m, 1, 3, 4, 17).softmax(-1)));
        ops.add(new Op("softmax axis 0", e, 1e-7, m -> data(m, 1, 3, 4, 17).softmax(0)));
        ops.add(new Op("logSoftmax", e, 1e-6, m -> data(m, 1, 3, 4, 17).logSoftmax(1)));
        ops.add(new Op("relu", 0, 0, m -> Activation.relu(data(m, 1, 1, 50))));
        ops.add(new Op("gelu", e, 1e-6, m -> Activation.gelu(data(m, 1, 2, 50))));
        ops.add(new Op("tanh", e, 1e-6, m -> Activation.tanh(data(m, 1, 2, 50))));
        ops.add(new Op("sigmoid", e, 1e-6, m -> Activation.sigmoid(data(m, 1, 4, 50))));
        ops.add(new Op("swish", e, 1e-6, m -> Activation.swish(data(m, 1, 4, 50), 1.5f)));
        ops.add(new Op("exp log sqrt", e, 1e-6, m -> data(m, 1, 3, 50).exp().add(1f).log().sqrt()));
        ops.add(new Op("neg abs", 0, 0, m -> data(m, 1, 3, 50).neg().abs()));
        ops.add(new Op("sum axes", e, 1e-5, m -> data(m, 1, 1, 3, 4, 5).sum(new int[] {0, 2})));
        ops.add(new Op("sum keepDims", e, 1e-5, m -> data(m, 1, 1, 3, 4, 5).sum(new int[] {1}, true)));
        ops.add(new Op("mean", e, 1e-6, m -> data(m, 1, 1, 3, 4, 5).mean(new int[] {2})));
        ops.add(new Op("max axis", 0, 0, m -> data(m, 1, 1, 3, 4, 5).max(new int[] {1})));
        ops.add(new Op("argMax", 0, 0, m -> data(m, 1, 1, 3, 4, 5).argMax(2)));
        ops.add(new Op("topK values", 0, 0, m -> data(m, 1, 1, 3, 9).topK(4, 1).get(0)));
        ops.add(new Op("topK indices", 0, 0, m -> data(m, 1, 1, 3, 9).topK(4, 1).get(1)));
        ops.add(new Op("reshape transpose", 0, 0, m -> data(m, 1, 1, 2, 3, 4).reshape(4, 6).transpose().reshape(2, 2, 6).transpose(2, 0, 1)));
        ops.add(new Op("expandDims squeeze", 0, 0, m -> data(m, 1, 1, 3, 4).expandDims(1).expandDims(-1).squeeze(3)));
        ops.add(new Op("get slice", 0, 0, m -> data(m, 1, 1, 5, 6, 7).get(new NDIndex("1:4, ::2, -3:"))));
        ops.add(new Op("get index", 0, 0, m -> data(m, 1, 1, 5, 6, 7).get(new NDIndex("2, :, 1"))));
        ops.add(new Op("concat", 0, 0, m -> NDArrays.concat(new NDList(data(m, 1, 1, 2, 3), data(m, 2, 1, 4, 3)), 0)));
        ops.add(new Op("stack", 0, 0, m -> NDArrays.stack(new NDList(data(m, 1, 1, 2, 3), data(m, 2, 1, 2, 3)), 1)));
        ops.add(new Op("repeat", 0, 0, m -> data(m, 1, 1, 2, 3).repeat(1, 3)));
        ops.add(new Op("arange", 0, 0, m -> m.arange(0f, 10f, 0.5f)));
        ops.add(new Op("zeros ones full", 0, 0, m -> m.zeros(new Shape(2, 3)).add(m.ones(new Shape(3))).add(m.full(new Shape(2, 1), 2.5f))));
        ops.add(new Op("maximum minimum", 0, 0, m -> data(m, 1, 1, 4, 5).maximum(data(m, 2, 1, 5)).minimum(0.3f)));
        ops.add(new Op("comparisons", 0, 0, m -> data(m, 1, 1, 4, 5).gt(data(m, 2, 1, 4, 5)).toType(DataType.INT32, false)
                .add(data(m, 1, 1, 4, 5).lte(0f).toType(DataType.INT32, false))
                .add(data(m, 1, 1, 4, 5).eq(data(m, 1, 1, 4, 5)).toType(DataType.INT32, false))));
        ops.add(new Op("where", 0, 0, m -> NDArrays.where(data(m, 1, 1, 4, 5).gt(0f), data(m, 2, 1, 4, 5), data(m, 3, 1, 5))));
        ops.add(new Op("gatherNd", 0, 0, m -> data(m, 1, 1, 4, 5, 3).gatherNd(m.create(new long[] {0, 3, 1, 2, 4, 0}, new Shape(2, 3)))));
        ops.add(new Op("toType half", 0, 0, m -> data(m, 1, 1, 20).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false)));
        ops.add(new Op("dropout inference", 0, 0, m -> data(m, 1, 1, 20).getNDArrayInternal().dropout(data(m, 1, 1, 20), 0.5f, false).head()));
        return ops.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void matchesPyTorch(Op op) {
        try (NDManager a = ours.newSubManager();
                NDManager b = torch.newSubManager()) {
            assertClose(op.name, op.f.apply(a), op.f.apply(b), op.rtol, op.atol);
        }
    }
}
