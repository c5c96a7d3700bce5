#!/usr/bin/env bash
# The model-level GPU benchmarks of one build, each beside its reference from the same run (from
# the project root with the packed Java side in .gpu/): the memory-bound ops and the SwiGLU gate
# (GpuOpsBench, ops_bench.py) and the 1B-shape generation benchmark against transformers
# (llama1b_bench.sh). With BASE=DIR, a packed Java side of an earlier build, that build's engine
# then runs the same generation cases on the same machine (before/after). Logs go to LOG_DIR
# (default: out/).
set -uo pipefail
source "$(dirname "$0")/run_logs.sh"
export PYTHONUNBUFFERED=1
.gpu/java ai.djl.batchinvariant.bench.GpuOpsBench > "$LOGS/ops-ours.log" 2>&1; echo "GpuOpsBench: exit $?"
python3 tools/ops_bench.py > "$LOGS/ops-torch.log" 2>&1; echo "ops_bench.py: exit $?"
tools/llama1b_bench.sh /tmp/llama1b-random "$LOGS" > "$LOGS/llama1b.log" 2>&1; echo "llama1b_bench: exit $?"
if [ -n "${BASE:-}" ]; then
  "$BASE/java" ai.djl.batchinvariant.bench.GenerationBench /tmp/llama1b-random > "$LOGS/llama1b-base.log" 2>&1
  echo "earlier build's GenerationBench: exit $?"
  grep RESULT "$LOGS/llama1b-base.log"
fi
cat "$LOGS/llama1b-table.md"
