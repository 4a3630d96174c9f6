#!/usr/bin/env bash
# Shows that the emulated CUDA device catches real bugs: plants one bug at a time in a scratch
# copy of the repository, rebuilds, and checks that the CPU-vs-CUDA tests then FAIL on the
# emulated device (a planted bug that passes would mean the emulator lets such bugs through).
#
#   bash scripts/emulator-catches-planted-bugs.sh
#
# Last line: `planted bugs: N caught, M missed`; the exit status is non-zero if M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
nvrtc=$(bash scripts/nvrtc-lib.sh) || exit 1
scratch="$root/target/planted-bugs"

# Each bug: the file, the exact text to replace (it must occur once), its replacement, and what
# kind of bug it is.
files=() befores=() afters=() names=()
plant() { files+=("$1"); befores+=("$2"); afters+=("$3"); names+=("$4"); }
plant tensor/src/cuda/kernels/common.cuh \
  'i < (u64)(n);' 'i <= (u64)(n);' \
  "off by one in every kernel: the grid-stride loop reads and writes one element past the end"
plant tensor/src/cuda/kernels/conv.cu \
  'iy < H && ix < W)' 'iy < H && ix <= W)' \
  "off-by-one read: im2col reads the pixel after a row's end instead of the zero padding"
plant tensor/src/cuda/elementwise.rs \
  $'            .arg(&a.all())\n            .arg(&b.all())\n            .arg(&n)\n            .arg(&code)\n            .arg(&strides)' \
  $'            .arg(&b.all())\n            .arg(&a.all())\n            .arg(&n)\n            .arg(&code)\n            .arg(&strides)' \
  "two launch arguments swapped: the inputs of a broadcasting binary operation"

echo "== a scratch copy of the repository in $scratch"
rm -rf "$scratch" && mkdir -p "$scratch"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch"

caught=0 missed=0
for i in "${!files[@]}"; do
  file=${files[$i]}
  echo "== planted bug $((i + 1)): ${names[$i]} ($file)"
  cp "$root/$file" "$scratch/$file"
  if ! python3 - "$scratch/$file" "${befores[$i]}" "${afters[$i]}" <<'PY'
import sys
path, before, after = sys.argv[1:]
text = open(path).read()
if text.count(before) != 1:
    sys.exit(f"the text to replace occurs {text.count(before)} times in {path}, not once: update this script")
open(path, "w").write(text.replace(before, after))
PY
  then
    missed=$((missed + 1)); continue
  fi
  # Rebuild what the bug is in: the emulator (kernels compiled as C++) and the test binary
  # (which embeds the kernel sources for NVRTC and holds the launch code). The target folder is
  # shared with the real build, so only the workspace's crates are rebuilt.
  log="$scratch/bug-$((i + 1)).log"
  if ! (bash "$scratch/tools/cuda-emulator/build.sh" "$scratch/tensor/src/cuda/kernels" "$scratch/emulator" plain &&
        cd "$scratch" && CARGO_TARGET_DIR="$root/target" cargo test -q --release --features cuda -p tensor \
          --test cuda_vs_cpu --no-run) > "$log" 2>&1; then
    tail -20 "$log"
    echo "MISSED: the build failed, so nothing was shown"
    missed=$((missed + 1)); cp "$root/$file" "$scratch/$file"; continue
  fi
  binary=$(cd "$scratch" && CARGO_TARGET_DIR="$root/target" cargo test --release --features cuda -p tensor \
    --test cuda_vs_cpu --no-run 2>&1 | sed -n 's/.*(\(.*target\/release\/deps\/[^)]*\)).*/\1/p')
  case "$binary" in /*) ;; *) binary="$root/$binary" ;; esac
  if LD_LIBRARY_PATH="$scratch/emulator:$nvrtc" RUSTGRAD_REQUIRE_GPU=1 RUSTGRAD_CUDA_SYNC=1 \
      timeout 600 "$binary" --test-threads 1 >> "$log" 2>&1; then
    echo "MISSED: every test passed with the bug in place"
    missed=$((missed + 1))
  else
    what=$(grep -m1 -E "EMU|CUDA error|cuda .* vs cpu|Segmentation|AddressSanitizer" "$log" | cut -c1-160)
    echo "caught: ${what:-the tests failed (see $log)}"
    caught=$((caught + 1))
  fi
  cp "$root/$file" "$scratch/$file"
done

echo "planted bugs: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
