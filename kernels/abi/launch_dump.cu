// Batch-invariant attention engine for DJL: prints the layout of the driver's launch structs
// (cuda.h) that the engine writes by hand for cuLaunchKernelEx through the foreign linker
// (backend/cuda/ForeignLaunches.java), one "name value" line each. The build stores the output as a
// resource; a Java test checks the launcher's offsets against it.
#include <cstddef>
#include <cstdio>

#include <cuda.h>

#define BI_AT(S, F) std::printf(#S "." #F " %zu\n", offsetof(S, F))

int main() {
  BI_AT(CUlaunchConfig, gridDimX);
  BI_AT(CUlaunchConfig, gridDimY);
  BI_AT(CUlaunchConfig, gridDimZ);
  BI_AT(CUlaunchConfig, blockDimX);
  BI_AT(CUlaunchConfig, blockDimY);
  BI_AT(CUlaunchConfig, blockDimZ);
  BI_AT(CUlaunchConfig, sharedMemBytes);
  BI_AT(CUlaunchConfig, hStream);
  BI_AT(CUlaunchConfig, attrs);
  BI_AT(CUlaunchConfig, numAttrs);
  std::printf("CUlaunchConfig %zu\n", sizeof(CUlaunchConfig));
  BI_AT(CUlaunchAttribute, id);
  BI_AT(CUlaunchAttribute, value);
  std::printf("CUlaunchAttribute %zu\n", sizeof(CUlaunchAttribute));
  BI_AT(CUlaunchAttributeValue, programmaticStreamSerializationAllowed);
  std::printf("CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION %d\n",
              (int)CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
  return 0;
}
