#!/usr/bin/env bash
# The GPU checks of one build in one run (run from the project root with the packed Java
# side in .gpu/, see the README's GPU section): the Hopper GEMM's stand-alone check under
# compute-sanitizer memcheck and racecheck, the GPU test suites (tag gpu), and beside them the
# generation soak for SOAK_SECONDS. Logs go to LOG_DIR (default: out/).
set -uo pipefail
SOAK_SECONDS=${SOAK_SECONDS:-60}
source "$(dirname "$0")/run_logs.sh"
nvcc -O3 -std=c++17 -Ikernels/include -gencode arch=compute_90a,code=sm_90a tools/gemm90_check.cu -lcublas -lcuda \
    -o /tmp/gemm90_check 2>&1 | grep -v C7519
for tool in memcheck racecheck; do
  compute-sanitizer --tool $tool --error-exitcode 9 /tmp/gemm90_check --small > "$LOGS/sanitizer-gemm90-$tool.log" 2>&1
  echo "compute-sanitizer $tool: exit $? ($(grep -h 'ERROR SUMMARY' "$LOGS/sanitizer-gemm90-$tool.log"))"
done
JAVA_OPTS="-Dsoak.seconds=$SOAK_SECONDS" .gpu/test --include-classname '.*GpuGenerationSoakTest' \
    > "$LOGS/soak.log" 2>&1 &
soak=$!
.gpu/test --include-tag gpu --exclude-classname '.*GpuGenerationSoakTest' > "$LOGS/gpu-tests.log" 2>&1
echo "gpu tests: exit $?"
wait $soak
echo "soak: exit $?"
grep -E "tests (successful|failed|skipped|found)" "$LOGS/gpu-tests.log" "$LOGS/soak.log"
