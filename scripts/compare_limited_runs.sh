#!/usr/bin/env bash
# Limited runs of the book's CNNs, rustgrad and PyTorch side by side on this machine: for each
# model, the book's recipe (plain SGD at its learning rate, batch 128, its initialisation, its
# input size) for one epoch over the first N training images, then the accuracy on the first
# M test images; each framework with the same number of threads.
#
#   bash scripts/compare_limited_runs.sh [MODEL...]       (default: every model)
#
# Environment: LIMIT_TRAIN (default 2048), LIMIT_TRAIN_28 (for the 28x28 LeNets, whose steps
# are cheap: default 8192), LIMIT_TEST (1000), THREADS (the number of cores), PYTHON (python3
# with torch).
# Prints one line per model: the images/s of each epoch (training plus the test pass) and the
# test accuracy of each, and the ratio of rustgrad's epoch time to PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
threads=${THREADS:-$(nproc)}
limit_test=${LIMIT_TEST:-1000}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(lenet bn-lenet alexnet vgg nin googlenet resnet18 densenet)
cargo build -q --release --example train
printf '%-10s %7s | %10s %8s | %10s %8s | %s\n' model images "ours img/s" "ours acc" \
  "torch img/s" "torch acc" "time ratio"
for model in "${models[@]}"; do
  case $model in
    lenet | bn-lenet) limit_train=${LIMIT_TRAIN_28:-8192} ;;
    *) limit_train=${LIMIT_TRAIN:-2048} ;;
  esac
  ours=$(./target/release/examples/train --model "$model" --device cpu --threads "$threads" \
    --epochs 1 --limit-train "$limit_train" --limit-test "$limit_test" 2>&1 | grep '^epoch 1,')
  theirs=$(cd scripts && "$python" d2l_limited_run.py --model "$model" --threads "$threads" \
    --limit-train "$limit_train" --limit-test "$limit_test" | grep '^RESULT')
  # "epoch 1, train loss 0.61, train acc 0.77, test acc 0.80, time 12.3 sec"
  ours_acc=$(sed -n 's/.*test acc \([0-9.]*\).*/\1/p' <<<"$ours")
  ours_s=$(sed -n 's/.*time \([0-9.]*\) sec.*/\1/p' <<<"$ours")
  torch_acc=$(sed -n 's/.*test_acc=\([0-9.]*\).*/\1/p' <<<"$theirs")
  torch_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$theirs")
  awk -v m="$model" -v n="$limit_train" -v os="$ours_s" -v oa="$ours_acc" -v ts="$torch_s" \
    -v ta="$torch_acc" 'BEGIN { printf "%-10s %7d | %10.1f %8s | %10.1f %8s | %.2f\n",
      m, n, n / os, oa, n / ts, ta, os / ts }'
done
