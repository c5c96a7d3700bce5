set -u
tar -xJf .gpu.txz
L=$OUT/r; mkdir -p $L
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $L/device.txt
(timeout 330 .gpu/test --include-classname '.*(GpuAttention|GpuDecodeGraph|GpuPlanReuse|GpuFusedAttention|GpuCapturedGraph|FusedTilesPlan).*' > $L/tests.log 2>&1; echo "tests exit $?")
grep -E "tests (successful|failed|aborted|found)" $L/tests.log
grep -E "differ between|MethodSource|✘" $L/tests.log | head -20
timeout 150 .gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench sweep > $L/sweep90.log 2>&1; echo "sweep $?"
JAVA_OPTS=-Dai.djl.batchinvariant.cuda_sm90=false timeout 60 .gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench prefill > $L/prefill80.log 2>&1
cat $L/sweep90.log $L/prefill80.log | grep -v INFO
tar czf $OUT/r.tgz -C $OUT r
