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

/**
 * {@link TensorMaps.Encoder} on the foreign linker: {@code cuTensorMapEncodeTiled} from the CUDA
 * driver library this process has loaded ({@link ForeignDriver}). Loaded reflectively by
 * {@link TensorMaps} only when {@code jdk.incubator.foreign} is present; its constructor throws
 * where native access is not granted or the symbol is missing.
 */
final class ForeignTensorMaps implements TensorMaps.Encoder {

    // CUtensorMapDataType, CUtensorMapSwizzle, CUtensorMapL2promotion values of cuda.h
    private static final int FLOAT16 = 6;
    private static final int BFLOAT16 = 9;
    private static final int SWIZZLE_128B = 3;
    private static final int L2_PROMOTION_256B = 3;

    private final MethodHandle encode;

    ForeignTensorMaps() throws IOException {
        MemoryAddress symbol = ForeignDriver.symbol("cuTensorMapEncodeTiled");
        encode = CLinker.getInstance().downcallHandle(symbol,
                MethodType.methodType(int.class, MemoryAddress.class, int.class, int.class, MemoryAddress.class,
                        MemoryAddress.class, MemoryAddress.class, MemoryAddress.class, MemoryAddress.class, int.class,
                        int.class, int.class, int.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_INT, CLinker.C_INT,
                        CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER,
                        CLinker.C_INT, CLinker.C_INT, CLinker.C_INT, CLinker.C_INT));
    }

    /** {@inheritDoc} */
    @Override
    public byte[] encode2d(long address, long rows, long k, int boxRows, boolean bfloat16) {
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            MemorySegment map = MemorySegment.allocateNative(TensorMaps.MAP_BYTES, 64, scope);
            MemorySegment dims = MemorySegment.allocateNative(16, 8, scope);
            MemoryAccess.setLongAtIndex(dims, 0, k);
            MemoryAccess.setLongAtIndex(dims, 1, rows);
            MemorySegment strides = MemorySegment.allocateNative(8, 8, scope);
            MemoryAccess.setLongAtIndex(strides, 0, k * 2);
            MemorySegment box = MemorySegment.allocateNative(8, 4, scope);
            MemoryAccess.setIntAtIndex(box, 0, 64);
            MemoryAccess.setIntAtIndex(box, 1, boxRows);
            MemorySegment elementStrides = MemorySegment.allocateNative(8, 4, scope);
            MemoryAccess.setIntAtIndex(elementStrides, 0, 1);
            MemoryAccess.setIntAtIndex(elementStrides, 1, 1);
            int status = (int) encode.invokeExact(map.address(), bfloat16 ? BFLOAT16 : FLOAT16, 2,
                    MemoryAddress.ofLong(address), dims.address(), strides.address(), box.address(),
                    elementStrides.address(), 0, SWIZZLE_128B, L2_PROMOTION_256B, 0);
            return status == 0 ? map.toByteArray() : null;
        } catch (Throwable t) {
            return null;
        }
    }
}
