/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda.abi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * One kernel's parameter block: the bytes of its params struct, filled field by field and passed
 * to {@code cuLaunchKernel} as the kernel's single argument.
 */
public final class Params {

    private final ParamsLayout layout;
    private final byte[] bytes;
    private final ByteBuffer buf;

    Params(ParamsLayout layout) {
        this.layout = layout;
        bytes = new byte[layout.size()];
        buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private int at(int field, ParamsLayout.Kind kind) {
        if (layout.kind(field) != kind) {
            throw new IllegalArgumentException(layout.getName() + "." + layout.getFields().get(field) + " is "
                    + layout.kind(field) + ", not " + kind);
        }
        return layout.offset(field);
    }

    /**
     * Sets a pointer field.
     *
     * @param field the field index
     * @param ptr the device pointer (null for a null pointer)
     * @return this
     */
    public Params ptr(int field, CUdeviceptr ptr) {
        buf.putLong(at(field, ParamsLayout.Kind.PTR), ptr == null ? 0L : DevicePointers.address(ptr));
        return this;
    }

    /**
     * Sets an int field.
     *
     * @param field the field index
     * @param value the value
     * @return this
     */
    public Params i32(int field, int value) {
        buf.putInt(at(field, ParamsLayout.Kind.I32), value);
        return this;
    }

    /**
     * Sets a float field.
     *
     * @param field the field index
     * @param value the value
     * @return this
     */
    public Params f32(int field, float value) {
        buf.putFloat(at(field, ParamsLayout.Kind.F32), value);
        return this;
    }

    /**
     * Sets a 64-bit int field.
     *
     * @param field the field index
     * @param value the value
     * @return this
     */
    public Params i64(int field, long value) {
        buf.putLong(at(field, ParamsLayout.Kind.I64), value);
        return this;
    }

    /**
     * Sets an {@code i64x8} field: up to 8 values, the rest zero.
     *
     * @param field the field index
     * @param values the values (at most 8)
     * @return this
     */
    public Params i64s(int field, long[] values) {
        if (values.length > 8) {
            throw new IllegalArgumentException(layout.getName() + "." + layout.getFields().get(field)
                    + " holds at most 8 values, got " + values.length);
        }
        int at = at(field, ParamsLayout.Kind.I64X8);
        for (int i = 0; i < 8; i++) {
            buf.putLong(at + 8 * i, i < values.length ? values[i] : 0L);
        }
        return this;
    }

    /**
     * Sets a tensor-map field ({@code bi::TmaMap}).
     *
     * @param field the field index
     * @param map the map's 128 bytes, as the driver encoded them
     * @return this
     */
    public Params map(int field, byte[] map) {
        if (map.length != ParamsLayout.Kind.MAP.size()) {
            throw new IllegalArgumentException(layout.getName() + "." + layout.getFields().get(field) + " takes "
                    + ParamsLayout.Kind.MAP.size() + " bytes, got " + map.length);
        }
        int at = at(field, ParamsLayout.Kind.MAP);
        System.arraycopy(map, 0, bytes, at, map.length);
        return this;
    }

    /**
     * Returns a copy of the block's bytes, for launches that pass the struct by other means than
     * JCuda (the driver's {@code cuLaunchKernelEx} through the foreign linker).
     *
     * @return the struct's bytes
     */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /**
     * Returns the block, then any further by-value arguments (e.g. 128-byte tensor maps), as
     * {@code cuLaunchKernel}'s kernelParams. JCuda copies the bytes at launch (and into a graph at
     * capture), so the block may be refilled afterwards.
     *
     * @param more the further arguments' bytes (none for most kernels: the struct alone)
     * @return the kernel parameters
     */
    public Pointer toKernelParams(byte[]... more) {
        Pointer[] args = new Pointer[1 + more.length];
        args[0] = Pointer.to(bytes);
        for (int i = 0; i < more.length; i++) {
            args[i + 1] = Pointer.to(more[i]);
        }
        return Pointer.to(args);
    }
}
