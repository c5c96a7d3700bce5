/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static ai.djl.batchinvariant.integration.diff.DiffData.ALL;
import static ai.djl.batchinvariant.integration.diff.DiffData.FLOATS;
import static ai.djl.batchinvariant.integration.diff.DiffData.INTS;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.ACCUMULATE;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.EXACT;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.SHAPE_ONLY;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.TRANSCENDENTAL;

import ai.djl.Device;
import ai.djl.batchinvariant.integration.diff.DiffData.Fill;
import ai.djl.batchinvariant.integration.diff.DiffData.Operand;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.util.Collections;
import java.util.List;

/**
 * The operation table and the cases generated from it. Each row names the DJL method it exercises,
 * the data types it applies to, the shapes (or shape pairs) and its tolerance class; the cases are
 * the cross product. Nothing here states an expected value: the reference is the same call on the
 * PyTorch engine.
 */
final class DiffOps extends DiffIndexingOps {

    private static List<DiffCase> cases;

    private DiffOps() {}

    /** All cases, generated once. */
    static synchronized List<DiffCase> cases() {
        if (cases == null) {
            DiffOps t = new DiffOps();
            t.elementwise();
            t.withNumber();
            t.binary();
            t.reductions();
            t.orderAndArrayMath();
            t.shapes();
            t.casts();
            t.indexing();
            t.products();
            t.nn();
            DiffNnOps.generate(t::custom);
            t.creation();
            cases = Collections.unmodifiableList(t.out);
        }
        return cases;
    }

    // ------------------------------------------------------------------ the table

    private void elementwise() {
        unary("NDArray.neg", "neg()", EXACT, ALL, NDArray::neg);
        unary("NDArray.negi", "negi()", EXACT, ALL, NDArray::negi);
        unary("NDArray.abs", "abs()", EXACT, ALL, NDArray::abs);
        unary("NDArray.square", "square()", EXACT, ALL, NDArray::square);
        unary("NDArray.sign", "sign()", EXACT, ALL, NDArray::sign);
        unary("NDArray.signi", "signi()", EXACT, ALL, NDArray::signi);
        unary("NDArray.floor", "floor()", EXACT, ALL, NDArray::floor);
        unary("NDArray.ceil", "ceil()", EXACT, ALL, NDArray::ceil);
        unary("NDArray.round", "round()", EXACT, ALL, NDArray::round);
        unary("NDArray.trunc", "trunc()", EXACT, ALL, NDArray::trunc);
        unary("NDArray.sqrt", "sqrt()", TRANSCENDENTAL, ALL, NDArray::sqrt);
        unary("NDArray.isNaN", "isNaN()", EXACT, ALL, NDArray::isNaN);
        unary("NDArray.isInfinite", "isInfinite()", EXACT, ALL, NDArray::isInfinite);
        unary("NDArray.logicalNot", "logicalNot()", EXACT, ALL, NDArray::logicalNot);
        unary("NDArray.exp", "exp()", TRANSCENDENTAL, ALL, NDArray::exp);
        unary("NDArray.log", "log()", TRANSCENDENTAL, ALL, NDArray::log);
        unary("NDArray.log2", "log2()", TRANSCENDENTAL, ALL, NDArray::log2);
        unary("NDArray.log10", "log10()", TRANSCENDENTAL, ALL, NDArray::log10);
        unary("NDArray.sin", "sin()", TRANSCENDENTAL, ALL, NDArray::sin);
        unary("NDArray.cos", "cos()", TRANSCENDENTAL, ALL, NDArray::cos);
        unary("NDArray.tan", "tan()", TRANSCENDENTAL, ALL, NDArray::tan);
        unary("NDArray.tanh", "tanh()", TRANSCENDENTAL, ALL, NDArray::tanh);
        unary("NDArray.erf", "erf()", TRANSCENDENTAL, ALL, NDArray::erf);
        unary("NDArray.cbrt", "cbrt()", TRANSCENDENTAL, ALL, NDArray::cbrt);
        unary("NDArray.asin", "asin()", TRANSCENDENTAL, ALL, NDArray::asin);
        unary("NDArray.acos", "acos()", TRANSCENDENTAL, ALL, NDArray::acos);
        unary("NDArray.atan", "atan()", TRANSCENDENTAL, ALL, NDArray::atan);
        unary("NDArray.sinh", "sinh()", TRANSCENDENTAL, ALL, NDArray::sinh);
        unary("NDArray.cosh", "cosh()", TRANSCENDENTAL, ALL, NDArray::cosh);
        unary("NDArray.asinh", "asinh()", TRANSCENDENTAL, ALL, NDArray::asinh);
        unary("NDArray.acosh", "acosh()", TRANSCENDENTAL, ALL, NDArray::acosh);
        unary("NDArray.atanh", "atanh()", TRANSCENDENTAL, ALL, NDArray::atanh);
        unary("NDArray.gammaln", "gammaln()", TRANSCENDENTAL, ALL, NDArray::gammaln);
        unary("NDArray.erfinv", "erfinv()", TRANSCENDENTAL, ALL, NDArray::erfinv);
        unary("NDArray.toDegrees", "toDegrees()", TRANSCENDENTAL, ALL, NDArray::toDegrees);
        unary("NDArray.toRadians", "toRadians()", TRANSCENDENTAL, ALL, NDArray::toRadians);
        unary("NDArrayEx.relu", "ex.relu()", EXACT, ALL, a -> a.getNDArrayInternal().relu());
        unary("NDArrayEx.sigmoid", "ex.sigmoid()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().sigmoid());
        unary("NDArrayEx.tanh", "ex.tanh()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().tanh());
        unary("NDArrayEx.softPlus", "ex.softPlus()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().softPlus());
        unary("NDArrayEx.softSign", "ex.softSign()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().softSign());
        unary("NDArrayEx.leakyRelu", "ex.leakyRelu(0.1)", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().leakyRelu(0.1f));
        unary("NDArrayEx.elu", "ex.elu(1)", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().elu(1f));
        unary("NDArrayEx.selu", "ex.selu()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().selu());
        over(new DiffOp("NDArrayEx.gelu", "ex.gelu()", TRANSCENDENTAL, c -> c.a().getNDArrayInternal().gelu())
                .referenceInfinityVaries(), ALL, ELEM, true);
        unary("NDArrayEx.swish", "ex.swish(1.5)", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().swish(1.5f));
        unary("NDArrayEx.mish", "ex.mish()", TRANSCENDENTAL, ALL, a -> a.getNDArrayInternal().mish());
    }

    private void withNumber() {
        number("NDArray.add", "add(2)", EXACT, a -> a.add(2));
        number("NDArray.add", "add(1.5f)", EXACT, a -> a.add(1.5f));
        number("NDArray.add", "add(2.0d)", EXACT, a -> a.add(2.0d));
        number("NDArray.sub", "sub(2)", EXACT, a -> a.sub(2));
        number("NDArray.sub", "sub(1.5f)", EXACT, a -> a.sub(1.5f));
        number("NDArray.mul", "mul(2)", EXACT, a -> a.mul(2));
        number("NDArray.mul", "mul(1.5f)", EXACT, a -> a.mul(1.5f));
        number("NDArray.div", "div(2)", EXACT, a -> a.div(2));
        number("NDArray.div", "div(1.5f)", EXACT, a -> a.div(1.5f));
        number("NDArray.div", "div(0)", EXACT, a -> a.div(0));
        number("NDArray.mod", "mod(3)", EXACT, a -> a.mod(3));
        number("NDArray.mod", "mod(1.5f)", EXACT, a -> a.mod(1.5f));
        number("NDArray.mod", "mod(0)", EXACT, a -> a.mod(0));
        number("NDArray.pow", "pow(2)", TRANSCENDENTAL, a -> a.pow(2));
        number("NDArray.pow", "pow(0.5f)", TRANSCENDENTAL, a -> a.pow(0.5f));
        number("NDArray.pow", "pow(-1)", TRANSCENDENTAL, a -> a.pow(-1));
        number("NDArray.maximum", "maximum(1)", EXACT, a -> a.maximum(1));
        number("NDArray.maximum", "maximum(0.5f)", EXACT, a -> a.maximum(0.5f));
        number("NDArray.minimum", "minimum(1)", EXACT, a -> a.minimum(1));
        number("NDArray.minimum", "minimum(-0.5f)", EXACT, a -> a.minimum(-0.5f));
        number("NDArray.eq", "eq(1)", EXACT, a -> a.eq(1));
        number("NDArray.neq", "neq(1)", EXACT, a -> a.neq(1));
        number("NDArray.gt", "gt(0)", EXACT, a -> a.gt(0));
        number("NDArray.gt", "gt(0.5f)", EXACT, a -> a.gt(0.5f));
        number("NDArray.gte", "gte(1)", EXACT, a -> a.gte(1));
        number("NDArray.lt", "lt(0)", EXACT, a -> a.lt(0));
        number("NDArray.lte", "lte(1)", EXACT, a -> a.lte(1));
        number("NDArray.addi", "addi(2)", EXACT, a -> a.addi(2));
        number("NDArray.subi", "subi(2)", EXACT, a -> a.subi(2));
        number("NDArray.muli", "muli(2)", EXACT, a -> a.muli(2));
        number("NDArray.divi", "divi(2)", EXACT, a -> a.divi(2));
        number("NDArray.modi", "modi(3)", EXACT, a -> a.modi(3));
        number("NDArray.powi", "powi(2)", TRANSCENDENTAL, a -> a.powi(2));
        number("NDArray.clip", "clip(-1,1.5f)", EXACT, a -> a.clip(-1, 1.5f));
        number("NDArray.clip", "clip(0,3)", EXACT, a -> a.clip(0, 3));
        number("NDArray.contentEquals", "contentEquals(1)", EXACT, a -> a.contentEquals(1));
        number("NDArrayEx.rsub", "ex.rsub(2)", EXACT, a -> a.getNDArrayInternal().rsub(2));
        number("NDArrayEx.rsub", "ex.rsub(1.5f)", EXACT, a -> a.getNDArrayInternal().rsub(1.5f));
        number("NDArrayEx.rsubi", "ex.rsubi(2)", EXACT, a -> a.getNDArrayInternal().rsubi(2));
        number("NDArrayEx.rdiv", "ex.rdiv(2)", EXACT, a -> a.getNDArrayInternal().rdiv(2));
        number("NDArrayEx.rdivi", "ex.rdivi(2)", EXACT, a -> a.getNDArrayInternal().rdivi(2));
        number("NDArrayEx.rmod", "ex.rmod(3)", EXACT, a -> a.getNDArrayInternal().rmod(3));
        number("NDArrayEx.rmodi", "ex.rmodi(3)", EXACT, a -> a.getNDArrayInternal().rmodi(3));
        number("NDArrayEx.rpow", "ex.rpow(2)", TRANSCENDENTAL, a -> a.getNDArrayInternal().rpow(2));
        number("NDArrayEx.rpowi", "ex.rpowi(2)", TRANSCENDENTAL, a -> a.getNDArrayInternal().rpowi(2));
    }

    private void binary() {
        binary("NDArray.add", "add(b)", EXACT, true, NDArray::add);
        binary("NDArray.sub", "sub(b)", EXACT, true, NDArray::sub);
        binary("NDArray.mul", "mul(b)", EXACT, true, NDArray::mul);
        binary("NDArray.div", "div(b)", EXACT, true, NDArray::div);
        binary("NDArray.mod", "mod(b)", EXACT, true, NDArray::mod);
        binary("NDArray.pow", "pow(b)", TRANSCENDENTAL, true, NDArray::pow);
        binary("NDArray.maximum", "maximum(b)", EXACT, true, NDArray::maximum);
        binary("NDArray.minimum", "minimum(b)", EXACT, true, NDArray::minimum);
        binary("NDArray.eq", "eq(b)", EXACT, true, NDArray::eq);
        binary("NDArray.neq", "neq(b)", EXACT, false, NDArray::neq);
        binary("NDArray.gt", "gt(b)", EXACT, false, NDArray::gt);
        binary("NDArray.gte", "gte(b)", EXACT, false, NDArray::gte);
        binary("NDArray.lt", "lt(b)", EXACT, true, NDArray::lt);
        binary("NDArray.lte", "lte(b)", EXACT, false, NDArray::lte);
        binary("NDArray.logicalAnd", "logicalAnd(b)", EXACT, true, NDArray::logicalAnd);
        binary("NDArray.logicalOr", "logicalOr(b)", EXACT, false, NDArray::logicalOr);
        binary("NDArray.logicalXor", "logicalXor(b)", EXACT, false, NDArray::logicalXor);
        binary("NDArray.xlogy", "xlogy(b)", TRANSCENDENTAL, false, NDArray::xlogy);
        binary("NDArray.atan2", "atan2(b)", TRANSCENDENTAL, false, NDArray::atan2);
        binary("NDArray.addi", "addi(b)", EXACT, true, NDArray::addi);
        binary("NDArray.subi", "subi(b)", EXACT, false, NDArray::subi);
        binary("NDArray.muli", "muli(b)", EXACT, false, NDArray::muli);
        binary("NDArray.divi", "divi(b)", EXACT, false, NDArray::divi);
        binary("NDArray.modi", "modi(b)", EXACT, false, NDArray::modi);
        binary("NDArray.powi", "powi(b)", TRANSCENDENTAL, false, NDArray::powi);
        binary("NDArrayEx.rsub", "ex.rsub(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rsub(b));
        binary("NDArrayEx.rsubi", "ex.rsubi(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rsubi(b));
        binary("NDArrayEx.rdiv", "ex.rdiv(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rdiv(b));
        binary("NDArrayEx.rdivi", "ex.rdivi(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rdivi(b));
        binary("NDArrayEx.rmod", "ex.rmod(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rmod(b));
        binary("NDArrayEx.rmodi", "ex.rmodi(b)", EXACT, false, (a, b) -> a.getNDArrayInternal().rmodi(b));
        binary("NDArray.contentEquals", "contentEquals(b)", EXACT, true, NDArray::contentEquals);
        binary("NDArray.allClose", "allClose(b)", EXACT, false, NDArray::allClose);
        binary("NDArray.stack", "stack(b)", EXACT, false, NDArray::stack);
        binary("NDArray.concat", "concat(b)", EXACT, false, NDArray::concat);
        binary("NDArrayEx.where", "ex.where(a>b,a,b)", EXACT, true, (a, b) -> NDArrays.where(a.gt(b), a, b));

        DiffOp where = new DiffOp("NDArrayEx.where", "ex.where(c,a,b)", EXACT,
                c -> c.a().getNDArrayInternal().where(c.in[2], c.in[1]));
        Shape[][] triples = {
            {sh(2, 3), sh(2, 3), sh(3)}, {sh(), sh(2, 3), sh()}, {sh(2, 1), sh(1, 3), sh(2, 3)}, {sh(0, 3), sh(3), sh(0, 3)}
        };
        for (DataType t : ALL) {
            for (Shape[] s : triples) {
                add(where, DiffData.name(t), DiffData.name(s[1]) + "+" + DiffData.name(s[2]) + "?" + DiffData.name(s[0]),
                        t, s[1], rnd(t, s[1]), rnd(t, s[2]), rnd(DataType.BOOLEAN, s[0]));
            }
        }
        // contentEquals between types (a boolean array never equals an int array in PyTorch)
        for (DataType to : ALL) {
            DiffOp op = new DiffOp("NDArray.contentEquals", "contentEquals(toType(" + DiffData.name(to) + "))", EXACT,
                    c -> c.a().contentEquals(c.a().toType(c.dt(to), true)));
            over(op, ALL, List.of(sh(2, 3)), false);
        }
    }

    private void reductions() {
        axis("NDArray.sum", "sum()", ACCUMULATE, NDArray::sum);
        axis("NDArray.sum", "sum([0])", ACCUMULATE, a -> a.sum(new int[] {0}));
        axis("NDArray.sum", "sum([-1],keep)", ACCUMULATE, a -> a.sum(new int[] {-1}, true));
        axis("NDArray.sum", "sum([0,-1])", ACCUMULATE, a -> a.sum(new int[] {0, -1}));
        axis("NDArray.mean", "mean()", ACCUMULATE, NDArray::mean);
        axis("NDArray.mean", "mean([-1])", ACCUMULATE, a -> a.mean(new int[] {-1}));
        axis("NDArray.max", "max()", EXACT, NDArray::max);
        axis("NDArray.max", "max([0])", EXACT, a -> a.max(new int[] {0}));
        axis("NDArray.max", "max([-1],keep)", EXACT, a -> a.max(new int[] {-1}, true));
        axis("NDArray.min", "min()", EXACT, NDArray::min);
        axis("NDArray.min", "min([-1])", EXACT, a -> a.min(new int[] {-1}));
        axis("NDArray.prod", "prod()", ACCUMULATE, NDArray::prod);
        axis("NDArray.prod", "prod([0])", ACCUMULATE, a -> a.prod(new int[] {0}));
        axis("NDArray.argMax", "argMax()", EXACT, NDArray::argMax);
        axis("NDArray.argMax", "argMax(-1)", EXACT, a -> a.argMax(-1));
        axis("NDArray.argMin", "argMin()", EXACT, NDArray::argMin);
        axis("NDArray.argMin", "argMin(0)", EXACT, a -> a.argMin(0));
        axis("NDArray.cumSum", "cumSum()", ACCUMULATE, NDArray::cumSum);
        axis("NDArray.cumSum", "cumSum(-1)", ACCUMULATE, a -> a.cumSum(-1));
        axis("NDArray.cumProd", "cumProd(0)", ACCUMULATE, a -> a.cumProd(0));
        axis("NDArray.softmax", "softmax(-1)", ACCUMULATE, a -> a.softmax(-1));
        axis("NDArray.softmax", "softmax(0)", ACCUMULATE, a -> a.softmax(0));
        axis("NDArray.logSoftmax", "logSoftmax(-1)", ACCUMULATE, a -> a.logSoftmax(-1));
        // values for every type; indices only for float32/float64, whose random inputs have no ties
        // (PyTorch leaves the order of tied elements unspecified)
        axis("NDArray.topK", "topK(2,-1).values", EXACT, a -> a.topK(2, -1).get(0));
        axis("NDArray.topK", "topK(1,0,smallest).values", EXACT, a -> a.topK(1, 0, false, true).get(0));
        over(new DiffOp("NDArray.topK", "topK(2,-1)", EXACT, c -> c.a().topK(2, -1)),
                List.of(DataType.FLOAT32, DataType.FLOAT64), AXIS, false);
        axis("NDArray.norm", "norm()", ACCUMULATE, NDArray::norm);
        axis("NDArray.norm", "norm([-1])", ACCUMULATE, a -> a.norm(new int[] {-1}));
        axis("NDArray.norm", "norm(keep)", ACCUMULATE, a -> a.norm(true));
        axis("NDArray.countNonzero", "countNonzero()", EXACT, NDArray::countNonzero);
        axis("NDArray.countNonzero", "countNonzero(0)", EXACT, a -> a.countNonzero(0));
        axis("NDArray.all", "all()", EXACT, NDArray::all);
        axis("NDArray.any", "any()", EXACT, NDArray::any);
        axis("NDArray.none", "none()", EXACT, NDArray::none);
        axis("NDArray.sort", "sort()", EXACT, NDArray::sort);
        axis("NDArray.sort", "sort(0)", EXACT, a -> a.sort(0));
        over(new DiffOp("NDArray.argSort", "argSort(-1)", EXACT, c -> c.a().argSort(-1)),
                List.of(DataType.FLOAT32, DataType.FLOAT64), AXIS, false);
        over(new DiffOp("NDArray.argSort", "argSort(0,desc)", EXACT, c -> c.a().argSort(0, false)),
                List.of(DataType.FLOAT32, DataType.FLOAT64), AXIS, false);
        axis("NDArray.median", "median()", EXACT, NDArray::median);
        axis("NDArray.percentile", "percentile(50)", EXACT, a -> a.percentile(50));
        axis("NDArray.nonzero", "nonzero()", EXACT, NDArray::nonzero);
        axis("NDArray.unique", "unique()", EXACT, NDArray::unique);
        axis("NDArray.diagonal", "diagonal()", EXACT, NDArray::diagonal);
        axis("NDArray.trace", "trace()", ACCUMULATE, NDArray::trace);
        axis("NDArray.normalize", "normalize()", ACCUMULATE, NDArray::normalize);
        axis("NDArray.diff", "diff(1,-1)", EXACT, a -> a.diff(1, -1));
        axis("NDArray.isEmpty", "isEmpty()", EXACT, NDArray::isEmpty);
    }

    /** Order statistics, p-norms, running products, padding and the matrix inverse, with their arguments. */
    private void orderAndArrayMath() {
        axis("NDArray.sort", "sort(-1)", EXACT, a -> a.sort(-1));
        axis("NDArray.median", "median([0])", EXACT, a -> a.median(new int[] {0}));
        axis("NDArray.percentile", "percentile(25,[0])", ACCUMULATE, a -> a.percentile(25, new int[] {0}));
        axis("NDArray.unique", "unique(inverse,counts)", EXACT, a -> a.unique(true, true, true));
        // not rank 0: DJL's PyTorch engine divides by the rank there (ArithmeticException)
        over(new DiffOp("NDArray.unique", "unique(0,inverse,counts)", EXACT, c -> c.a().unique(0, true, true, true)), ALL,
                AXIS.subList(1, AXIS.size()), false);
        axis("NDArray.cumProd", "cumProd(-1,float64)", ACCUMULATE, a -> a.cumProd(-1, DataType.FLOAT64));
        axis("NDArray.diff", "diff(2,0)", EXACT, a -> a.diff(2, 0));
        axis("NDArray.diagonal", "diagonal(1,0,-1)", EXACT, a -> a.diagonal(1, 0, -1));
        axis("NDArray.diagonal", "diagonal(-1,-1,0)", EXACT, a -> a.diagonal(-1, -1, 0));
        axis("NDArray.norm", "norm(1,[-1],false)", ACCUMULATE, a -> a.norm(1, new int[] {-1}, false));
        axis("NDArray.norm", "norm(3,[0,-1],keep)", ACCUMULATE, a -> a.norm(3, new int[] {0, -1}, true));
        axis("NDArray.normalize", "normalize(1,-1,1e-12)", ACCUMULATE, a -> a.normalize(1, -1, 1e-12));
        axis("NDArray.pad", "pad((1,2,0,1),1.5)", EXACT, a -> a.pad(sh(1, 2, 0, 1), 1.5));
        index("put([-1,3],[1,2])", c -> c.a().put(longs(c.m, sh(2), -1, 3), c.array(c.type, sh(2), Fill.RANDOM, 14)));
        index("put([60],[1])", c -> c.a().put(longs(c.m, sh(1), 60), c.array(c.type, sh(1), Fill.RANDOM, 15)));
        index("scatter(idx,vals,-1)", c -> c.a().scatter(c.array(DataType.INT64, sh(4, 5, 2), Fill.INDEX, 16),
                c.array(c.type, sh(4, 5, 2), Fill.RANDOM, 17), -1));
        index("scatter(idx(3,2,3),vals(4,2,3),0)", c -> c.a().scatter(c.array(DataType.INT64, sh(3, 2, 3), Fill.INDEX, 18),
                c.array(c.type, sh(4, 2, 3), Fill.RANDOM, 19), 0));
        // signed zeros, infinities and NaN: their order and how each op propagates them
        for (DiffOp op : new DiffOp[] {
            new DiffOp("NDArray.sort", "sort(-1)", EXACT, c -> c.a().sort(-1)),
            new DiffOp("NDArray.argSort", "argSort(-1)", EXACT, c -> c.a().argSort(-1)),
            new DiffOp("NDArray.median", "median()", EXACT, c -> c.a().median()),
            new DiffOp("NDArray.percentile", "percentile(50)", EXACT, c -> c.a().percentile(50)),
            new DiffOp("NDArray.unique", "unique()", EXACT, c -> c.a().unique()),
            new DiffOp("NDArray.nonzero", "nonzero()", EXACT, c -> c.a().nonzero()),
            new DiffOp("NDArray.cumProd", "cumProd(0)", ACCUMULATE, c -> c.a().cumProd(0)),
            new DiffOp("NDArray.norm", "norm(1,[-1],false)", ACCUMULATE, c -> c.a().norm(1, new int[] {-1}, false)),
            new DiffOp("NDArray.diff", "diff(1,-1)", EXACT, c -> c.a().diff(1, -1))}) {
            over(op, DiffData.FLOATS, List.of(), true);
        }
        axis("NDArray.rotate90", "rotate90(2,[-1,0])", EXACT, a -> a.rotate90(2, new int[] {-1, 0}));
        axis("NDArray.rotate90", "rotate90(-1,[1,2])", EXACT, a -> a.rotate90(-1, new int[] {1, 2}));
        // diagonally dominant matrices: well conditioned, so float32 results agree to the tolerance
        DiffOp inverse = new DiffOp("NDArray.inverse", "inverse(a+4I)", ACCUMULATE, c -> {
            Shape s = c.a().getShape();
            if (s.dimension() < 2) {
                return c.a().inverse();
            }
            try (NDArray eye = c.m.eye((int) s.get(s.dimension() - 1)).toType(c.a().getDataType(), false).mul(4)) {
                return c.a().add(eye).inverse();
            }
        });
        // no bfloat16: its reference is emulated in float32, which skips the rounding of a+4I
        over(inverse, List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.INT32, DataType.BOOLEAN),
                List.of(sh(3, 3), sh(2, 4, 4), sh(0, 2, 2), sh(1, 1), sh(2, 3), sh()), false);
    }

    private void shapes() {
        axis("NDArray.reshape", "reshape(-1)", EXACT, a -> a.reshape(-1));
        axis("NDArray.reshape", "reshape(1,-1)", EXACT, a -> a.reshape(1, -1));
        axis("NDArray.flatten", "flatten()", EXACT, NDArray::flatten);
        axis("NDArray.flatten", "flatten(0,-1)", EXACT, a -> a.flatten(0, -1));
        axis("NDArray.expandDims", "expandDims(0)", EXACT, a -> a.expandDims(0));
        axis("NDArray.expandDims", "expandDims(-1)", EXACT, a -> a.expandDims(-1));
        axis("NDArray.squeeze", "squeeze()", EXACT, NDArray::squeeze);
        axis("NDArray.squeeze", "squeeze(0)", EXACT, a -> a.squeeze(0));
        axis("NDArray.squeeze", "expandDims(-1).squeeze(-1)", EXACT, a -> a.expandDims(-1).squeeze(-1));
        axis("NDArray.transpose", "transpose()", EXACT, NDArray::transpose);
        axis("NDArray.transpose", "transpose(2,0,1)", EXACT, a -> a.transpose(2, 0, 1));
        axis("NDArray.transpose", "transpose(1,0)", EXACT, a -> a.transpose(1, 0));
        axis("NDArray.swapAxes", "swapAxes(0,-1)", EXACT, a -> a.swapAxes(0, -1));
        axis("NDArray.flip", "flip(0)", EXACT, a -> a.flip(0));
        axis("NDArray.flip", "flip(-1)", EXACT, a -> a.flip(-1));
        axis("NDArray.broadcast", "broadcast(2,...)", EXACT, a -> a.broadcast(sh(2).addAll(a.getShape())));
        axis("NDArray.repeat", "repeat(2)", EXACT, a -> a.repeat(2));
        axis("NDArray.repeat", "repeat(0,2)", EXACT, a -> a.repeat(0, 2));
        axis("NDArray.repeat", "repeat(-1,3)", EXACT, a -> a.repeat(-1, 3));
        axis("NDArray.tile", "tile(2)", EXACT, a -> a.tile(2));
        axis("NDArray.tile", "tile(0,2)", EXACT, a -> a.tile(0, 2));
        axis("NDArray.tile", "tile([2,1])", EXACT, a -> a.tile(new long[] {2, 1}));
        axis("NDArray.split", "split(1)", EXACT, a -> a.split(1));
        axis("NDArray.split", "split(2,-1)", EXACT, a -> a.split(2, -1));
        axis("NDArray.split", "split([1,2])", EXACT, a -> a.split(new long[] {1, 2}));
        axis("NDArray.split", "split([0],-1)", EXACT, a -> a.split(new long[] {0}, -1));
        axis("NDArray.stack", "stack(self,-1)", EXACT, a -> a.stack(a, -1));
        axis("NDArray.concat", "concat(self,-1)", EXACT, a -> a.concat(a, -1));
        axis("NDArray.duplicate", "duplicate()", EXACT, NDArray::duplicate);
        axis("NDArray.zerosLike", "zerosLike()", EXACT, NDArray::zerosLike);
        axis("NDArray.onesLike", "onesLike()", EXACT, NDArray::onesLike);
        axis("NDArray.toDevice", "toDevice(cpu,copy)", EXACT, a -> a.toDevice(Device.cpu(), true));
        axis("NDArray.pad", "pad((1,1),0)", EXACT, a -> a.pad(sh(1, 1), 0));
        axis("NDArray.rotate90", "rotate90(1,[0,1])", EXACT, a -> a.rotate90(1, new int[] {0, 1}));
        axis("NDArray.booleanMask", "booleanMask(self>0)", EXACT, a -> a.booleanMask(a.gt(0)));
        axis("NDArray.toFloatArray", "toFloatArray()", EXACT, NDArray::toFloatArray);
        axis("NDArray.toDoubleArray", "toDoubleArray()", EXACT, NDArray::toDoubleArray);
        axis("NDArray.toIntArray", "toIntArray()", EXACT, NDArray::toIntArray);
        axis("NDArray.toLongArray", "toLongArray()", EXACT, NDArray::toLongArray);
        axis("NDArray.toBooleanArray", "toBooleanArray()", EXACT, NDArray::toBooleanArray);
        axis("NDArray.toByteArray", "toByteArray()", EXACT, NDArray::toByteArray);
        axis("NDArray.toUint8Array", "toUint8Array()", EXACT, NDArray::toUint8Array);
        axis("NDArray.toArray", "toArray()", EXACT, NDArray::toArray);
    }

    private void casts() {
        for (DataType to : ALL) {
            DiffOp op = new DiffOp("NDArray.toType", "toType(" + DiffData.name(to) + ")", EXACT, c -> c.a().toType(c.dt(to), false));
            for (DataType t : ALL) {
                for (Shape s : SCALAR) {
                    add(op, DiffData.name(t), DiffData.name(s), t, s, rnd(t, s));
                }
                // special values only between floating types: casting NaN or inf to an integer is undefined in C++
                if (DiffData.isFloating(t) && DiffData.isFloating(to)) {
                    add(op, DiffData.name(t), SPECIAL_NAME, t, SPECIAL, new Operand(t, SPECIAL, Fill.SPECIAL));
                }
            }
        }
    }

    private void products() {
        Shape[][] mm = {
            {sh(3, 4), sh(4, 2)}, {sh(4), sh(4, 2)}, {sh(3, 4), sh(4)}, {sh(4), sh(4)}, {sh(2, 3, 4), sh(4, 5)},
            {sh(2, 3, 4), sh(2, 4, 5)}, {sh(1, 3, 4), sh(2, 4, 5)}, {sh(), sh()}, {sh(0, 4), sh(4, 2)}, {sh(3, 0), sh(0, 2)},
            {sh(3, 4), sh(3, 4)}
        };
        List<DataType> types = List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16,
                DataType.INT32, DataType.INT64);
        for (String[] f : new String[][] {{"matMul", "matMul(b)"}, {"dot", "dot(b)"}, {"batchMatMul", "batchMatMul(b)"},
            {"batchDot", "batchDot(b)"}}) {
            DiffOp op = new DiffOp("NDArray." + f[0], f[1], ACCUMULATE, c -> {
                switch (f[0]) {
                    case "matMul": return c.a().matMul(c.b());
                    case "dot": return c.a().dot(c.b());
                    case "batchMatMul": return c.a().batchMatMul(c.b());
                    default: return c.a().batchDot(c.b());
                }
            });
            for (DataType t : types) {
                for (Shape[] p : mm) {
                    add(op, DiffData.name(t), DiffData.name(p[0]) + "+" + DiffData.name(p[1]), t, p[0], rnd(t, p[0]),
                            rnd(t, p[1]));
                }
            }
        }
    }

    private void nn() {
        List<DataType> nnTypes = List.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16,
                DataType.INT32);
        DiffOp linear = new DiffOp("NDArrayEx.linear", "ex.linear(x,w,b)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().linear(c.in[0], c.in[1], c.in[2]));
        DiffOp linearNoBias = new DiffOp("NDArrayEx.linear", "ex.linear(x,w)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().linear(c.in[0], c.in[1], null));
        for (Shape x : List.of(sh(2, 4), sh(2, 3, 4), sh(0, 4), sh(4))) {
            custom(linear, nnTypes, DiffData.name(x) + "x(3,4)+(3)", t -> new Operand[] {rnd(t, x), rnd(t, sh(3, 4)), rnd(t, sh(3))});
            custom(linearNoBias, nnTypes, DiffData.name(x) + "x(3,4)", t -> new Operand[] {rnd(t, x), rnd(t, sh(3, 4))});
        }
        custom(linear, nnTypes, "(2,5)x(3,4)+(3)", t -> new Operand[] {rnd(t, sh(2, 5)), rnd(t, sh(3, 4)), rnd(t, sh(3))});

        DiffOp embedding = new DiffOp("NDArrayEx.embedding", "ex.embedding(idx,w)", EXACT,
                c -> c.a().getNDArrayInternal().embedding(c.in[1], c.in[0], SparseFormat.DENSE));
        for (Shape ix : List.of(sh(2, 3), sh(), sh(0))) {
            custom(embedding, ALL, "(3,4)[" + DiffData.name(ix) + "]",
                    t -> new Operand[] {rnd(t, sh(3, 4)), new Operand(DataType.INT64, ix, Fill.INDEX)});
        }
        DiffOp layerNorm = new DiffOp("NDArrayEx.layerNorm", "ex.layerNorm(x,(5),g,b)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().layerNorm(c.in[0], sh(5), c.in[1], c.in[2], 1e-5f));
        DiffOp layerNorm2 = new DiffOp("NDArrayEx.layerNorm", "ex.layerNorm(x,(4,5),g,b)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().layerNorm(c.in[0], sh(4, 5), c.in[1], c.in[2], 1e-5f));
        custom(layerNorm, FLOATS, "(2,4,5)", t -> new Operand[] {rnd(t, sh(2, 4, 5)), rnd(t, sh(5)), rnd(t, sh(5))});
        custom(layerNorm, FLOATS, "(0,5)", t -> new Operand[] {rnd(t, sh(0, 5)), rnd(t, sh(5)), rnd(t, sh(5))});
        custom(layerNorm2, FLOATS, "(2,4,5)", t -> new Operand[] {rnd(t, sh(2, 4, 5)), rnd(t, sh(4, 5)), rnd(t, sh(4, 5))});
        DiffOp batchNorm = new DiffOp("NDArrayEx.batchNorm", "ex.batchNorm(x,inference)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().batchNorm(c.in[0], c.in[1], c.in[2].abs().add(0.5f), c.in[3], c.in[4],
                        1, 0.9f, 1e-5f, false));
        custom(batchNorm, FLOATS, "(2,3,4)", t -> new Operand[] {rnd(t, sh(2, 3, 4)), rnd(t, sh(3)), rnd(t, sh(3)),
            rnd(t, sh(3)), rnd(t, sh(3))});
        DiffOp dropout = new DiffOp("NDArrayEx.dropout", "ex.dropout(0.5,inference)", EXACT,
                c -> c.a().getNDArrayInternal().dropout(c.a(), 0.5f, false));
        over(dropout, ALL, List.of(sh(2, 3)), false);
        DiffOp prelu = new DiffOp("NDArrayEx.prelu", "ex.prelu(x,alpha)", TRANSCENDENTAL,
                c -> c.a().getNDArrayInternal().prelu(c.in[0], c.in[1]));
        custom(prelu, FLOATS, "(2,3)+(1)", t -> new Operand[] {rnd(t, sh(2, 3)), rnd(t, sh(1))});
        DiffOp conv = new DiffOp("NDArrayEx.convolution", "ex.convolution(1d)", ACCUMULATE,
                c -> c.a().getNDArrayInternal().convolution(c.in[0], c.in[1], null, sh(1), sh(0), sh(1), 1));
        custom(conv, FLOATS, "(1,2,5)*(3,2,2)", t -> new Operand[] {rnd(t, sh(1, 2, 5)), rnd(t, sh(3, 2, 2))});
        DiffOp maxPool = new DiffOp("NDArrayEx.maxPool", "ex.maxPool((2),(2),(0))", EXACT,
                c -> c.a().getNDArrayInternal().maxPool(sh(2), sh(2), sh(0), false));
        custom(maxPool, FLOATS, "(1,2,6)", t -> new Operand[] {rnd(t, sh(1, 2, 6))});
        DiffOp avgPool = new DiffOp("NDArrayEx.globalAvgPool", "ex.globalAvgPool()", ACCUMULATE,
                c -> c.a().getNDArrayInternal().globalAvgPool());
        custom(avgPool, FLOATS, "(1,2,6)", t -> new Operand[] {rnd(t, sh(1, 2, 6))});
        DiffOp seqMask = new DiffOp("NDArray.sequenceMask", "sequenceMask(len)", EXACT,
                c -> c.a().sequenceMask(c.in[1]));
        custom(seqMask, ALL, "(3,4)+(3)", t -> new Operand[] {rnd(t, sh(3, 4)), new Operand(DataType.INT64, sh(3), Fill.INDEX)});
        DiffOp oneHot = new DiffOp("NDArray.oneHot", "oneHot(4)", EXACT, c -> c.a().oneHot(4));
        for (Shape s : List.of(sh(5), sh(2, 3), sh())) {
            for (DataType t : INTS) {
                add(oneHot, DiffData.name(t), DiffData.name(s), t, s, new Operand(t, s, Fill.INDEX));
            }
        }
        DiffOp oneHotT = new DiffOp("NDArray.oneHot", "oneHot(3,2,-1,t)", EXACT,
                c -> c.m.create(new long[] {0, 2, 1, 1}).oneHot(3, 2f, -1f, c.dt(c.type)));
        custom(oneHotT, ALL, "(4)", t -> new Operand[0]);
        DiffOp stackList = new DiffOp("NDArrayEx.stack", "NDArrays.stack(a,b,c,1)", EXACT,
                c -> NDArrays.stack(new NDList(c.in), 1));
        DiffOp concatList = new DiffOp("NDArrayEx.concat", "NDArrays.concat(a,b,c,1)", EXACT,
                c -> NDArrays.concat(new NDList(c.in), 1));
        custom(stackList, ALL, "(2,3)x3", t -> new Operand[] {rnd(t, sh(2, 3)), rnd(t, sh(2, 3)), rnd(t, sh(2, 3))});
        custom(concatList, ALL, "(2,3)+(2,0)+(2,1)", t -> new Operand[] {rnd(t, sh(2, 3)), rnd(t, sh(2, 0)), rnd(t, sh(2, 1))});
        custom(concatList, ALL, "()+()+()", t -> new Operand[] {rnd(t, sh()), rnd(t, sh()), rnd(t, sh())});
    }

    private void creation() {
        List<Shape> shapes = List.of(sh(), sh(0, 3), sh(2, 3));
        creator("NDManager.zeros", "zeros(s,t)", EXACT, shapes, c -> c.m.zeros(c.shape, c.dt(c.type)));
        creator("NDManager.ones", "ones(s,t)", EXACT, shapes, c -> c.m.ones(c.shape, c.dt(c.type)));
        creator("NDManager.full", "full(s,2.5,t)", EXACT, shapes, c -> c.m.full(c.shape, 2.5f, c.dt(c.type)));
        creator("NDManager.full", "full(s,-3,t)", EXACT, shapes, c -> c.m.full(c.shape, -3f, c.dt(c.type)));
        creator("NDManager.create", "create(s,t)", SHAPE_ONLY, shapes, c -> c.m.create(c.shape, c.dt(c.type)));
        creator("NDManager.randomUniform", "randomUniform(0,1,s,t)", SHAPE_ONLY, shapes,
                c -> c.m.randomUniform(0, 1, c.shape, c.dt(c.type)));
        creator("NDManager.randomNormal", "randomNormal(0,1,s,t)", SHAPE_ONLY, shapes,
                c -> c.m.randomNormal(0, 1, c.shape, c.dt(c.type)));
        creator("NDManager.randomInteger", "randomInteger(0,5,s,t)", SHAPE_ONLY, shapes,
                c -> c.m.randomInteger(0, 5, c.shape, c.dt(c.type)));
        List<Shape> none = List.of(sh());
        creator("NDManager.arange", "arange(0,5,1,t)", EXACT, none, c -> c.m.arange(0f, 5f, 1f, c.dt(c.type)));
        creator("NDManager.arange", "arange(-1.5,2,0.5,t)", EXACT, none, c -> c.m.arange(-1.5f, 2f, 0.5f, c.dt(c.type)));
        creator("NDManager.arange", "arange(3,0,-1,t)", EXACT, none, c -> c.m.arange(3f, 0f, -1f, c.dt(c.type)));
        creator("NDManager.arange", "arange(2,2,1,t)", EXACT, none, c -> c.m.arange(2f, 2f, 1f, c.dt(c.type)));
        creator("NDManager.eye", "eye(3,4,1,t)", EXACT, none, c -> c.m.eye(3, 4, 1, c.dt(c.type)));
        creator("NDManager.eye", "eye(3,2,-1,t)", EXACT, none, c -> c.m.eye(3, 2, -1, c.dt(c.type)));
        DiffOp plain = new DiffOp("NDManager.create", "create(values)", EXACT, c -> new NDList(
                c.m.create(new float[] {1.5f, -2f}), c.m.create(new double[] {0.1}), c.m.create(new int[] {3, -4}),
                c.m.create(new long[] {5L}), c.m.create(new boolean[] {true, false}), c.m.create(new byte[] {-3, 7}),
                c.m.create(2.5f), c.m.create(7), c.m.create(true), c.m.create(new float[][] {{1, 2}, {3, 4}})));
        custom(plain, List.of(DataType.FLOAT32), "-", t -> new Operand[0]);
        DiffOp ints = new DiffOp("NDManager.arange", "arange(0,10,3)", EXACT, c -> c.m.arange(0, 10, 3));
        custom(ints, List.of(DataType.INT32), "-", t -> new Operand[0]);
        DiffOp lin = new DiffOp("NDManager.linspace", "linspace(0,1,5)", EXACT, c -> c.m.linspace(0f, 1f, 5));
        custom(lin, List.of(DataType.FLOAT32), "-", t -> new Operand[0]);
        DiffOp linNo = new DiffOp("NDManager.linspace", "linspace(0,1,4,false)", EXACT, c -> c.m.linspace(0f, 1f, 4, false));
        custom(linNo, List.of(DataType.FLOAT32), "-", t -> new Operand[0]);
    }

    private void creator(String api, String label, DiffTolerance tol, List<Shape> shapes, DiffOp.Fn fn) {
        DiffOp op = new DiffOp(api, label, tol, fn);
        for (DataType t : ALL) {
            for (Shape s : shapes) {
                add(op, DiffData.name(t), shapes.size() == 1 ? "-" : DiffData.name(s), t, s);
            }
        }
    }
}
