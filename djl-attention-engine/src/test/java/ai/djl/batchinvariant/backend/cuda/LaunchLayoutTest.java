/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The offsets the foreign-linker launcher writes {@code cuLaunchKernelEx}'s structs with, against
 * the layout cuda.h gives them as the host compiler saw it at build time ({@code
 * kernels/abi/launch_dump.cu}): a wrong offset would launch with a garbage grid or stream, or
 * without the dependency attribute, and no other test without a GPU would see it.
 */
class LaunchLayoutTest {

    private static Map<String, Integer> dump() throws IOException {
        InputStream in = LaunchLayoutTest.class.getResourceAsStream("/ai/djl/batchinvariant/kernels/launch_abi.txt");
        Assumptions.assumeTrue(in != null, "this build carries no kernels (nvcc absent at build time)");
        Map<String, Integer> out = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] p = line.trim().split(" ");
                out.put(p[0], Integer.parseInt(p[1]));
            }
        }
        return out;
    }

    @Test
    void theLauncherWritesTheDriversLayout() throws IOException {
        Map<String, Integer> h = dump();
        assertEquals(h.get("CUlaunchConfig.gridDimX"), ForeignLaunches.GRID_AT);
        assertEquals(h.get("CUlaunchConfig.gridDimY"), ForeignLaunches.GRID_AT + 4);
        assertEquals(h.get("CUlaunchConfig.gridDimZ"), ForeignLaunches.GRID_AT + 8);
        assertEquals(h.get("CUlaunchConfig.blockDimX"), ForeignLaunches.BLOCK_AT);
        assertEquals(h.get("CUlaunchConfig.blockDimY"), ForeignLaunches.BLOCK_AT + 4);
        assertEquals(h.get("CUlaunchConfig.blockDimZ"), ForeignLaunches.BLOCK_AT + 8);
        assertEquals(h.get("CUlaunchConfig.sharedMemBytes"), ForeignLaunches.SMEM_AT);
        assertEquals(h.get("CUlaunchConfig.hStream"), ForeignLaunches.STREAM_AT);
        assertEquals(h.get("CUlaunchConfig.attrs"), ForeignLaunches.ATTRS_AT);
        assertEquals(h.get("CUlaunchConfig.numAttrs"), ForeignLaunches.NUM_ATTRS_AT);
        assertEquals(h.get("CUlaunchConfig"), ForeignLaunches.CONFIG_BYTES);
        assertTrue(ForeignLaunches.ATTRIBUTE_AT >= ForeignLaunches.CONFIG_BYTES && ForeignLaunches.ATTRIBUTE_AT % 8 == 0,
                "the attribute follows the config, 8-byte aligned");
        assertEquals(0, (int) h.get("CUlaunchAttribute.id"));
        assertEquals(h.get("CUlaunchAttribute.value"), ForeignLaunches.VALUE_AT);
        assertEquals(h.get("CUlaunchAttribute"), ForeignLaunches.ATTRIBUTE_BYTES);
        assertEquals(0, (int) h.get("CUlaunchAttributeValue.programmaticStreamSerializationAllowed"));
        assertEquals(h.get("CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION"),
                ForeignLaunches.PROGRAMMATIC_STREAM_SERIALIZATION);
    }
}
