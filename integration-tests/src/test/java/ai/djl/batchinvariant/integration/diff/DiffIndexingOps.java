/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import static ai.djl.batchinvariant.integration.diff.DiffData.ALL;
import static ai.djl.batchinvariant.integration.diff.DiffTolerance.EXACT;

import ai.djl.batchinvariant.integration.diff.DiffData.Fill;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.List;

/**
 * The NDIndex rows of the operation table: get and set with slices and steps (clamped out of
 * range), negative indices, boolean masks, index arrays and pick, with scalar and array values.
 */
abstract class DiffIndexingOps extends DiffTable {

    void index(String label, DiffOp.Fn fn) {
        DiffOp op = new DiffOp("NDArray." + label.substring(0, label.indexOf('(')), label, EXACT, fn);
        over(op, ALL, List.of(BASE), false);
    }

    void indexing() {
        for (String ix : new String[] {"1", "-1", "1:3", "::2", "1:-1:2", ":,-2", "...,1", "1:3,::2,-2:", "1,2,0",
            ":,1:1", "2:10", "-10:2", ":,-7:", "5:", "3:1", "7", "-5", "::-1", ":,:,:,0"}) {
            index("get(\"" + ix + "\")", c -> c.a().get(ix));
        }
        index("get(1,2)", c -> c.a().get(1, 2));
        index("getScalar(1,2,0)", c -> c.a().getScalar(1, 2, 0));
        index("get(mask(4))", c -> c.a().get(mask(c.m, 4)));
        index("get(mask(4,5))", c -> c.a().get(mask(c.m, 4, 5)));
        index("get(mask(4,5,3))", c -> c.a().get(mask(c.m, 4, 5, 3)));
        index("get(mask(5))", c -> c.a().get(mask(c.m, 5)));
        index("get(pick(:,{idx(4,2,3)}))", c -> c.a().get(new NDIndex().addAllDim()
                .addPickDim(c.array(DataType.INT64, sh(4, 2, 3), Fill.INDEX, 5))));
        index("get(pick({idx(2,5,3)}))", c -> c.a().get(new NDIndex()
                .addPickDim(c.array(DataType.INT64, sh(2, 5, 3), Fill.INDEX, 6))));
        index("get(pick(out of range))", c -> c.a().get(new NDIndex().addAllDim()
                .addPickDim(longs(c.m, sh(4, 1, 3), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))));
        index("get(take({[[0,3],[-1,2]]}))", c -> c.a().get(new NDIndex("{}", longs(c.m, sh(2, 2), 0, 3, -1, 2))));
        index("get(take(:,{[4,0]}))", c -> c.a().get(new NDIndex(":, {}", longs(c.m, sh(2), 4, 0))));
        index("take([[0,59],[7,-1]])", c -> c.a().take(longs(c.m, sh(2, 2), 0, 59, 7, -1)));
        index("take([60])", c -> c.a().take(longs(c.m, sh(1), 60)));
        index("gather(idx(4,2,3),1)", c -> c.a().gather(c.array(DataType.INT64, sh(4, 2, 3), Fill.INDEX, 7), 1));
        index("gather(idx(4,5,2),-1)", c -> c.a().gather(c.array(DataType.INT64, sh(4, 5, 2), Fill.INDEX, 8), -1));
        index("gather([5],0)", c -> c.a().gather(longs(c.m, sh(1, 1, 1), 5), 0));
        index("gatherNd([[0,3,1],[2,4,0]])", c -> c.a().gatherNd(longs(c.m, sh(2, 3), 0, 3, 1, 2, 4, 0)));
        index("booleanMask(mask(4,5),0)", c -> c.a().booleanMask(mask(c.m, 4, 5), 0));
        index("booleanMask(mask(5),1)", c -> c.a().booleanMask(mask(c.m, 5), 1));
        index("set(\"1:3\",7)", c -> set(c.a(), "1:3", 7));
        index("set(\":,-1\",-2)", c -> set(c.a(), ":,-1", -2));
        index("set(\"::2,1\",1.5f)", c -> set(c.a(), "::2,1", 1.5f));
        index("set(\"2:10\",3)", c -> set(c.a(), "2:10", 3));
        index("set(\"-10:2\",3)", c -> set(c.a(), "-10:2", 3));
        index("set(\"7\",1)", c -> set(c.a(), "7", 1));
        index("set(\"1:3\",array(2,5,3))", c -> setArr(c, "1:3", sh(2, 5, 3), c.type));
        index("set(\"1:3\",array(3))", c -> setArr(c, "1:3", sh(3), c.type));
        index("set(\":,-1\",array(4,3))", c -> setArr(c, ":,-1", sh(4, 3), c.type));
        index("set(\"1:3\",array(2,4,3))", c -> setArr(c, "1:3", sh(2, 4, 3), c.type));
        index("set(\"1:3\",float32 array(3))", c -> setArr(c, "1:3", sh(3), DataType.FLOAT32));
        index("set(mask(4,5,3),0)", c -> setMask(c.a(), mask(c.m, 4, 5, 3), 0));
        index("set(mask(4,5),0)", c -> setMask(c.a(), mask(c.m, 4, 5), 0));
        index("set(mask(4),0)", c -> setMask(c.a(), mask(c.m, 4), 0));
        index("set(mask(3),0)", c -> setMask(c.a(), mask(c.m, 3), 0));
        index("set(mask(4,5,3),array(4,5,3))", c -> {
            c.a().set(new NDIndex("{}", mask(c.m, 4, 5, 3)), c.array(c.type, BASE, Fill.RANDOM, 9));
            return c.a();
        });
        index("set(\"1:3\",x->x*2)", c -> {
            c.a().set(new NDIndex("1:3"), x -> x.mul(2));
            return c.a();
        });
        index("setScalar((1,2,0),5)", c -> {
            c.a().setScalar(new NDIndex(1, 2, 0), 5);
            return c.a();
        });
        index("setScalar(\"1\",5)", c -> {
            c.a().setScalar(new NDIndex("1"), 5);
            return c.a();
        });
        index("put([0,7],[1,2])", c -> c.a().put(longs(c.m, sh(2), 0, 7), c.array(c.type, sh(2), Fill.RANDOM, 10)));
        index("scatter(idx,vals,1)", c -> c.a().scatter(c.array(DataType.INT64, sh(4, 2, 3), Fill.INDEX, 11),
                c.array(c.type, sh(4, 2, 3), Fill.RANDOM, 12), 1));
        index("copyTo(zeros)", c -> {
            NDArray z = c.m.zeros(BASE, c.dt(c.type));
            c.a().copyTo(z);
            return z;
        });
        index("set(float[])", c -> {
            c.a().set(new float[60]);
            return c.a();
        });
        index("set(int[])", c -> {
            c.a().set(new int[60]);
            return c.a();
        });
        index("getFloat(1,2,0)", c -> c.a().getFloat(1, 2, 0));
        index("getLong(1,2,0)", c -> c.a().getLong(1, 2, 0));
        index("getBoolean(1,2,0)", c -> c.a().getBoolean(1, 2, 0));

        // rank 0 and zero-size arrays under an index
        DiffOp getAll = new DiffOp("NDArray.get", "get(NDIndex())", EXACT, c -> c.a().get(new NDIndex()));
        over(getAll, ALL, List.of(sh(), sh(0, 3)), false);
        DiffOp get0 = new DiffOp("NDArray.get", "get(\"0\")", EXACT, c -> c.a().get("0"));
        over(get0, ALL, List.of(sh(), sh(0, 3)), false);
        DiffOp getCol = new DiffOp("NDArray.get", "get(\":,1\")", EXACT, c -> c.a().get(":,1"));
        over(getCol, ALL, List.of(sh(0, 3), sh(2, 0, 4)), false);
        DiffOp setAll = new DiffOp("NDArray.set", "set(NDIndex(),3)", EXACT, c -> set(c.a(), "", 3));
        over(setAll, ALL, List.of(sh(), sh(0, 3)), false);
    }

    private static NDArray set(NDArray a, String ix, Number v) {
        a.set(new NDIndex(ix), v);
        return a;
    }

    private static NDArray setArr(DiffOp.Ctx c, String ix, Shape vs, DataType vt) {
        c.a().set(new NDIndex(ix), c.array(vt, vs, Fill.RANDOM, 13));
        return c.a();
    }

    private static NDArray setMask(NDArray a, NDArray mask, Number v) {
        a.set(mask, v);
        return a;
    }
}
