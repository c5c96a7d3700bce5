/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.ndarray.types.DataType;

/**
 * {@code toType} between the common storage types by a loop per pair on the kernels' threads, each
 * element the Java conversion that {@link HostData}'s per-element accessors apply for that pair
 * (through them, two switches an element, float32 to int32 at 1024 × 4096 took 5.6 ms and to float64
 * 4.6): float32 to float64, int32, int64 and boolean; float64 to float32; int32 and int64 to
 * float32, float64 and each other; boolean to float32. The 16-bit floats have {@link
 * HalfConversions}; other pairs keep the accessors.
 */
final class TypedConversions {

    private static final int BLOCK = ElementwiseKernels.BLOCK;

    private TypedConversions() {}

    /** One block of a conversion: elements [from, to). */
    @FunctionalInterface
    private interface Loop {
        void run(int from, int to);
    }

    /**
     * Converts n elements, or returns null where the pair has no loop here.
     *
     * @param src the storage
     * @param from its type
     * @param to the target type
     * @param n the element count
     * @return new storage of type {@code to} from the array cache, or null
     */
    static Object convert(Object src, DataType from, DataType to, int n) {
        Object out = null;
        Loop loop = null;
        if (from == DataType.FLOAT32) {
            float[] x = (float[]) src;
            if (to == DataType.FLOAT64) {
                double[] o = (double[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i];
                    }
                };
            } else if (to == DataType.INT32) {
                int[] o = (int[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = (int) x[i];
                    }
                };
            } else if (to == DataType.INT64) {
                long[] o = (long[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = (long) x[i];
                    }
                };
            } else if (to == DataType.BOOLEAN) {
                byte[] o = (byte[]) HostArrays.uninitialized(to, n);
                out = o;
                // NaN is nonzero, so true, as in HostData.setDouble
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i] != 0 ? (byte) 1 : 0;
                    }
                };
            }
        } else if (from == DataType.FLOAT64 && to == DataType.FLOAT32) {
            double[] x = (double[]) src;
            float[] o = HostArrays.floats(n);
            out = o;
            loop = (a, b) -> {
                for (int i = a; i < b; i++) {
                    o[i] = (float) x[i];
                }
            };
        } else if (from == DataType.INT32) {
            int[] x = (int[]) src;
            if (to == DataType.FLOAT32) {
                float[] o = HostArrays.floats(n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i];
                    }
                };
            } else if (to == DataType.FLOAT64) {
                double[] o = (double[]) HostArrays.uninitialized(to, n);
                out = o;
                // through float, as HostData.getDouble reads an int32 (and the CUDA kernels with it)
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = (float) x[i];
                    }
                };
            } else if (to == DataType.INT64) {
                long[] o = (long[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i];
                    }
                };
            }
        } else if (from == DataType.INT64) {
            long[] x = (long[]) src;
            if (to == DataType.FLOAT32) {
                // long to float rounds once, as HostData.getFloat's conversion does
                float[] o = HostArrays.floats(n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i];
                    }
                };
            } else if (to == DataType.FLOAT64) {
                double[] o = (double[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = x[i];
                    }
                };
            } else if (to == DataType.INT32) {
                int[] o = (int[]) HostArrays.uninitialized(to, n);
                out = o;
                loop = (a, b) -> {
                    for (int i = a; i < b; i++) {
                        o[i] = (int) x[i];
                    }
                };
            }
        } else if (from == DataType.BOOLEAN && to == DataType.FLOAT32) {
            byte[] x = (byte[]) src;
            float[] o = HostArrays.floats(n);
            out = o;
            loop = (a, b) -> {
                for (int i = a; i < b; i++) {
                    o[i] = x[i];
                }
            };
        }
        if (loop == null) {
            return null;
        }
        Loop body = loop;
        Parallel.forEach((n + BLOCK - 1) / BLOCK, BLOCK, blk -> body.run(blk * BLOCK, Math.min(n, (blk + 1) * BLOCK)));
        return out;
    }
}
