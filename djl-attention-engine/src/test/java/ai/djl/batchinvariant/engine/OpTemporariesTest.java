/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.batchinvariant.testing.EngineTestBase;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * An operation leaves nothing in the caller's manager but its result: an intermediate array or
 * view it made and forgot would keep its storage (and often an input's) until the manager closes,
 * which for a model's manager is its whole life. Each case runs one operation on two fresh
 * arrays in a sub-manager and counts what else the manager holds.
 */
class OpTemporariesTest extends EngineTestBase {

    private static Arguments op(String name, BiFunction<NDArray, NDArray, Object> f) {
        return Arguments.of(name, f);
    }

    /** Applies f to an intermediate the case itself made, then closes that. */
    private static Object with(NDArray tmp, java.util.function.Function<NDArray, Object> f) {
        try {
            return f.apply(tmp);
        } finally {
            tmp.close();
        }
    }

    static Stream<Arguments> ops() {
        List<Arguments> l = new ArrayList<>();
        l.add(op("add", NDArray::add));
        l.add(op("sub", NDArray::sub));
        l.add(op("mul", NDArray::mul));
        l.add(op("div", NDArray::div));
        l.add(op("pow", NDArray::pow));
        l.add(op("maximum", NDArray::maximum));
        l.add(op("eq", NDArray::eq));
        l.add(op("where", (x, y) -> with(x.gt(0), c -> NDArrays.where(c, x, y))));
        l.add(op("matMul", (x, y) -> with(y.transpose(), t -> x.matMul(t))));
        l.add(op("dot", (x, y) -> with(y.transpose(), t -> x.dot(t))));
        l.add(op("stack", (x, y) -> x.stack(y, 1)));
        l.add(op("concat", (x, y) -> x.concat(y, 0)));
        l.add(op("neg", (x, y) -> x.neg()));
        l.add(op("abs", (x, y) -> x.abs()));
        l.add(op("exp", (x, y) -> x.exp()));
        l.add(op("sqrt", (x, y) -> with(x.abs(), NDArray::sqrt)));
        l.add(op("tanh", (x, y) -> x.tanh()));
        l.add(op("softSign", (x, y) -> x.getNDArrayInternal().softSign()));
        l.add(op("selu", (x, y) -> x.getNDArrayInternal().selu()));
        l.add(op("softmax", (x, y) -> x.softmax(-1)));
        l.add(op("logSoftmax", (x, y) -> x.logSoftmax(-1)));
        l.add(op("sum", (x, y) -> x.sum()));
        l.add(op("sum axis", (x, y) -> x.sum(new int[] {1})));
        l.add(op("mean", (x, y) -> x.mean(new int[] {0})));
        l.add(op("max", (x, y) -> x.max(new int[] {1})));
        l.add(op("prod", (x, y) -> x.prod()));
        l.add(op("argMax", (x, y) -> x.argMax(1)));
        l.add(op("cumSum", (x, y) -> x.cumSum()));
        l.add(op("cumSum axis", (x, y) -> x.cumSum(1)));
        l.add(op("norm", (x, y) -> x.norm()));
        l.add(op("clip", (x, y) -> x.clip(-0.5, 0.5)));
        l.add(op("sort", (x, y) -> x.sort(1)));
        l.add(op("argSort", (x, y) -> x.argSort(1)));
        l.add(op("topK", (x, y) -> x.topK(2, 1)));
        l.add(op("transpose", (x, y) -> x.transpose()));
        l.add(op("reshape", (x, y) -> x.reshape(4, 3)));
        l.add(op("flatten", (x, y) -> x.flatten()));
        l.add(op("expandDims", (x, y) -> x.expandDims(0)));
        l.add(op("squeeze", (x, y) -> with(x.expandDims(0), NDArray::squeeze)));
        l.add(op("split", (x, y) -> x.split(3, 1)));
        l.add(op("repeat", (x, y) -> x.repeat(2)));
        l.add(op("tile", (x, y) -> x.tile(2)));
        l.add(op("toType", (x, y) -> x.toType(DataType.FLOAT64, true)));
        l.add(op("get", (x, y) -> x.get(new NDIndex("1:, ::2"))));
        l.add(op("gather", (x, y) -> with(x.getManager().create(new long[] {2, 0, 1, 1, 0, 3, 3, 2, 1, 0, 2, 3}, new Shape(3, 4)),
                i -> x.gather(i, 1))));
        l.add(op("duplicate", (x, y) -> x.duplicate()));
        l.add(op("linear", (x, y) -> x.getNDArrayInternal().linear(x, y, null)));
        l.add(op("batchDot", (x, y) -> with(y.reshape(3, 4, 1), t -> with(x.reshape(3, 1, 4), u -> u.batchDot(t)))));
        l.add(op("sign", (x, y) -> x.sign()));
        l.add(op("floor", (x, y) -> x.floor()));
        l.add(op("round", (x, y) -> x.round()));
        l.add(op("erf", (x, y) -> x.erf()));
        l.add(op("erfinv", (x, y) -> with(x.mul(0.1f), NDArray::erfinv)));
        l.add(op("isNaN", (x, y) -> x.isNaN()));
        l.add(op("all", (x, y) -> with(x.gt(-5), NDArray::all)));
        l.add(op("any", (x, y) -> x.any()));
        l.add(op("none", (x, y) -> x.none()));
        l.add(op("countNonzero", (x, y) -> x.countNonzero()));
        l.add(op("countNonzero axis", (x, y) -> x.countNonzero(1)));
        l.add(op("argMin", (x, y) -> x.argMin()));
        l.add(op("normalize", (x, y) -> x.normalize()));
        l.add(op("oneHot", (x, y) -> with(x.getManager().create(new int[] {0, 2, 1}), i -> i.oneHot(3))));
        l.add(op("swapAxes", (x, y) -> x.swapAxes(0, 1)));
        l.add(op("broadcast", (x, y) -> x.broadcast(2, 3, 4)));
        l.add(op("flip", (x, y) -> x.flip(1)));
        l.add(op("zerosLike", (x, y) -> x.zerosLike()));
        l.add(op("booleanMask", (x, y) -> with(x.gt(0), b -> x.booleanMask(b))));
        l.add(op("nonzero", (x, y) -> x.nonzero()));
        l.add(op("set", (x, y) -> {
            x.set(new NDIndex("0, :"), 7f);
            return x;
        }));
        l.add(op("set array", (x, y) -> with(y.get(new NDIndex("1")), v -> {
            x.set(new NDIndex("0"), v);
            return x;
        })));
        l.add(op("addi", (x, y) -> x.addi(y)));
        l.add(op("rdivi", (x, y) -> x.getNDArrayInternal().rdivi(y)));
        l.add(op("rpowi", (x, y) -> x.getNDArrayInternal().rpowi(2)));
        l.add(op("softPlus", (x, y) -> x.getNDArrayInternal().softPlus()));
        l.add(op("elu", (x, y) -> x.getNDArrayInternal().elu(1f)));
        l.add(op("leakyRelu", (x, y) -> x.getNDArrayInternal().leakyRelu(0.1f)));
        l.add(op("relu", (x, y) -> x.getNDArrayInternal().relu()));
        l.add(op("sigmoid", (x, y) -> x.getNDArrayInternal().sigmoid()));
        l.add(op("gelu", (x, y) -> x.getNDArrayInternal().gelu()));
        l.add(op("layerNorm", (x, y) -> with(x.getManager().ones(new Shape(4)), g -> with(x.getManager().zeros(new Shape(4)),
                b -> x.getNDArrayInternal().layerNorm(x, new Shape(4), g, b, 1e-5f)))));
        l.add(op("embedding", (x, y) -> with(x.getManager().create(new int[] {2, 0}),
                i -> i.getNDArrayInternal().embedding(i, x, ai.djl.ndarray.types.SparseFormat.DENSE))));
        l.add(op("maxPool", (x, y) -> with(x.reshape(1, 1, 3, 4), t -> t.getNDArrayInternal().maxPool(new Shape(2, 2),
                new Shape(1, 1), new Shape(0, 0), false))));
        l.add(op("avgPool", (x, y) -> with(x.reshape(1, 1, 3, 4), t -> t.getNDArrayInternal().avgPool(new Shape(2, 2),
                new Shape(1, 1), new Shape(0, 0), false, true))));
        l.add(op("globalLpPool", (x, y) -> with(x.reshape(1, 3, 4), t -> t.getNDArrayInternal().globalLpPool(2f))));
        l.add(op("globalAvgPool", (x, y) -> with(x.reshape(1, 3, 4), t -> t.getNDArrayInternal().globalAvgPool())));
        l.add(op("conv2d", (x, y) -> with(x.reshape(1, 1, 3, 4), t -> with(y.get(new NDIndex(":2, :2")), k -> with(k.reshape(1, 1, 2, 2),
                w -> t.getNDArrayInternal().convolution(t, w, null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1))))));
        l.add(op("batchNorm", (x, y) -> with(x.reshape(3, 4, 1), t -> with(x.getManager().zeros(new Shape(4)),
                mu -> with(x.getManager().ones(new Shape(4)), var -> t.getNDArrayInternal().batchNorm(t, mu, var, null, null,
                        1, 0.9f, 1e-5f, false))))));
        return l.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void leavesOnlyItsResult(String name, BiFunction<NDArray, NDArray, Object> f) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(new float[] {0.5f, -1, 2, 0.25f, -0.5f, 1.5f, 3, -2, 0.75f, 1, -0.25f, 2.5f},
                    new Shape(3, 4));
            NDArray y = m.create(new float[] {1, 0.5f, -1.5f, 2, 0.25f, -2, 1, 0.5f, -0.75f, 3, 1.25f, -1},
                    new Shape(3, 4));
            Object r = f.apply(x, y);
            Map<NDArray, Boolean> kept = new IdentityHashMap<>();
            kept.put(x, true);
            kept.put(y, true);
            if (r instanceof NDArray) {
                kept.put((NDArray) r, true);
            } else {
                for (NDArray a : (NDList) r) {
                    kept.put(a, true);
                }
            }
            List<String> extra = new ArrayList<>();
            for (NDArray a : m.getManagedArrays()) {
                if (!kept.containsKey(a)) {
                    extra.add(a.getShape() + " " + a.getDataType());
                }
            }
            assertTrue(extra.isEmpty(), name + " left " + extra.size() + " arrays in the manager: " + extra);
        }
    }
}
