/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.Map;

/**
 * Closed base managers and models are released by the root: after many create/use/close cycles
 * the root holds no more than before and the heap after GC stays flat.
 */
class ManagerSoakTest {

    private static final int CYCLES = Integer.getInteger("soak.cycles", 10_000);

    private static int rootHeld() throws ReflectiveOperationException {
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        return ((Map<?, ?>) f.get(BiNDManager.getSystemManager())).size();
    }

    private static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    private static void cycle(Engine engine, int i) {
        try (NDManager m = engine.newBaseManager()) {
            NDArray a = m.ones(new Shape(8, 8));
            NDArray b = a.matMul(a).add(i);
            b.sum();
        }
        if (i % 10 == 0) {
            try (Model model = Model.newInstance("soak", "BatchInvariant")) {
                model.getNDManager().zeros(new Shape(4));
            }
        }
    }

    @Test
    void createUseCloseCyclesLeaveNothingBehind() throws ReflectiveOperationException {
        Engine engine = Engine.getEngine("BatchInvariant");
        for (int i = 0; i < 200; i++) {
            cycle(engine, i);
        }
        int held = rootHeld();
        long before = heapAfterGc();
        for (int i = 0; i < CYCLES; i++) {
            cycle(engine, i);
        }
        long growth = heapAfterGc() - before;
        assertEquals(held, rootHeld(), "managers and models the root still holds after " + CYCLES + " cycles");
        // a leak of one closed manager per cycle (~0.5 KB each) would exceed this by far
        assertTrue(growth < 1_500_000, "heap after GC grew by " + growth + " bytes over " + CYCLES + " cycles");
    }
}
