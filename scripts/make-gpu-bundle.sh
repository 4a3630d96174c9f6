#!/usr/bin/env bash
# Builds everything scripts/gpu-check.sh needs into one folder (default: gpu-bundle/, ignored by
# git), for a GPU machine that has CUDA 13 and PyTorch but no Rust toolchain and no network:
#   bin/      the programs: the alexnet and layer_timing examples (--release --features cuda)
#   tests/    the CUDA test binaries, each run on its own by gpu-check.sh
#   data/     the four Fashion-MNIST .gz files
# Ship the folder together with scripts/ (a checkout of this repository has both), then run
#   bash scripts/gpu-check.sh gpu-bundle OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-gpu-bundle}
data_dir=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/tests" "$bundle/data"

cargo build --release --features cuda --example alexnet --example layer_timing
cp target/release/examples/alexnet target/release/examples/layer_timing "$bundle/bin/"

# `cargo test --no-run` prints each test binary's path, e.g.
#   Executable tests/cuda_vs_cpu.rs (target/release/deps/cuda_vs_cpu-0123abcd)
copy_tests() {
  cargo test --release --features cuda --no-run "$@" 2>&1 |
    sed -n 's/.*(\(target\/release\/deps\/[^)]*\)).*/\1/p' |
    while read -r binary; do cp "$binary" "$bundle/tests/"; done
}
copy_tests -p tensor --test cuda_kernels_compile --test cuda_vs_cpu --test cuda_at_scale --test cuda_edge_cases
copy_tests -p nn --test cuda_training --test cuda_alexnet_layers

# Without debug information the binaries shrink from ~25 MB to a few MB each.
strip "$bundle"/bin/* "$bundle"/tests/*
chmod +x "$bundle"/bin/* "$bundle"/tests/*
cp "$data_dir"/*-ubyte.gz "$bundle/data/"
ls -l "$bundle/bin" "$bundle/tests" "$bundle/data"
