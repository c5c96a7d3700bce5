#!/usr/bin/env bash
# The attention kernels' checks of one build in one run (run from the project root with the packed
# Java side in .gpu/): the Hopper family's SASS and resource report, the GPU test suites (tag gpu,
# the soak aside), and compute-sanitizer memcheck and racecheck over the attention kernels driven by
# GpuAttentionTest. Logs go to LOG_DIR (default: out/).
set -uo pipefail
source "$(dirname "$0")/run_logs.sh"
python3 - "$LOGS" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(".gpu/lib/ai.djl.batchinvariant.batchinvariant-kernels-0.1.0-SNAPSHOT.jar")
open("/tmp/attention_sm90.fatbin", "wb").write(z.read("ai/djl/batchinvariant/kernels/attention_sm90.fatbin"))
PY
cuobjdump -sass /tmp/attention_sm90.fatbin > /tmp/attention_sm90.sass
{ echo "HGMMA instructions per Hopper attention kernel:"
  awk '/Function :/ {f=$3} /HGMMA/ {n[f]++} END {for (k in n) print "  " k, n[k]}' /tmp/attention_sm90.sass | sort
} > "$LOGS/sass-attention90.txt"
cat "$LOGS/sass-attention90.txt"
.gpu/test --include-tag gpu --exclude-classname '.*GpuGenerationSoakTest' > "$LOGS/gpu-tests.log" 2>&1
echo "gpu tests: exit $?"
grep -E "tests (successful|failed|aborted|found)" "$LOGS/gpu-tests.log"
for tool in memcheck racecheck; do
  timeout 120 compute-sanitizer --tool $tool --target-processes all --kernel-name kns=attention --error-exitcode 9 \
      .gpu/test --include-classname '.*GpuAttentionTest' > "$LOGS/sanitizer-attention-$tool.log" 2>&1
  echo "compute-sanitizer $tool: exit $? ($(grep -h 'ERROR SUMMARY\|RACECHECK SUMMARY' "$LOGS/sanitizer-attention-$tool.log" | tail -1))"
done
