/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link DependentLaunch.Launcher} on the foreign linker: the driver's {@code cuLaunchKernelEx}
 * with the programmatic-stream-serialization attribute. Loaded reflectively by {@link
 * DependentLaunch} only when {@code jdk.incubator.foreign} is present; its constructor throws where
 * native access is not granted or the symbol is missing.
 */
final class ForeignLaunches implements DependentLaunch.Launcher {

    // CUlaunchConfig of cuda.h: grid x/y/z, block x/y/z, sharedMemBytes (7 unsigned ints), then
    // hStream, attrs (pointers) and numAttrs (LaunchLayoutTest checks each against the header)
    static final int GRID_AT = 0;
    static final int BLOCK_AT = 12;
    static final int SMEM_AT = 24;
    static final int STREAM_AT = 32;
    static final int ATTRS_AT = 40;
    static final int NUM_ATTRS_AT = 48;
    static final int CONFIG_BYTES = 56;
    // a CUlaunchAttribute (id, 4 bytes of padding, the 64-byte value union) after the config
    static final int ATTRIBUTE_AT = 64;
    static final int ATTRIBUTE_BYTES = 72;
    static final int VALUE_AT = 8;
    /** CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION. */
    static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;
    // the kernelParams array (one pointer: the struct), then the struct, 16-byte aligned
    private static final int ARGS_AT = ATTRIBUTE_AT + ATTRIBUTE_BYTES;
    private static final int PARAMS_AT = ARGS_AT + 8;

    private final MethodHandle launchEx;

    ForeignLaunches() throws IOException {
        MemoryAddress symbol = ForeignDriver.symbol("cuLaunchKernelEx");
        launchEx = CLinker.getInstance().downcallHandle(symbol,
                MethodType.methodType(int.class, MemoryAddress.class, MemoryAddress.class, MemoryAddress.class,
                        MemoryAddress.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER,
                        CLinker.C_POINTER));
    }

    /**
     * Each thread's native copy of the launch being made: the driver reads the configuration and
     * copies the struct during the call (into a graph at capture), so one block a thread serves
     * every launch, with nothing allocated or freed per launch.
     */
    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    /** {@inheritDoc} */
    @Override
    public DependentLaunch.Prepared prepare(long function, int blocks, int threads, int smem, byte[] params) {
        // the launch's bytes but the three addresses (stream, attribute array, argument array)
        ByteBuffer b = ByteBuffer.allocate(PARAMS_AT + params.length).order(ByteOrder.nativeOrder());
        b.putInt(GRID_AT, blocks).putInt(GRID_AT + 4, 1).putInt(GRID_AT + 8, 1);
        b.putInt(BLOCK_AT, threads).putInt(BLOCK_AT + 4, 1).putInt(BLOCK_AT + 8, 1);
        b.putInt(SMEM_AT, smem);
        b.putInt(NUM_ATTRS_AT, 1);
        b.putInt(ATTRIBUTE_AT, PROGRAMMATIC_STREAM_SERIALIZATION);
        b.putInt(ATTRIBUTE_AT + VALUE_AT, 1);
        b.put(PARAMS_AT, params);
        MemorySegment image = MemorySegment.ofArray(b.array());
        MemoryAddress f = MemoryAddress.ofLong(function);
        return stream -> {
            MemorySegment m = scratch((int) image.byteSize());
            m.asSlice(0, image.byteSize()).copyFrom(image);
            MemoryAccess.setLongAtOffset(m, STREAM_AT, stream);
            MemoryAccess.setAddressAtOffset(m, ATTRS_AT, m.address().addOffset(ATTRIBUTE_AT));
            MemoryAccess.setAddressAtOffset(m, ARGS_AT, m.address().addOffset(PARAMS_AT));
            try {
                return (int) launchEx.invokeExact(m.address(), f, m.address().addOffset(ARGS_AT), MemoryAddress.NULL);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("cuLaunchKernelEx", t);
            }
        };
    }

    private static MemorySegment scratch(int bytes) {
        MemorySegment[] held = SCRATCH.get();
        if (held[0] == null || held[0].byteSize() < bytes) {
            // freed once the thread, and so its segment, is gone
            held[0] = MemorySegment.allocateNative(Math.max(1024, bytes), 16, ResourceScope.newImplicitScope());
        }
        return held[0];
    }
}
