/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Generates {@code docs/ops.md}: every public method of DJL's {@link NDArray} and {@link
 * NDArrayEx} interfaces, grouped by name, with whether the CPU backend supports it, whether the GPU
 * backend runs it, and how many differential cases exercise it. CPU support is probed: each
 * overload is called once on a small float32 array with placeholder arguments, and counts as
 * supported unless the engine refuses it, throwing {@link UnsupportedOperationException} from its
 * own code (an argument the method rejects still shows that it is implemented). The GPU column lists what the CUDA backend runs today
 * ({@link #GPU}); {@code DiffGpuTest} checks those claims on a device.
 *
 * <p>Run {@code main} (or {@code DiffOpsDocTest} with {@code -Dops.write=true}) to rewrite the
 * file.
 */
public final class DiffOpsDoc {

    /** Where the file lives, relative to the repository root. */
    static final String PATH = "docs/ops.md";

    /** The command that rewrites the file, quoted in the stale-file message. */
    static final String REGENERATE = "mvn -B -q -pl integration-tests -am test -Dtest=DiffOpsDocTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dops.write=true";

    /**
     * What the CUDA backend runs on an array on {@code Device.gpu(i)} (read from BiNDArray,
     * BiNDArrayEx and backend.cuda): allocation and copies, views that share device memory, the
     * float32/half casts, the invariant GEMM family, reductions, softmax and norms, and the
     * element-wise, data-movement and indexing families over every storage type. Everything else
     * runs on the CPU through host copies.
     */
    static final Map<String, String> GPU = new TreeMap<>();

    static {
        for (String m : new String[] {"getName", "setName", "getUid", "getDataType", "getDevice", "getShape",
            "getSparseFormat", "getManager", "attach", "tempAttach", "detach", "close", "isReleased", "hasGradient",
            "stopGradient", "setRequiresGradient", "getNDArrayInternal", "intern", "toByteBuffer", "toDevice",
            "duplicate", "reshape", "expandDims", "squeeze", "flatten", "isScalar", "isEmpty", "size", "shapeEquals",
            "isSparse", "getArray"}) {
            GPU.put(m, "yes");
        }
        GPU.put("set", "set(Buffer) and set(primitive[])");
        GPU.put("toType", "float32 ↔ float16/bfloat16");
        // element-wise, data-movement and indexing kernels (elementwise.cu, copy.cu, gather.cu): every storage type
        for (String m : new String[] {"abs", "add", "addi", "broadcast", "cbrt", "ceil", "clip", "concat",
            "contentEquals", "cos", "div", "divi", "eq", "erf", "exp", "flip", "floor", "gather", "gatherNd", "get",
            "gt", "gte", "isInfinite", "isNaN", "log", "log10", "log2", "logicalAnd", "logicalNot", "logicalOr",
            "logicalXor", "lt", "lte", "maximum", "minimum", "mod", "modi", "mul", "muli", "neg", "negi", "neq",
            "oneHot", "pow", "powi", "repeat", "rotate90", "round", "sequenceMask", "sign", "signi", "sin", "split",
            "sqrt", "square", "stack", "sub", "subi", "swapAxes", "take", "tan", "tanh", "tile", "toDegrees",
            "toRadians", "transpose", "trunc", "elu", "embedding", "gelu", "leakyRelu", "rdivi", "relu", "rmodi",
            "rpowi", "selu", "sigmoid", "softPlus", "softSign", "where"}) {
            GPU.put(m, "yes");
        }
        GPU.put("booleanMask", "yes (reads the mask's count back, as the CPU does)");
        GPU.put("set", "yes");
        GPU.put("toType", "yes (every pair of types)");
        GPU.put("linear", "floating types (tensor cores for float16/bfloat16)");
        for (String m : new String[] {"matMul", "batchMatMul", "batchDot", "dot"}) {
            GPU.put(m, "floating types");
        }
        for (String m : new String[] {"sum", "prod", "max", "min", "argMax", "argMin"}) {
            GPU.put(m, "yes");
        }
        GPU.put("mean", "floating types");
        for (String m : new String[] {"convolution", "globalAvgPool", "globalMaxPool"}) {
            GPU.put(m, "yes (the CPU backend's bits)");
        }
        for (String m : new String[] {"softmax", "logSoftmax", "layerNorm", "batchNorm"}) {
            GPU.put(m, "floating types");
        }
        for (String m : new String[] {"toFloatArray", "toDoubleArray", "toIntArray", "toLongArray", "toByteArray",
            "toUint8Array", "toBooleanArray", "toShortArray", "toUnsignedIntArray", "toUnsignedShortArray", "toArray",
            "getAsBytes", "encode"}) {
            GPU.put(m, "yes (download)");
        }
    }

    private DiffOpsDoc() {}

    /**
     * Writes {@code docs/ops.md}.
     *
     * @param args optional path of the repository root (default: the parent of the working
     *     directory when it is the integration-tests module, else the working directory)
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path file = args.length > 0 ? Paths.get(args[0]).resolve(PATH) : locate();
        Files.writeString(file, generate(), StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }

    /** The file, found from the working directory (module or repository root). */
    static Path locate() {
        Path cwd = Paths.get("").toAbsolutePath();
        return Files.isDirectory(cwd.resolve("docs")) && Files.isDirectory(cwd.resolve("integration-tests"))
                ? cwd.resolve(PATH) : cwd.getParent().resolve(PATH);
    }

    /** One row: a method name and what is known about it. */
    private static final class Row {
        final String name;
        int overloads;
        int supported;
        int cases;
        int divergent;

        Row(String name) {
            this.name = name;
        }

        String cpu() {
            return supported == overloads ? "yes" : supported == 0 ? "no" : "partial (" + supported + "/" + overloads + ")";
        }
    }

    /** Generates the file's content. */
    static String generate() {
        Map<String, Row> nd;
        Map<String, Row> ex;
        try (NDManager m = Engine.getEngine("BatchInvariant").newBaseManager()) {
            nd = probe(m, NDArray.class, a -> a);
            ex = probe(m, NDArrayEx.class, NDArray::getNDArrayInternal);
        }
        List<DiffCase> cases = DiffOps.cases();
        Map<String, String> known = DiffKnown.cpu();
        for (DiffCase c : cases) {
            Map<String, Row> t = "NDArrayEx".equals(c.op.iface()) ? ex : "NDArray".equals(c.op.iface()) ? nd : null;
            Row r = t == null ? null : t.get(c.op.method());
            if (r != null) {
                r.cases++;
                if (known.containsKey(c.name)) {
                    r.divergent++;
                }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("# NDArray operations: what the engine supports\n\n");
        b.append("<!-- Generated by DiffOpsDoc; do not edit. Regenerate with:\n     ").append(REGENERATE)
                .append("\n-->\n\n");
        b.append("Every public method of DJL's `NDArray` and `NDArrayEx` interfaces (DJL ")
                .append(Engine.getDjlVersion()).append("), grouped by name.\n\n");
        b.append("- **CPU**: probed by calling each overload once on a small float32 array; an overload is supported"
                + " unless the engine refuses it (`UnsupportedOperationException` from the engine's code). `partial (k/n)`: k of n overloads.\n");
        b.append("- **GPU**: what the CUDA backend runs with its own kernels on arrays on `Device.gpu(i)`; `—`: CPU-only:"
                + " the op runs on the CPU backend through host copies, counted by `Backends.hostTrips()` and logged once"
                + " at DEBUG (with the system property `ai.djl.batchinvariant.gpu_host_fallback=false` it is refused by"
                + " name instead). Checked by `DiffGpuTest` (tag `gpu`).\n");
        b.append("- **Cases**: generated differential cases against DJL's PyTorch engine (`DiffSuiteTest`);"
                + " **Divergent**: of those, cases listed in `integration-tests/src/test/resources/diff/"
                + "known-divergences.txt`.\n\n");
        b.append("Run the differential suite with `mvn -B -q -pl integration-tests -am test -Dtest='Diff*'"
                + " -Dsurefire.failIfNoSpecifiedTests=false` (every non-passing verdict, with details, lands in"
                + " `integration-tests/target/diff-report.txt`); the GPU variant with `-Dtest=DiffGpuTest -Dgroups=gpu"
                + " -DexcludedTags=none` on a CUDA host.\n\n");
        summary(b, cases, known, nd, ex);
        table(b, "NDArray", nd);
        table(b, "NDArrayEx", ex);
        b.append("## How the differential suite compares\n\n");
        b.append("Each case applies one call to arrays created from identical bytes on both engines and compares"
                + " shape, data type and values. Tolerance classes (from `DiffTolerance`):\n\n");
        for (DiffTolerance t : DiffTolerance.values()) {
            b.append("- `").append(t).append("`: ").append(t.describe()).append('\n');
        }
        b.append("\nInteger and boolean results are always compared exactly. When PyTorch throws"
                + " `EngineException`, ours must throw `IllegalArgumentException` or `EngineException`; any other"
                + " exception class from PyTorch (DJL's own argument checks) must be thrown by ours too. A refusal"
                + " (`UnsupportedOperationException` from the engine) passes when its message names the method."
                + " Cases the reference cannot run (it throws `UnsupportedOperationException`, or libtorch has no"
                + " kernel for the type) are skipped. DJL's PyTorch engine aborts the JVM on any bfloat16 tensor,"
                + " so bfloat16 cases run on the reference in float32 holding the same values, with results that"
                + " follow the input type rounded to bfloat16 once.\n");
        return b.toString();
    }

    private static void summary(StringBuilder b, List<DiffCase> cases, Map<String, String> known, Map<String, Row> nd,
            Map<String, Row> ex) {
        b.append("## Totals\n\n");
        b.append("| Interface | Methods (names) | Overloads | CPU: all overloads | CPU: some | GPU |\n");
        b.append("|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Row>> e : Map.of("NDArray", nd, "NDArrayEx", ex).entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList()) {
            Map<String, Row> t = e.getValue();
            long all = t.values().stream().filter(r -> r.supported == r.overloads).count();
            long some = t.values().stream().filter(r -> r.supported > 0 && r.supported < r.overloads).count();
            long gpu = t.keySet().stream().filter(GPU::containsKey).count();
            int overloads = t.values().stream().mapToInt(r -> r.overloads).sum();
            b.append(String.format(Locale.ROOT, "| `%s` | %d | %d | %d | %d | %d |%n", e.getKey(), t.size(), overloads,
                    all, some, gpu));
        }
        Map<String, Integer> byIface = new TreeMap<>();
        for (DiffCase c : cases) {
            byIface.merge(c.op.iface(), 1, Integer::sum);
        }
        b.append("\nDifferential cases: ").append(cases.size()).append(" (");
        List<String> parts = new ArrayList<>();
        byIface.forEach((k, v) -> parts.add(k + " " + v));
        b.append(String.join(", ", parts)).append("); known divergences: ").append(known.size()).append(".\n\n");
    }

    private static void table(StringBuilder b, String iface, Map<String, Row> rows) {
        b.append("## `").append(iface).append("`\n\n");
        b.append("| Method | Overloads | CPU | GPU | Cases | Divergent |\n");
        b.append("|---|---:|---|---|---:|---:|\n");
        for (Row r : rows.values()) {
            b.append("| `").append(r.name).append("` | ").append(r.overloads).append(" | ").append(r.cpu())
                    .append(" | ").append(GPU.getOrDefault(r.name, "—")).append(" | ").append(r.cases)
                    .append(" | ").append(r.divergent).append(" |\n");
        }
        b.append('\n');
    }

    /** Probes every public non-static method of {@code type}, invoked on {@code receiver(array)}. */
    private static Map<String, Row> probe(NDManager root, Class<?> type, Function<NDArray, Object> receiver) {
        Map<String, Method> unique = new TreeMap<>();
        for (Method m : type.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                unique.putIfAbsent(m.getName() + Arrays.toString(m.getParameterTypes()), m);
            }
        }
        Map<String, Row> rows = new LinkedHashMap<>();
        List<Method> methods = new ArrayList<>(unique.values());
        methods.sort(Comparator.comparing((Method m) -> m.getName().toLowerCase(Locale.ROOT)).thenComparing(Method::getName));
        for (Method m : methods) {
            Row r = rows.computeIfAbsent(m.getName(), Row::new);
            r.overloads++;
            if (supports(root, m, receiver)) {
                r.supported++;
            }
        }
        return rows;
    }

    private static boolean supports(NDManager root, Method m, Function<NDArray, Object> receiver) {
        try (NDManager sub = root.newSubManager()) {
            NDArray a = sample(sub);
            Object[] args = new Object[m.getParameterCount()];
            Class<?>[] types = m.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                args[i] = placeholder(types[i], sub);
            }
            m.invoke(receiver.apply(a), args);
            return true;
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            return !(t instanceof UnsupportedOperationException && DiffOutcome.thrownByEngine(t));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            return !(e instanceof UnsupportedOperationException);
        }
    }

    private static NDArray sample(NDManager m) {
        return m.create(new float[] {1, -2, 3, 0.5f, -1.5f, 2}, new Shape(2, 3));
    }

    /** A value of the parameter type that most methods accept. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object placeholder(Class<?> t, NDManager m) {
        if (t == NDArray.class) {
            return sample(m);
        }
        if (t == NDList.class) {
            return new NDList(sample(m), sample(m));
        }
        if (t == NDManager.class) {
            return m;
        }
        if (t == Shape.class) {
            return new Shape(2, 3);
        }
        if (t == DataType.class) {
            return DataType.FLOAT32;
        }
        if (t == Device.class) {
            return Device.cpu();
        }
        if (t == SparseFormat.class) {
            return SparseFormat.DENSE;
        }
        if (t == NDIndex.class) {
            return new NDIndex("0");
        }
        if (t == Number.class || t == Integer.class) {
            return 1;
        }
        if (t == Float.class) {
            return 1f;
        }
        if (t == Double.class) {
            return 1d;
        }
        if (t == Long.class) {
            return 1L;
        }
        if (t == Boolean.class || t == boolean.class) {
            return false;
        }
        if (t == int.class) {
            return 0;
        }
        if (t == long.class) {
            return 1L;
        }
        if (t == float.class) {
            return 0.5f;
        }
        if (t == double.class) {
            return 0.5;
        }
        if (t == int[].class) {
            return new int[] {0};
        }
        if (t == long[].class) {
            return new long[] {1};
        }
        if (t == float[].class) {
            return new float[6];
        }
        if (t == double[].class) {
            return new double[6];
        }
        if (t == byte[].class) {
            return new byte[6];
        }
        if (t == Buffer.class) {
            return FloatBuffer.wrap(new float[6]);
        }
        if (t == Charset.class) {
            return StandardCharsets.UTF_8;
        }
        if (t == String.class) {
            return "0";
        }
        if (t == Object[].class) {
            return new Object[0];
        }
        if (t == Function.class) {
            return Function.identity();
        }
        if (t == List.class) {
            return List.of(1f);
        }
        if (t == Set.class) {
            return Set.of();
        }
        if (t.isEnum()) {
            return t.getEnumConstants()[0];
        }
        if (t.isPrimitive()) {
            throw new IllegalStateException("no placeholder for " + t);
        }
        return null;
    }
}
