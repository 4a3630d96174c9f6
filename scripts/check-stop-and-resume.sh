#!/usr/bin/env bash
# Ctrl-C and --resume, end to end on the CPU: a run of two short epochs interrupted by SIGINT in
# its second epoch, then resumed, must end with exactly the weights (and buffers) and optimizer
# state of the same run done straight (the data of both safetensors files, bit for bit), and
# with the same metrics CSV. Checked with the flagship (AlexNet, Adam, dropout) and with
# `train --model bn-lenet` (SGD, batch norm's running statistics).
#
#   bash scripts/check-stop-and-resume.sh
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --example alexnet --example train || exit 1
alexnet=$PWD/target/release/examples/alexnet
train=$PWD/target/release/examples/train
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

same_data() {  # the tensors of two safetensors files (everything after the header) are equal
  python3 - "$1" "$2" <<'PY'
import struct, sys
def data(path):
    raw = open(path, "rb").read()
    return raw[8 + struct.unpack("<Q", raw[:8])[0]:]
sys.exit(0 if data(sys.argv[1]) == data(sys.argv[2]) else 1)
PY
}

# check LABEL PROGRAM...: runs PROGRAM "${run[@]}" straight, then stopped and resumed, in its
# own folder, and compares the two.
check() {
  local label=$1; shift
  local program=("$@")
  echo "== $label"
  mkdir "$work/$label" && cd "$work/$label" || exit 1
  "${program[@]}" "${run[@]}" --save straight.safetensors --metrics straight.csv > straight.log 2>&1 ||
    { cat straight.log; echo "FAILED: the straight run"; exit 1; }

  # The interrupted run: SIGINT once its second epoch (of three) has started (a plain progress
  # line says so): wherever it lands before the last epoch's end, the run stops with 130.
  "${program[@]}" "${run[@]}" --save stopped.safetensors --metrics stopped.csv > stopped.log 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    grep -q "^epoch 2/3: " stopped.log && break
    sleep 0.1
  done
  kill -INT "$pid"
  wait "$pid"
  local status=$?
  grep -v "^conv\|^fc\|^net" stopped.log | tail -4
  if [ "$status" -ne 130 ] || ! grep -q -- "--resume stopped.safetensors" stopped.log; then
    echo "FAILED: Ctrl-C should exit with 130 and say how to resume (exit status $status)"
    exit 1
  fi

  "${program[@]}" --resume stopped.safetensors > resumed.log 2>&1 ||
    { cat resumed.log; echo "FAILED: the resumed run"; exit 1; }
  grep "^resuming" resumed.log

  if same_data straight.safetensors stopped.safetensors &&
    same_data straight.state.safetensors stopped.state.safetensors &&
    cmp -s <(cut -d, -f1-4 straight.csv) <(cut -d, -f1-4 stopped.csv); then
    echo "stopped and resumed: weights, optimizer state and metrics identical to the straight run"
  else
    echo "FAILED: the resumed run differs from the straight run"
    paste -d' ' straight.csv stopped.csv
    exit 1
  fi
}

run=(--device cpu --limit-train 96 --limit-test 32 --batch-size 16 --epochs 3 --seed 5)
check alexnet "$alexnet"
# LeNet with batch norm is fast: more steps, so that SIGINT lands inside the second epoch.
run=(--device cpu --limit-train 8192 --limit-test 256 --batch-size 64 --epochs 3 --seed 5)
check bn-lenet "$train" --model bn-lenet
