/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cpu;

import ai.djl.batchinvariant.config.EngineOptions;
import ai.djl.batchinvariant.tensor.HostData;
import ai.djl.batchinvariant.tensor.HostLease;
import ai.djl.batchinvariant.tensor.Tensor;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.lang.ref.SoftReference;
import java.lang.reflect.Array;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Output arrays for the CPU kernels, reused once the tensors over them are closed.
 *
 * <p>Why: the JVM clears a new array on the allocating thread before the op can write it, and a
 * large one also costs a collection later. For a 64 MiB output that is more than an element-wise
 * add's whole work on two threads, so an op that returns a fresh array each call — as DJL's API
 * does — ran at well under the machine's copy rate. Arrays of at least {@link #MIN_BYTES} from
 * {@link #wrap} go back to a cache when their last tensor closes ({@link HostLease}), keyed by
 * element type and exact length (a model repeats its shapes every step), and {@link #uninitialized}
 * hands them out again with whatever they held. Only ops that write every element of their output
 * take them; {@code cpu.poison} fills a reused array with NaN first, so a test sees an element an op
 * left unwritten, and caches arrays of every size, so that tests of small shapes meet reuse too.
 *
 * <p>The cache is capped ({@code cpu_cache_limit_mb}) and holds its arrays softly, so it never
 * makes the heap run out; an array whose tensor handed it out ({@link Tensor#hostData}) is never
 * reused.
 */
public final class HostArrays {

    /** Arrays below this size are left to the JVM (its thread-local allocation is cheap). */
    public static final long MIN_BYTES = 256 << 10;

    private static final HostLease.Recycler RECYCLER = HostArrays::recycle;
    private static final Map<Key, ArrayDeque<SoftReference<Object>>> FREE = new HashMap<>();
    private static long heldBytes;

    private HostArrays() {}

    /**
     * Returns an array of {@code n} elements of {@code type} whose contents are undefined: the
     * caller writes every element before anyone reads it.
     *
     * @param type the element type
     * @param n the length
     * @return a reused array, or a new one
     */
    public static Object uninitialized(DataType type, int n) {
        Object a = take(type, n);
        return a != null ? a : HostData.allocate(type, n);
    }

    /**
     * Returns a float array of {@code n} elements whose contents are undefined (see {@link
     * #uninitialized}).
     *
     * @param n the length
     * @return a reused array, or a new one
     */
    public static float[] floats(int n) {
        return (float[]) uninitialized(DataType.FLOAT32, n);
    }

    /**
     * {@link HostData#fromFloats} into an array from here: {@code values} itself for float32,
     * otherwise a (possibly reused) array of {@code type} holding them.
     *
     * @param values the values
     * @param type the target data type
     * @return the storage
     */
    public static Object fromFloats(float[] values, DataType type) {
        return type == DataType.FLOAT32
                ? values
                : HalfConversions.narrow(values, type, uninitialized(type, values.length));
    }

    /**
     * An op's float32 results as storage of its output type ({@link #fromFloats}); where that is
     * a new array, the float one goes back to the cache.
     *
     * @param values the results, an array the op owns
     * @param type the output's data type
     * @return the storage
     */
    public static Object store(float[] values, DataType type) {
        Object stored = fromFloats(values, type);
        if (stored != values) {
            release(values);
        }
        return stored;
    }

    /**
     * A tensor's values as float32 for the length of one op ({@link Tensor#borrowHostData}): its
     * own array for float32, else a converted copy; neither is kept.
     *
     * @param t the tensor, or null
     * @return the values, or null
     */
    static float[] borrowFloats(Tensor t) {
        return t == null ? null : HalfConversions.widen(t.borrowHostData(), t.getDataType(), t.size32());
    }

    /**
     * Wraps an op's output — an array nothing else holds — as a tensor whose array comes back here
     * when it and its views are closed.
     *
     * @param shape the shape
     * @param type the data type
     * @param data the array
     * @return the tensor
     */
    public static Tensor wrap(Shape shape, DataType type, Object data) {
        return cached(bytes(data))
                ? Tensor.hostRecyclable(shape, type, data, RECYCLER)
                : Tensor.host(shape, type, data);
    }

    /**
     * Returns the bytes the cache holds (arrays the collector may since have taken included).
     *
     * @return bytes
     */
    public static synchronized long heldBytes() {
        return heldBytes;
    }

    /** Drops every cached array. */
    public static synchronized void clear() {
        FREE.clear();
        heldBytes = 0;
    }

    private static Object take(DataType type, int n) {
        long size = (long) n * type.getNumOfBytes();
        if (!cached(size)) {
            return null;
        }
        Object a = null;
        synchronized (HostArrays.class) {
            ArrayDeque<SoftReference<Object>> free = FREE.get(new Key(HostData.allocate(type, 0).getClass(), n));
            while (a == null && free != null && !free.isEmpty()) {
                // the most recently freed first: its lines are the likeliest still in cache
                a = free.pollLast().get();
                heldBytes -= size;
            }
        }
        if (a != null && EngineOptions.cpuPoison()) {
            poison(a);
        }
        return a;
    }

    /**
     * Hands back a scratch array an op took from {@link #uninitialized} and no tensor holds (a
     * widened copy of a 16-bit input, say), so that the next op of its size reuses it.
     *
     * @param a the array, or null
     */
    static void release(Object a) {
        if (a != null && cached(bytes(a))) {
            recycle(a);
        }
    }

    private static void recycle(Object a) {
        long size = bytes(a);
        long limit = EngineOptions.cpuCacheLimitBytes();
        synchronized (HostArrays.class) {
            if (heldBytes + size > limit) {
                dropCollected();
                if (heldBytes + size > limit) {
                    return;
                }
            }
            FREE.computeIfAbsent(new Key(a.getClass(), Array.getLength(a)), k -> new ArrayDeque<>())
                    .addLast(new SoftReference<>(a));
            heldBytes += size;
        }
    }

    /** Forgets the entries whose arrays the collector took (they still count in {@link #heldBytes}). */
    private static void dropCollected() {
        FREE.entrySet().removeIf(e -> {
            int before = e.getValue().size();
            e.getValue().removeIf(r -> r.get() == null);
            heldBytes -= e.getKey().bytes() * (before - e.getValue().size());
            return e.getValue().isEmpty();
        });
    }

    /**
     * Whether arrays of this size are cached: with {@code cpu.poison} every size, so tests of small
     * shapes meet reuse too (the switch is read only where the size alone does not decide).
     */
    private static boolean cached(long bytes) {
        return bytes >= MIN_BYTES || EngineOptions.cpuPoison();
    }

    private static long bytes(Object a) {
        return Key.elementBytes(a.getClass()) * Array.getLength(a);
    }

    private static void poison(Object a) {
        if (a instanceof float[]) {
            Arrays.fill((float[]) a, Float.NaN);
        } else if (a instanceof double[]) {
            Arrays.fill((double[]) a, Double.NaN);
        } else if (a instanceof short[]) {
            // a NaN in both bfloat16 and float16
            Arrays.fill((short[]) a, (short) 0x7fc1);
        } else if (a instanceof int[]) {
            Arrays.fill((int[]) a, 0xdeadbeef);
        } else if (a instanceof long[]) {
            Arrays.fill((long[]) a, 0xdeadbeefdeadbeefL);
        } else {
            Arrays.fill((byte[]) a, (byte) 0xa5);
        }
    }

    /** A cache bucket: element class and exact length. */
    private record Key(Class<?> type, int length) {

        long bytes() {
            return elementBytes(type) * (long) length;
        }

        static long elementBytes(Class<?> arrayClass) {
            Class<?> c = arrayClass.getComponentType();
            if (c == double.class || c == long.class) {
                return 8;
            }
            if (c == float.class || c == int.class) {
                return 4;
            }
            return c == short.class ? 2 : 1;
        }
    }
}
