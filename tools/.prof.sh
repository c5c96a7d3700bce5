set -u
tar -xJf .gpu.txz
mkdir -p $OUT/p
python3 - <<'PY'
import zipfile
z=zipfile.ZipFile(".gpu/lib/ai.djl.batchinvariant.batchinvariant-kernels-0.1.0-SNAPSHOT.jar")
open("/tmp/a90.fatbin","wb").write(z.read("ai/djl/batchinvariant/kernels/attention_sm90.fatbin"))
PY
cuobjdump -sass /tmp/a90.fatbin > /tmp/a90.sass; echo "HGMMA lines: $(grep -c HGMMA /tmp/a90.sass)" > $OUT/p/sass.txt
grep -A3 "Function : bi_attention90_bf16_d128" /tmp/a90.sass | head -3 >> $OUT/p/sass.txt
S="--section SpeedOfLight --section MemoryWorkloadAnalysis --section WarpStateStats --section SchedulerStats --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis"
timeout 150 ncu --target-processes all -k regex:bi_attention90 --launch-skip 3 --launch-count 1 $S .gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench quick > $OUT/p/ncu-decode.txt 2>&1
echo "decode ncu: $?"
timeout 200 ncu --target-processes all -k regex:bi_attention90 --launch-skip 3 --launch-count 1 $S .gpu/java ai.djl.batchinvariant.bench.GpuAttentionBench prefill > $OUT/p/ncu-prefill.txt 2>&1
echo "prefill ncu: $?"
grep -E "Duration|Throughput|Warp Cycles Per Issued|Stall|Achieved Occupancy|Registers|Block Limit|Issue Slot|No Eligible|L2 Hit|DRAM Through|One or More" $OUT/p/ncu-*.txt | cut -c1-160
