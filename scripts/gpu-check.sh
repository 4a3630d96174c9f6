#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one go, from binaries built elsewhere
# (scripts/make-gpu-bundle.sh): no Rust toolchain or network needed, only the driver, CUDA 13
# libraries (NVRTC, cuBLAS) and PyTorch.
#
#   bash scripts/gpu-check.sh [BUNDLE (default gpu-bundle)] [--epochs N (default 1)]
#
# (a) the CUDA tests: every kernel against the CPU, a few training steps on both devices;
# (b) one AlexNet epoch with rustgrad (60 000 images, batch 128, 224x224): seconds, images/s,
#     peak GPU memory;
# (c) the same epoch in PyTorch, two ways: the classic pipeline (CPU resize in DataLoader
#     workers) and compute-only (data resized on the GPU);
# (d) a summary table with the ratios. --epochs 5 is the accuracy run (>= 0.90 expected);
# (e) each AlexNet conv layer and one training step at batch 32 next to PyTorch on the GPU
#     (scripts/compare_pytorch.py with the bundle's layer_timing binary).
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=gpu-bundle
epochs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    *) bundle=$1; shift ;;
  esac
done
[ -d "$bundle/bin" ] || { echo "no $bundle/bin: build the bundle with scripts/make-gpu-bundle.sh" >&2; exit 2; }
data="$bundle/data"
out=$(mktemp -d)

# CUDA libraries: the toolkit's, and those of the Python packages PyTorch brings.
libs=""
for dir in /usr/local/cuda/lib64 $(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(" ".join(os.path.join(p, d, "lib") for d in sorted(os.listdir(p))))' 2>/dev/null); do
  [ -d "$dir" ] && libs="$libs:$dir"
done
export LD_LIBRARY_PATH="${libs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu"
card=$(cut -d, -f1 "$out/gpu" | head -1)

# Peak device memory of a command: nvidia-smi sampled every 100 ms, minus what was in use before.
peak_mib() {
  local baseline log pid
  baseline=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
  log=$(mktemp)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$log" &
  pid=$!
  "$@"
  local status=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  echo $(( $(sort -n "$log" | tail -1) - baseline )) > "$out/peak"
  return $status
}

echo "== (a) CUDA tests"
tests_ok=yes
for binary in "$bundle"/bin/*; do
  name=$(basename "$binary")
  [ "$name" = alexnet ] && continue
  echo "-- $name"
  "$binary" --nocapture --test-threads 1 || tests_ok=no
done

echo "== (b) rustgrad AlexNet, $epochs epoch(s)"
peak_mib "$bundle/bin/alexnet" --device cuda --epochs "$epochs" --data-dir "$data" | tee "$out/ours"
ours_peak=$(cat "$out/peak")
ours_seconds=$(sed -n 's/.*time \([0-9.]*\) sec.*/\1/p' "$out/ours" | tail -1)
ours_acc=$(sed -n 's/.*test acc \([0-9.]*\),.*/\1/p' "$out/ours" | tail -1)

run_pytorch() {
  echo "== (c) PyTorch, $1 pipeline"
  peak_mib python3 scripts/alexnet_epoch_pytorch.py --mode "$1" --epochs "$epochs" --data-dir "$data" | tee "$out/$1"
  cp "$out/peak" "$out/$1.peak"
}
run_pytorch compute
run_pytorch classic
field() { sed -n "s/^RESULT $1 .*$2=\([0-9.]*\).*/\1/p" "$out/$1"; }

echo "== (d) summary ($card, last epoch of $epochs)"
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}x' if a and b else 'n/a')" "$1" "$2" 2>/dev/null || echo n/a; }
printf '%-28s %10s %10s %12s %9s\n' run "s/epoch" "images/s" "peak MiB" "test acc"
images_per_s=$(python3 -c "print(f'{60000 / float(\"$ours_seconds\"):.0f}')" 2>/dev/null || echo n/a)
printf '%-28s %10s %10s %12s %9s\n' rustgrad "$ours_seconds" "$images_per_s" "$ours_peak" "$ours_acc"
for mode in compute classic; do
  printf '%-28s %10s %10s %12s %9s\n' "pytorch $mode" "$(field $mode seconds)" "$(field $mode images_per_s)" "$(cat "$out/$mode.peak")" "$(field $mode test_acc)"
done
echo "epoch time vs PyTorch classic: $(ratio "$ours_seconds" "$(field classic seconds)") (target <= 0.5x)"
echo "epoch time vs PyTorch compute-only: $(ratio "$ours_seconds" "$(field compute seconds)") (target <= 1.0x)"
echo "peak memory vs PyTorch compute-only: $(ratio "$ours_peak" "$(cat "$out/compute.peak")") (target <= 1.0x)"
echo "CUDA tests passed: $tests_ok"

echo "== (e) per layer and training step, batch 32, against PyTorch on the GPU"
python3 scripts/compare_pytorch.py --device cuda --binary "$bundle/bin/layer_timing" --rounds 2 ||
  echo "(the per-layer comparison failed; the results above stand)"
[ "$tests_ok" = yes ]
