/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import java.util.Arrays;
import java.util.List;

/**
 * The byte layout of one kernel parameter struct, computed from its fields in declaration order
 * with the C rules of the device compiler (each field aligned to its size, the struct to its
 * largest field). A test compares it with the compiler's own dump.
 */
public final class ParamsLayout {

    /** Field kinds: a device pointer, a 32-bit int, a float, a 64-bit int. */
    public enum Kind {
        /** A device address (8 bytes). */
        PTR(8),
        /** A C int. */
        I32(4),
        /** A C float. */
        F32(4),
        /** A C long long. */
        I64(8),
        /** Eight C long longs ({@code i64x8}: a shape or strides of up to 8 axes). */
        I64X8(64, 8),
        /** A tensor map for the copy engine ({@code bi::TmaMap}: 128 bytes, 64-byte aligned). */
        MAP(128, 64);

        private final int size;
        private final int align;

        Kind(int size) {
            this(size, size);
        }

        Kind(int size, int align) {
            this.size = size;
            this.align = align;
        }

        /**
         * Returns the field's alignment.
         *
         * @return bytes
         */
        public int align() {
            return align;
        }

        /**
         * Returns the field's size.
         *
         * @return bytes
         */
        public int size() {
            return size;
        }
    }

    private final String name;
    private final String[] fields;
    private final Kind[] kinds;
    private final int[] offsets;
    private final int size;

    ParamsLayout(String name, String[] fields, Kind[] kinds) {
        this.name = name;
        this.fields = fields.clone();
        this.kinds = kinds.clone();
        offsets = new int[fields.length];
        int at = 0;
        int align = 1;
        for (int i = 0; i < fields.length; i++) {
            int s = kinds[i].size();
            int a = kinds[i].align();
            at = (at + a - 1) / a * a;
            offsets[i] = at;
            at += s;
            align = Math.max(align, a);
        }
        size = (at + align - 1) / align * align;
    }

    /**
     * Expands runs of field kinds, e.g. {@code kinds(4, Kind.PTR, 2, Kind.I32)}, in declaration
     * order.
     *
     * @param runs pairs of (count, kind)
     * @return the kinds
     */
    static Kind[] kinds(Object... runs) {
        int n = 0;
        for (int i = 0; i < runs.length; i += 2) {
            n += (Integer) runs[i];
        }
        Kind[] k = new Kind[n];
        int at = 0;
        for (int i = 0; i < runs.length; i += 2) {
            for (int j = 0; j < (Integer) runs[i]; j++) {
                k[at++] = (Kind) runs[i + 1];
            }
        }
        return k;
    }

    /**
     * Returns the struct's C name.
     *
     * @return the name, e.g. "AttnParams"
     */
    public String getName() {
        return name;
    }

    /**
     * Returns the field names in declaration order.
     *
     * @return the names
     */
    public List<String> getFields() {
        return Arrays.asList(fields);
    }

    /**
     * Returns a field's kind.
     *
     * @param field the field index
     * @return the kind
     */
    public Kind kind(int field) {
        return kinds[field];
    }

    /**
     * Returns a field's byte offset.
     *
     * @param field the field index
     * @return the offset
     */
    public int offset(int field) {
        return offsets[field];
    }

    /**
     * Returns the struct's size.
     *
     * @return bytes
     */
    public int size() {
        return size;
    }

    /**
     * Starts an empty parameter block of this layout.
     *
     * @return zeroed parameters
     */
    public Params newParams() {
        return new Params(this);
    }
}
