#!/usr/bin/env bash
# The attention benchmarks of one build in one run, beside PyTorch SDPA from the same machine (run
# from the project root with the packed Java side in .gpu/): the split-size sweep of the default
# (Hopper on compute capability 9.0) kernels, the full GpuAttentionBench at the default split, the
# prefill cases once more on the sm_80 family (cuda_sm90=false), and sdpa_bench.py (flash and
# cuDNN). Logs go to LOG_DIR (default: out/).
set -uo pipefail
source "$(dirname "$0")/run_logs.sh"
export PYTHONUNBUFFERED=1
.gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench sweep > "$LOGS/attention-sweep.log" 2>&1; echo "sweep: exit $?"
.gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench > "$LOGS/attention-ours.log" 2>&1; echo "bench: exit $?"
JAVA_OPTS=-Dai.djl.batchinvariant.cuda_sm90=false .gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench prefill \
    > "$LOGS/attention-sm80-prefill.log" 2>&1; echo "sm80 prefill: exit $?"
python3 tools/sdpa_bench.py > "$LOGS/attention-sdpa.log" 2>&1; echo "sdpa_bench.py: exit $?"
grep -hv INFO "$LOGS"/attention-*.log
