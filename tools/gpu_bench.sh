#!/usr/bin/env bash
# The GPU benchmarks of one build in one run, each beside its reference from the same
# machine (run from the project root with the packed Java side in .gpu/): the Hopper GEMM kernels
# against cuBLAS (tools/gemm90_check.cu), the engine's linear against torch (GpuGemmBench,
# gemm_bench.py), the memory-bound ops (GpuOpsBench, ops_bench.py) and the 1B-shape generation
# benchmark against transformers (llama1b_bench.sh). Logs go to LOG_DIR (default: out/).
set -uo pipefail
source "$(dirname "$0")/run_logs.sh"
export PYTHONUNBUFFERED=1
nvcc -O3 -std=c++17 -Ikernels/include -gencode arch=compute_90a,code=sm_90a tools/gemm90_check.cu -lcublas \
    -lcuda -o /tmp/gemm90_check 2>&1 | grep -v C7519
/tmp/gemm90_check > "$LOGS/gemm90_check.log" 2>&1; echo "gemm90_check: exit $?"
.gpu/java ai.djl.batchinvariant.bench.GpuGemmBench > "$LOGS/gemm-ours.log" 2>&1; echo "GpuGemmBench: exit $?"
python3 tools/gemm_bench.py > "$LOGS/gemm-cublas.log" 2>&1; echo "gemm_bench.py: exit $?"
.gpu/java ai.djl.batchinvariant.bench.GpuOpsBench > "$LOGS/ops-ours.log" 2>&1; echo "GpuOpsBench: exit $?"
python3 tools/ops_bench.py > "$LOGS/ops-torch.log" 2>&1; echo "ops_bench.py: exit $?"
tools/llama1b_bench.sh /tmp/llama1b-random "$LOGS" > "$LOGS/llama1b.log" 2>&1; echo "llama1b_bench: exit $?"
cat "$LOGS/llama1b-table.md" 2>/dev/null
