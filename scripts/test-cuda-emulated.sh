#!/usr/bin/env bash
# The CUDA path, executed on this CPU: every CUDA test binary and a few AlexNet training steps
# run through the emulated device of tools/cuda-emulator (stand-in libcuda.so and libcublas.so
# that cudarc loads like the real ones; the real .cu kernels compiled as C++; the real NVRTC
# producing the cubin whose kernels and parameter sizes the stand-in driver checks).
#
#   bash scripts/test-cuda-emulated.sh
#
# 1. builds the emulator twice: plain, and with AddressSanitizer; runs its self-test;
# 2. runs every CUDA test binary under each (RUSTGRAD_REQUIRE_GPU=1: a device that cannot be
#    opened fails the tests instead of skipping them);
# 3. runs the training test once more on a device without memory pools (the fallback to
#    cuMemAlloc), then trains AlexNet for two steps at 224x224 with --device cuda --tf32 off
#    (plain, then with AddressSanitizer) and checks that its loss equals --device cpu's.
# The last line is `emulated CUDA: N passed, M failed`; the exit status is non-zero if M > 0.
# What the emulator cannot show (speed, the real driver, GPU rounding): tools/cuda-emulator/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
nvrtc=$(bash scripts/nvrtc-lib.sh) || exit 1
emulator=target/cuda-emulator
logs=target/cuda-emulated-logs
rm -rf "$logs" && mkdir -p "$logs"
passed=0 failed=0

echo "== build the emulated device (plain and AddressSanitizer) and run its self-test"
for mode in plain asan; do
  bash tools/cuda-emulator/build.sh tensor/src/cuda/kernels "$emulator/$mode" "$mode" || exit 1
done
if NVRTC_LIB="$nvrtc" bash tools/cuda-emulator/selftest.sh "$emulator/selftest" plain | tee "$logs/selftest"; then
  passed=$((passed + $(sed -n 's/^selftest: \([0-9]*\) passed.*/\1/p' "$logs/selftest")))
else
  echo "FAILED: the emulator's self-test"
  failed=$((failed + 1))
fi

echo "== build the CUDA test binaries and the AlexNet example (release, --features cuda)"
test_binaries() {
  cargo test --release --features cuda --no-run "$@" 2>&1 |
    sed -n 's/.*(\(target\/release\/deps\/[^)]*\)).*/\1/p'
}
binaries=$(test_binaries -p tensor --test cuda_vs_cpu --test cuda_at_scale --test cuda_edge_cases &&
  test_binaries -p nn --test cuda_training --test cuda_alexnet_layers) || exit 1
cargo build -q --release --features cuda --example alexnet || exit 1
[ -n "$binaries" ] || { echo "no CUDA test binaries were built" >&2; exit 1; }

# Runs a command on the emulated device of `mode` (plain or asan).
emulated() {
  local mode=$1; shift
  local asan=()
  if [ "$mode" = asan ]; then
    # The Rust binaries are not instrumented: the sanitizer's runtime must be loaded first.
    asan=(LD_PRELOAD="$(g++ -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
  fi
  env "${asan[@]}" LD_LIBRARY_PATH="$emulator/$mode:$nvrtc" RUSTGRAD_REQUIRE_GPU=1 \
    RUSTGRAD_REQUIRE_NVRTC=1 EMU_REPORT=1 "$@"
}

for mode in plain asan; do
  for binary in $binaries; do
    name=$(basename "$binary" | sed 's/-[0-9a-f]*$//')
    echo "== $name on the emulated device ($mode)"
    log="$logs/$name.$mode"
    emulated "$mode" "$binary" --nocapture 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    ok=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
    bad=$(sed -n 's/^test result: .* \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
    passed=$((passed + ${ok:-0}))
    if [ "$status" -ne 0 ] || grep -q "skipped: no CUDA device" "$log"; then
      echo "FAILED: $name ($mode), exit status $status"
      failed=$((failed + ${bad:-0} + 1))
    fi
  done
done

echo "== without memory pools (as in some sandboxes): allocation falls back to cuMemAlloc"
training=$(echo "$binaries" | grep '/cuda_training-')
EMU_NO_MEMORY_POOLS=1 emulated plain "$training" --nocapture 2>&1 | tee "$logs/no-pools"
if [ "${PIPESTATUS[0]}" -eq 0 ] && grep -q "allocating with cuMemAlloc instead" "$logs/no-pools"; then
  passed=$((passed + 1))
else
  echo "FAILED: training without memory pools"
  failed=$((failed + 1))
fi

echo "== AlexNet: two training steps at 224x224 on the emulated device and on the CPU"
steps=(--epochs 1 --limit-train 16 --limit-test 8 --batch-size 8 --tf32 off --seed 3)
train_loss() { sed -n 's/^epoch 1, train loss \([0-9.]*\),.*/\1/p'; }
cpu_loss=$(target/release/examples/alexnet --device cpu "${steps[@]}" | tee "$logs/alexnet.cpu" | train_loss)
for mode in plain asan; do
  cuda_loss=$(emulated "$mode" target/release/examples/alexnet --device cuda "${steps[@]}" 2>&1 |
    tee "$logs/alexnet.$mode" | train_loss)
  # Printed with 4 decimals; summation order differs between the devices (Winograd on the CPU).
  if [ -n "$cpu_loss" ] && [ -n "$cuda_loss" ] &&
    awk -v a="$cpu_loss" -v b="$cuda_loss" 'BEGIN { d = a - b; exit !(d <= 2e-4 && -d <= 2e-4) }'; then
    echo "alexnet ($mode): train loss cuda $cuda_loss, cpu $cpu_loss: equal"
    passed=$((passed + 1))
  else
    cat "$logs/alexnet.$mode"
    echo "FAILED: alexnet ($mode): train loss cuda '${cuda_loss}', cpu '${cpu_loss}'"
    failed=$((failed + 1))
  fi
done

echo "emulated CUDA: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
