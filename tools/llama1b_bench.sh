#!/usr/bin/env bash
# Llama-3.2-1B-shaped generation benchmark, transformers against the engine, on one GPU machine:
#   tools/llama1b_bench.sh [MODEL_DIR] [LOG_DIR]
# 1. tools/llama1b_bench.py builds the random bfloat16 checkpoint in MODEL_DIR (config.json +
#    model.safetensors) and times transformers' greedy generate on it;
# 2. GenerationBench loads the same directory through DJL's Criteria on gpu(0) and times the
#    engine's Generator on the same cases, checking each request's tokens and logprob bits across
#    the batchings (its exit status is 1 on a mismatch);
# 3. one table of both.
# Run from the project root. JAVA_CMD (default .gpu/java, the packed Java side) runs the main
# class; HF_ARGS and OURS_ARGS pass settings to each side (e.g. OURS_ARGS="decode_graph=false").
set -uo pipefail
DIR=${1:-${TMPDIR:-/tmp}/llama1b-random}
LOGS=${2:-.}
JAVA_CMD=${JAVA_CMD:-.gpu/java}
mkdir -p "$LOGS"
python3 tools/llama1b_bench.py --out "$DIR" ${HF_ARGS:-} 2>&1 | tee "$LOGS/llama1b-hf.log"
hf=${PIPESTATUS[0]}
$JAVA_CMD ai.djl.batchinvariant.bench.GenerationBench "$DIR" ${OURS_ARGS:-} 2>&1 | tee "$LOGS/llama1b-ours.log"
ours=${PIPESTATUS[0]}
python3 - "$LOGS/llama1b-hf.log" "$LOGS/llama1b-ours.log" <<'EOP' | tee "$LOGS/llama1b-table.md"
import sys
vals = {}
for path in sys.argv[1:]:
    for line in open(path, errors="replace"):
        f = line.split()
        if len(f) == 4 and f[0] == "RESULT":
            vals.setdefault(f[2], {})[f[1]] = f[3]
targets = {"decode_tok_s_b1": ">= 400", "decode_tok_s_b64": ">= 10000"}
print("| metric | transformers | engine | engine / transformers | target |")
print("|---|---:|---:|---:|---|")
for m, v in vals.items():
    hf, ours = v.get("hf", "-"), v.get("ours", "-")
    try:
        ratio = f"{float(ours) / float(hf):.2f}"
    except ValueError:
        ratio = "-"
    target = targets.get(m, ">= transformers" if m.startswith("prefill") else "")
    print(f"| {m} | {hf} | {ours} | {ratio} | {target} |")
EOP
echo "exit status: transformers $hf, engine $ours"
[ "$hf" -eq 0 ] && [ "$ours" -eq 0 ]
