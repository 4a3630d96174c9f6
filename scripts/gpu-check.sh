#!/usr/bin/env bash
# Everything that needs an NVIDIA GPU, in one go, from binaries built elsewhere
# (scripts/make-gpu-bundle.sh): no Rust toolchain or network needed, only the driver, CUDA 13
# libraries (NVRTC, cuBLAS) and PyTorch.
#
#   bash scripts/gpu-check.sh BUNDLE OUTDIR [--epochs N] [--limit-train N] [--limit-test N]
#
# (a) the CUDA test binaries (bundle/tests/): every kernel against the CPU, AlexNet's layers,
#     a few training steps on both devices; RUSTGRAD_REQUIRE_GPU=1, so none can skip;
# (b) AlexNet with rustgrad (default one full epoch: 60 000 images, batch 128, 224x224):
#     seconds, images/s, peak GPU memory;
# (c) the same epoch in PyTorch, two ways: the classic pipeline (CPU resize in DataLoader
#     workers) and compute-only (data resized on the GPU);
# (d) a summary table with the ratios; --epochs 5 is the accuracy run (>= 0.90 expected);
# (e) each AlexNet conv layer and one training step at batch 32 next to PyTorch on the GPU
#     (scripts/compare_pytorch.py with the bundle's layer_timing binary).
#
# Everything printed also goes to OUTDIR/gpu-check.log, the table to OUTDIR/summary.txt (on the
# lent GPU machine OUTDIR is the folder whose files come back). Each stage has a time limit.
# The CUDA libraries are put on LD_LIBRARY_PATH for rustgrad's commands only (PyTorch keeps its
# own); RUSTGRAD_CUDA_LIBS=DIR puts DIR first (the emulated device: see
# scripts/test-cuda-emulated.sh). Without a GPU for PyTorch, its stages say "skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bash scripts/gpu-check.sh BUNDLE OUTDIR [--epochs N] [--limit-train N] [--limit-test N]" >&2; exit 2; }
[ $# -ge 2 ] || usage
bundle=$1 outdir=$2
shift 2
epochs=1 limits=()
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --limit-train|--limit-test) limits+=("$1" "$2"); shift 2 ;;
    *) usage ;;
  esac
done
[ -d "$bundle/bin" ] && [ -d "$bundle/tests" ] || { echo "no $bundle/bin or $bundle/tests: build the bundle with scripts/make-gpu-bundle.sh" >&2; exit 2; }
mkdir -p "$outdir" || exit 2
outdir=$(cd "$outdir" && pwd)
exec > >(tee "$outdir/gpu-check.log") 2>&1
# Intermediate files stay out of OUTDIR (a lent GPU machine sends back only a few files).
work=$(mktemp -d)
chmod +x "$bundle"/bin/* "$bundle"/tests/*
data="$bundle/data"

# Time limits, in seconds.
test_limit=300 layer_limit=300
train_limit=$((300 * epochs))

# The CUDA libraries rustgrad loads (driver, NVRTC, cuBLAS): the toolkit's, and those of the
# Python packages PyTorch brings.
cuda_libs=${RUSTGRAD_CUDA_LIBS:-}
for dir in /usr/local/cuda/lib64 $(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(" ".join(os.path.join(p, d, "lib") for d in sorted(os.listdir(p))))' 2>/dev/null); do
  [ -d "$dir" ] && cuda_libs="$cuda_libs:$dir"
done
cuda_libs=${cuda_libs#:}
# Runs a rustgrad command with the CUDA libraries on its library path, within `limit` seconds.
rustgrad() {
  local limit=$1; shift
  LD_LIBRARY_PATH="$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" RUSTGRAD_REQUIRE_GPU=1 timeout "$limit" "$@"
}
has_nvidia_smi() { command -v nvidia-smi >/dev/null 2>&1; }
torch_has_gpu() { python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; }

echo "== the machine"
if has_nvidia_smi; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$work/gpu.txt"
  card=$(cut -d, -f1 "$work/gpu.txt" | head -1)
else
  echo "no nvidia-smi: no NVIDIA GPU here"
  card="no GPU (emulated device?)"
fi
echo "CUDA libraries for rustgrad: ${cuda_libs:-none found}"
python3 -c 'import torch; print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, GPU available: {torch.cuda.is_available()}")' 2>/dev/null ||
  echo "PyTorch: not importable"

# Peak device memory of a command in MiB (nvidia-smi sampled every 100 ms, minus what was in
# use before), written to $work/$1.peak; "n/a" without nvidia-smi.
with_peak_memory() {
  local name=$1; shift
  if ! has_nvidia_smi; then
    echo n/a > "$work/$name.peak"
    "$@"
    return
  fi
  local baseline samples sampler status
  baseline=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
  samples=$(mktemp)
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$samples" &
  sampler=$!
  "$@"
  status=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  echo $(( $(sort -n "$samples" | tail -1) - baseline )) > "$work/$name.peak"
  return $status
}

echo "== (a) CUDA tests"
tests_ok=yes
for binary in "$bundle"/tests/*; do
  echo "-- $(basename "$binary")"
  if ! rustgrad "$test_limit" "$binary" --nocapture --test-threads 1; then
    echo "FAILED (or over ${test_limit}s): $(basename "$binary")"
    tests_ok=no
  fi
done
if grep -q "skipped: no CUDA device" "$outdir/gpu-check.log"; then
  echo "FAILED: a CUDA test skipped"
  tests_ok=no
fi

echo "== (b) rustgrad AlexNet, $epochs epoch(s) ${limits[*]}"
training_ok=yes
with_peak_memory ours rustgrad "$train_limit" "$bundle/bin/alexnet" --device cuda --epochs "$epochs" \
  --data-dir "$data" "${limits[@]}" | tee "$work/ours.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAILED (or over ${train_limit}s): rustgrad training"; training_ok=no; }
ours_seconds=$(sed -n 's/.*time \([0-9.]*\) sec.*/\1/p' "$work/ours.txt" | tail -1)
ours_acc=$(sed -n 's/.*test acc \([0-9.]*\),.*/\1/p' "$work/ours.txt" | tail -1)
ours_images=$(sed -n 's/.* \([0-9]*\) training and .*/\1/p' "$work/ours.txt" | head -1)

run_pytorch() {
  local mode=$1
  echo "== (c) PyTorch, $mode pipeline"
  if ! torch_has_gpu; then
    echo "skipped: PyTorch has no GPU here, so no PyTorch reference" | tee "$work/$mode.txt"
    echo n/a > "$work/$mode.peak"
    return
  fi
  with_peak_memory "$mode" timeout "$train_limit" python3 scripts/alexnet_epoch_pytorch.py --mode "$mode" \
    --epochs "$epochs" --data-dir "$data" "${limits[@]}" | tee "$work/$mode.txt"
}
run_pytorch compute
run_pytorch classic
field() { sed -n "s/^RESULT $1 .*$2=\([0-9.]*\).*/\1/p" "$work/$1.txt"; }
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print(f'{float(a) / float(b):.2f}x')" "$1" "$2" 2>/dev/null || echo n/a; }

echo "== (d) summary ($card, last epoch of $epochs)"
{
  printf '%-24s %10s %10s %10s %9s\n' run "s/epoch" "images/s" "peak MiB" "test acc"
  images_per_s=$(python3 -c "print(f'{${ours_images:-0} / float(\"$ours_seconds\"):.0f}')" 2>/dev/null || echo n/a)
  printf '%-24s %10s %10s %10s %9s\n' rustgrad "${ours_seconds:-n/a}" "$images_per_s" "$(cat "$work/ours.peak")" "${ours_acc:-n/a}"
  for mode in compute classic; do
    printf '%-24s %10s %10s %10s %9s\n' "pytorch $mode" "$(field $mode seconds)" "$(field $mode images_per_s)" \
      "$(cat "$work/$mode.peak")" "$(field $mode test_acc)"
  done
  echo "epoch time vs PyTorch classic: $(ratio "$ours_seconds" "$(field classic seconds)") (target <= 0.5x)"
  echo "epoch time vs PyTorch compute-only: $(ratio "$ours_seconds" "$(field compute seconds)") (target <= 1.0x)"
  echo "peak memory vs PyTorch compute-only: $(ratio "$(cat "$work/ours.peak")" "$(cat "$work/compute.peak")") (target <= 1.0x)"
  grep -m1 "^cuda:0: " "$outdir/gpu-check.log" || echo "the device never opened"
  echo "CUDA tests passed: $tests_ok"
  echo "rustgrad training ran: $training_ok"
} | tee "$outdir/summary.txt"

echo "== (e) per layer and training step, batch 32, against PyTorch on the GPU"
if torch_has_gpu; then
  # PyTorch runs the binary; a wrapper gives it (only it) the CUDA libraries.
  wrapper=$(mktemp)
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' \
    "$cuda_libs" "$(cd "$bundle/bin" && pwd)/layer_timing" > "$wrapper"
  chmod +x "$wrapper"
  timeout "$layer_limit" python3 scripts/compare_pytorch.py --device cuda --binary "$wrapper" --rounds 2 ||
    echo "(the per-layer comparison failed; the results above stand)"
else
  echo "skipped: PyTorch has no GPU here"
fi
[ "$tests_ok" = yes ] && [ "$training_ok" = yes ]
