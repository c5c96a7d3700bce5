#!/usr/bin/env bash
# compute-sanitizer memcheck and racecheck over the model path's kernels, each driven by the test
# that exercises it (run from the project root with the packed Java side in .gpu/): the SwiGLU gate,
# the Hopper GEMM's SwiGLU store and the fused norms (GpuFusedOpsTest), the rotating KV append
# (GpuAttentionTest) and the long-row reductions (GpuReductionTest). Only the named kernels are instrumented. Logs go to
# LOG_DIR (default: out/).
set -uo pipefail
source "$(dirname "$0")/run_logs.sh"
check() {  # kernel-name substring, test class
  for tool in memcheck racecheck; do
    timeout 240 compute-sanitizer --tool $tool --target-processes all --kernel-name kns=$1 --error-exitcode 9 \
        .gpu/test --include-classname ".*$2" > "$LOGS/sanitizer-$1-$tool.log" 2>&1
    echo "compute-sanitizer $tool over $1 ($2): exit $? ($(grep -h 'ERROR SUMMARY\|RACECHECK SUMMARY' \
        "$LOGS/sanitizer-$1-$tool.log" | tail -1); $(grep -hE 'tests (successful|failed)' "$LOGS/sanitizer-$1-$tool.log" | tr -s ' ' | tr '\n' ' '))"
  done
}
check silu_mul GpuFusedOpsTest
check gemm90 GpuFusedOpsTest
check norm_rows GpuFusedOpsTest
check kv_append GpuAttentionTest
check reduce_long_rows GpuReductionTest
