#!/usr/bin/env bash
# Builds everything scripts/gpu-check.sh needs into one folder (default: gpu-bundle/, ignored by
# git), for a GPU machine that has CUDA 13 and PyTorch but no Rust toolchain and no network:
#   bin/      the alexnet and layer_timing examples and the CUDA test binaries, built
#             --release --features cuda
#   data/     the four Fashion-MNIST .gz files
# Ship the folder together with scripts/ (a checkout of this repository has both), then run
#   bash scripts/gpu-check.sh gpu-bundle
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:-gpu-bundle}
data_dir=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/data"

cargo build --release --features cuda --example alexnet --example layer_timing
cp target/release/examples/alexnet target/release/examples/layer_timing "$bundle/bin/"
# `cargo test --no-run` prints each test binary's path; keep the GPU-facing ones.
cargo test --release --features cuda --no-run -p tensor --test cuda_vs_cpu --test cuda_kernels_compile 2>&1 |
  sed -n 's/.*(\(target\/release\/deps\/[^)]*\)).*/\1/p' | while read -r binary; do cp "$binary" "$bundle/bin/"; done
cargo test --release --features cuda --no-run -p nn --test cuda_training 2>&1 |
  sed -n 's/.*(\(target\/release\/deps\/[^)]*\)).*/\1/p' | while read -r binary; do cp "$binary" "$bundle/bin/"; done
# Without debug information the binaries shrink from ~25 MB to a few MB each.
strip "$bundle"/bin/*
cp "$data_dir"/*-ubyte.gz "$bundle/data/"
ls -l "$bundle/bin" "$bundle/data"
