/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.integration.diff;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one engine produced for a case, copied to the heap so it outlives the case's manager, and
 * the comparison of ours against the reference.
 *
 * <p>Exception mapping asserted when the reference throws:
 *
 * <ul>
 *   <li>{@link EngineException} (an error raised inside libtorch: bad shape, axis, index or dtype)
 *       → ours must throw {@link IllegalArgumentException} (or a subclass) or {@link
 *       EngineException};
 *   <li>any other exception class (DJL's own argument checks, run before the engine) → ours must
 *       throw the same class or a subclass;
 *   <li>{@link UnsupportedOperationException} from the reference, or an {@link EngineException}
 *       saying libtorch has no kernel for the type ("not implemented for"), leaves nothing to
 *       compare: the case is skipped; so is a reference result whose type DJL cannot name (int8
 *       with uint8 promotes to int16 in libtorch, which DJL reports as UNKNOWN).
 * </ul>
 *
 * <p>Whatever the reference does, an {@link UnsupportedOperationException} thrown by our engine's
 * code is a refusal, accepted when its message names the method under test; any other exception
 * from ours where the reference succeeded is a divergence (including an {@link
 * UnsupportedOperationException} from DJL's default methods that the engine inherits).
 */
final class DiffOutcome {

    /** A result array: shape, type and raw native-order bytes. */
    static final class Snap {
        final Shape shape;
        final DataType type;
        final ByteBuffer bytes;

        Snap(NDArray a) {
            this.shape = a.getShape();
            this.type = a.getDataType();
            ByteBuffer src = a.toByteBuffer().duplicate();
            src.rewind();
            ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.nativeOrder());
            copy.put(src);
            copy.flip();
            this.bytes = copy;
        }

        private Snap(Shape shape, DataType type, ByteBuffer bytes) {
            this.shape = shape;
            this.type = type;
            this.bytes = bytes;
        }

        /** This float32 result rounded to bfloat16 (nearest even). */
        Snap toBfloat16() {
            int n = Math.toIntExact(shape.size());
            ByteBuffer out = ByteBuffer.allocate(n * 2).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                out.putShort(DiffData.floatToBfloat16(bytes.getFloat(i * 4)));
            }
            out.flip();
            return new Snap(shape, DataType.BFLOAT16, out);
        }

        @Override
        public String toString() {
            return DiffData.name(type) + DiffData.name(shape);
        }
    }

    final List<Snap> arrays;
    final boolean list;
    final Object value;
    final Throwable error;

    private DiffOutcome(List<Snap> arrays, boolean list, Object value, Throwable error) {
        this.arrays = arrays;
        this.list = list;
        this.value = value;
        this.error = error;
    }

    static DiffOutcome of(Object r) {
        if (r instanceof NDArray) {
            return new DiffOutcome(List.of(new Snap((NDArray) r)), false, null, null);
        }
        if (r instanceof NDList) {
            List<Snap> s = new ArrayList<>();
            for (NDArray a : (NDList) r) {
                s.add(new Snap(a));
            }
            return new DiffOutcome(s, true, null, null);
        }
        if (r instanceof Shape) {
            r = DiffData.name((Shape) r);
        } else if (r instanceof float[]) {
            r = Arrays.toString((float[]) r);
        } else if (r instanceof double[]) {
            r = Arrays.toString((double[]) r);
        } else if (r instanceof long[]) {
            r = Arrays.toString((long[]) r);
        } else if (r instanceof int[]) {
            r = Arrays.toString((int[]) r);
        } else if (r instanceof boolean[]) {
            r = Arrays.toString((boolean[]) r);
        } else if (r instanceof byte[]) {
            r = Arrays.toString((byte[]) r);
        } else if (r instanceof Object[]) {
            r = Arrays.toString((Object[]) r);
        }
        return new DiffOutcome(null, false, r, null);
    }

    /**
     * The reference of a bfloat16 case, built from two runs of the PyTorch engine with bfloat16
     * replaced by float32 ({@code r32}, which gives the values) and by float16 ({@code r16}, which
     * tells which results follow the half-precision input type): a float32 result of {@code r32}
     * whose {@code r16} counterpart is float16 is rounded to bfloat16 once, the way libtorch's CPU
     * kernels compute bfloat16 in float32 and round the result.
     */
    static DiffOutcome bfloat16Reference(DiffOutcome r32, DiffOutcome r16) {
        if (r32.arrays == null) {
            return r32;
        }
        List<Snap> out = new ArrayList<>();
        for (int i = 0; i < r32.arrays.size(); i++) {
            Snap s = r32.arrays.get(i);
            boolean follows = s.type == DataType.FLOAT32
                    && (r16.arrays == null || i >= r16.arrays.size() || r16.arrays.get(i).type == DataType.FLOAT16);
            out.add(follows ? s.toBfloat16() : s);
        }
        return new DiffOutcome(out, r32.list, null, null);
    }

    static DiffOutcome error(Throwable t) {
        return new DiffOutcome(null, false, null, t);
    }

    /** How a case ended. */
    enum Kind {
        /** Same result. */
        PASS,
        /** Our engine refused the operation by name. */
        REFUSED,
        /** The reference cannot run it; nothing to compare. */
        SKIPPED,
        /** A divergence. */
        FAIL
    }

    /** A case's verdict and, unless it passed, why. */
    static final class Verdict {
        final Kind kind;
        final String detail;

        Verdict(Kind kind, String detail) {
            this.kind = kind;
            this.detail = detail;
        }

        @Override
        public String toString() {
            return kind + (detail == null ? "" : ": " + detail);
        }
    }

    private static Verdict pass() {
        return new Verdict(Kind.PASS, null);
    }

    private static Verdict fail(String why) {
        return new Verdict(Kind.FAIL, why);
    }

    /** Compares our outcome with the reference's. */
    static Verdict compare(DiffOp op, DiffOutcome ours, DiffOutcome ref) {
        if (ours.error instanceof UnsupportedOperationException && thrownByEngine(ours.error)) {
            String msg = String.valueOf(ours.error.getMessage());
            if (msg.contains(op.method())) {
                return new Verdict(Kind.REFUSED, msg);
            }
            return fail("UnsupportedOperationException does not name " + op.method() + ": " + msg);
        }
        if (ref.error != null) {
            if (ref.error instanceof UnsupportedOperationException) {
                return new Verdict(Kind.SKIPPED, "the PyTorch engine does not implement it: " + ref.error.getMessage());
            }
            if (ref.error instanceof EngineException && String.valueOf(ref.error.getMessage()).contains("not implemented for")) {
                return new Verdict(Kind.SKIPPED, "libtorch has no kernel: " + firstLine(ref.error.getMessage()));
            }
            if (ours.error == null) {
                return fail("PyTorch throws " + describe(ref.error) + " but ours returns " + ours.summary());
            }
            if (!exceptionMatches(ours.error, ref.error)) {
                return fail("PyTorch throws " + describe(ref.error) + " but ours throws " + describe(ours.error)
                        + at(ours.error));
            }
            return pass();
        }
        if (ours.error != null) {
            return fail("ours throws " + describe(ours.error) + at(ours.error) + "; PyTorch returns " + ref.summary());
        }
        if (ref.arrays == null || ours.arrays == null) {
            if (ref.arrays != null || ours.arrays != null) {
                return fail("ours returns " + ours.summary() + ", PyTorch " + ref.summary());
            }
            return Objects.equals(ours.value, ref.value) ? pass()
                    : fail("ours returns " + ours.value + ", PyTorch " + ref.value);
        }
        for (Snap s : ref.arrays) {
            if (s.type == DataType.UNKNOWN) {
                return new Verdict(Kind.SKIPPED, "the PyTorch result type has no DJL DataType (int16?)");
            }
        }
        if (ours.list != ref.list || ours.arrays.size() != ref.arrays.size()) {
            return fail("ours returns " + ours.summary() + ", PyTorch " + ref.summary());
        }
        for (int i = 0; i < ref.arrays.size(); i++) {
            String why = compareArrays(op.tol, op.infinityOrNaN, ours.arrays.get(i), ref.arrays.get(i));
            if (why != null) {
                return fail((ref.list ? "element " + i + " of the list: " : "") + why);
            }
        }
        return pass();
    }

    /**
     * Tells whether our engine's code threw it (rather than DJL's own default methods, which
     * the engine inherits): a frame of the engine sits above the first frame of this suite.
     */
    static boolean thrownByEngine(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("ai.djl.batchinvariant.integration.")) {
                return false;
            }
            if (c.startsWith("ai.djl.batchinvariant.")) {
                return true;
            }
        }
        return false;
    }

    static boolean exceptionMatches(Throwable ours, Throwable ref) {
        if (ref instanceof EngineException) {
            return ours instanceof EngineException || ours instanceof IllegalArgumentException;
        }
        return ref.getClass().isInstance(ours);
    }

    private static String compareArrays(DiffTolerance tol, boolean infOrNaN, Snap a, Snap b) {
        if (!a.shape.equals(b.shape)) {
            return "shape " + DiffData.name(a.shape) + ", PyTorch " + DiffData.name(b.shape);
        }
        if (a.type != b.type) {
            return "data type " + DiffData.name(a.type) + ", PyTorch " + DiffData.name(b.type);
        }
        int n = Math.toIntExact(b.shape.size());
        int need = n * b.type.getNumOfBytes();
        if (a.bytes.remaining() < need || b.bytes.remaining() < need) {
            return "byte size " + a.bytes.remaining() + ", PyTorch " + b.bytes.remaining() + " (need " + need + ")";
        }
        if (tol == DiffTolerance.SHAPE_ONLY) {
            return null;
        }
        DataType t = b.type;
        int bad = 0;
        int first = -1;
        for (int i = 0; i < n; i++) {
            if (!elementMatches(tol, t, a.bytes, b.bytes, i) && !(infOrNaN && infAgainstNaN(t, a.bytes, b.bytes, i))) {
                if (bad++ == 0) {
                    first = i;
                }
            }
        }
        if (bad == 0) {
            return null;
        }
        double x = DiffData.element(a.bytes, t, first);
        double y = DiffData.element(b.bytes, t, first);
        return String.format(Locale.ROOT, "%d of %d elements differ (%s); first at %d: ours %s, PyTorch %s",
                bad, n, tol.exact(t) ? "exact" : "rtol " + tol.rtol(t) + ", atol " + tol.atol(t), first,
                show(x), show(y));
    }

    private static String show(double v) {
        if (v == 0 && 1 / v < 0) {
            return "-0.0";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** One side +infinity, the other NaN. */
    private static boolean infAgainstNaN(DataType t, ByteBuffer a, ByteBuffer b, int i) {
        if (!DiffData.isFloating(t)) {
            return false;
        }
        double x = DiffData.element(a, t, i);
        double y = DiffData.element(b, t, i);
        return x == Double.POSITIVE_INFINITY && Double.isNaN(y) || Double.isNaN(x) && y == Double.POSITIVE_INFINITY;
    }

    private static boolean elementMatches(DiffTolerance tol, DataType t, ByteBuffer a, ByteBuffer b, int i) {
        if (!DiffData.isFloating(t)) {
            return DiffData.element(a, t, i) == DiffData.element(b, t, i);
        }
        double x = DiffData.element(a, t, i);
        double y = DiffData.element(b, t, i);
        if (Double.isNaN(x) || Double.isNaN(y)) {
            return Double.isNaN(x) && Double.isNaN(y);
        }
        if (tol.exact(t)) {
            return Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(y);
        }
        if (Double.isInfinite(x) || Double.isInfinite(y)) {
            return x == y;
        }
        return Math.abs(x - y) <= tol.atol(t) + tol.rtol(t) * Math.abs(y);
    }

    String summary() {
        if (error != null) {
            return describe(error);
        }
        if (arrays != null) {
            return list ? "NDList" + arrays : arrays.get(0).toString();
        }
        return String.valueOf(value);
    }

    static String describe(Throwable t) {
        return t.getClass().getSimpleName() + "(" + firstLine(t.getMessage()) + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        s = nl < 0 ? s : s.substring(0, nl);
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    /** Where in our engine an exception came from: its first frame. */
    private static String at(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return st.length == 0 ? "" : " at " + st[0].getClassName().replaceAll(".*\\.", "") + "." + st[0].getMethodName()
                + ":" + st[0].getLineNumber();
    }
}
