#!/usr/bin/env bash
# Compiles every kernel family (src/*.cu) into a fatbin resource: sm_80 and sm_90 cubins plus
# compute_90 PTX (the *_sm90 families: an sm_90a cubin only). Called by Maven (kernels/pom.xml)
# with the output folder as $1. Without nvcc the jar carries no kernels and the engine runs on its
# CPU backend.
set -euo pipefail
cd "$(dirname "$0")"
OUT=${1:-target/classes/ai/djl/batchinvariant/kernels}
NVCC=${NVCC:-$(command -v nvcc || true)}
if [ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ]; then NVCC=/usr/local/cuda/bin/nvcc; fi
if [ -z "$NVCC" ]; then
  echo "[kernels] nvcc not found: no CUDA kernels in this build; the CPU backend is unaffected."
  exit 0
fi
mkdir -p "$OUT" target
GENCODE="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
for src in src/*.cu; do
  name=$(basename "$src" .cu)
  if [ "$OUT/$name.fatbin" -nt "$src" ] && [ -z "$(find include -newer "$OUT/$name.fatbin")" ]; then
    echo "[kernels] $name.fatbin is up to date"
    continue
  fi
  echo "[kernels] nvcc $src -> $OUT/$name.fatbin"
  # *_sm90.cu use Hopper-only instructions (wgmma): built for sm_90a alone, loaded only there
  gencode=$GENCODE
  case "$name" in *_sm90) gencode="-gencode arch=compute_90a,code=sm_90a" ;; esac
  "$NVCC" -O3 -std=c++17 -Iinclude $gencode -fatbin --resource-usage -Werror all-warnings \
      -o "$OUT/$name.fatbin" "$src" > "target/resource-usage-$name.txt" 2>&1 \
      || { cat "target/resource-usage-$name.txt"; exit 1; }
  # a warp-dependent branch around registers a wgmma uses makes ptxas serialise the wgmma
  # instructions (C7520): a performance bug that nothing else would show, so it fails the build
  if grep -q "C7520" "target/resource-usage-$name.txt"; then
    grep "C7520" "target/resource-usage-$name.txt"; exit 1
  fi
  # the register/spill report of every entry point, per architecture
  if grep -Eq "[1-9][0-9]* bytes spill (stores|loads)" "target/resource-usage-$name.txt"; then
    echo "[kernels] warning: register spills in $name, see kernels/target/resource-usage-$name.txt"
  fi
done
# the parameter structs' layout as the device compiler sees it; the Java mirror is tested against it
"$NVCC" -std=c++17 -Iinclude -o target/abi_dump abi/abi_dump.cu
target/abi_dump > "$OUT/abi.txt"
# the driver's launch structs, which the foreign-linker launcher writes by hand
"$NVCC" -std=c++17 -o target/launch_dump abi/launch_dump.cu
target/launch_dump > "$OUT/launch_abi.txt"
"$NVCC" --version | tail -1 > "$OUT/nvcc.version"
