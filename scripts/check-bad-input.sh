#!/usr/bin/env bash
# Ordinary mistakes on the command line end at once, before any work, with a non-zero exit and a
# message that names the cause, and change no file. Runs the release builds of the examples.
#
#   bash scripts/check-bad-input.sh
#
# Last line: `bad input: N cases, 0 failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --example alexnet --example train --example fashion_mlp || exit 1
alexnet=target/release/examples/alexnet
train=target/release/examples/train
fashion_mlp=target/release/examples/fashion_mlp
scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT

# Files that must come through untouched.
mkdir "$scratch/folder" "$scratch/empty-data"
printf 'keep me' > "$scratch/read-only.safetensors" && chmod 0444 "$scratch/read-only.safetensors"
ln -s /dev/full "$scratch/link-to-device"
mkfifo "$scratch/fifo"

cases=0 failed=0
# expect MESSAGE COMMAND...: the command must exit non-zero within 60 s, print MESSAGE, and
# print no epoch line (nothing was trained).
expect() {
  local message=$1; shift
  cases=$((cases + 1))
  local output status
  output=$(timeout 60 "$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -qF -- "$message" <<<"$output" &&
    ! grep -q "^epoch 1," <<<"$output"; then
    local shown=${*#$alexnet}
    echo "ok    ${shown#$train}"
    echo "      -> $(grep -F -m1 -- "$message" <<<"$output")"
  else
    echo "FAIL  $* (exit $status), expected: $message"
    echo "$output" | tail -5 | sed 's/^/      /'
    failed=$((failed + 1))
  fi
}

echo "== output paths (checked before the data is even read)"
expect "--metrics /dev/full: is a device, not a file" $alexnet --device cpu --metrics /dev/full
expect "is a directory; give a file name inside it" $alexnet --device cpu --save "$scratch/folder"
expect "is read-only, so it will not be replaced" $alexnet --device cpu --save "$scratch/read-only.safetensors"
expect "is a device, not a file" $alexnet --device cpu --save "$scratch/link-to-device"
expect "is a named pipe (FIFO), not a file" $alexnet --device cpu --metrics "$scratch/fifo"
expect "create it first" $alexnet --device cpu --save "$scratch/no/such/folder/model.safetensors"
expect "--graph /dev/full: is a device, not a file" $alexnet --device cpu --graph /dev/full

echo "== numbers"
expect "-1 is not a finite number above 0" $alexnet --device cpu --lr -1
expect "0 is not a finite number above 0" $alexnet --device cpu --lr 0
expect "inf is not a finite number above 0" $alexnet --device cpu --lr inf
expect "'fast' is not a number" $alexnet --device cpu --lr fast
expect "--batch-size <BATCH_SIZE>': must be at least 1" $alexnet --device cpu --batch-size 0
expect "--limit-train <LIMIT_TRAIN>': must be at least 1" $alexnet --device cpu --limit-train 0
expect "--limit-test <LIMIT_TEST>': must be at least 1" $alexnet --device cpu --limit-test 0
expect "5000 is not in 0..=1000" $alexnet --device cpu --epochs 5000
expect "--epochs 0 evaluates a trained model: give it with --load PATH" $alexnet --device cpu --epochs 0
expect "AlexNet takes images of 195 to 226 pixels" $alexnet --device cpu --resize 100000
expect "AlexNet takes images of 195 to 226 pixels" $alexnet --device cpu --resize 194
expect "try --batch-size" $alexnet --device cpu --batch-size 100000
expect "invalid value 'gpu' for '--device" $alexnet --device gpu
expect "--threads <THREADS>': must be at least 1" $alexnet --device cpu --threads 0
expect "a picture's name must end in .png or .svg" $alexnet --device cpu --plot "$scratch/curves.gif"
expect "the picture is a PNG: name it FILE.png" $alexnet --device cpu --predictions "$scratch/p.svg"
expect "the graph is Graphviz text: name it FILE.dot" $alexnet --device cpu --graph "$scratch/graph.svg"
expect "cannot be used with '--resume" $alexnet --device cpu --load a --resume b
expect "there is no training state beside" $alexnet --device cpu --resume "$scratch/never-saved.safetensors"
expect "must be at least 1" $fashion_mlp --batch-size 0
expect "-0.5 is not a finite number above 0" $fashion_mlp --lr -0.5

echo "== models (examples/train)"
expect "--model NAME is required: one of lenet, alexnet" $train --device cpu
expect "invalid value 'resnet50' for '--model <NAME>'" $train --model resnet50
expect "invalid value 'rmsprop' for '--optimizer" $train --model lenet --optimizer rmsprop
expect "LeNet cannot take 224x224 images (module net.7, Linear(400 → 120)" $train --model lenet --device cpu --resize 224
expect "VGG cannot take 96x96 images" $train --model vgg --device cpu --resize 96
expect "try --batch-size" $train --model resnet18 --device cpu --batch-size 100000
expect "leave a last batch of 1 image, and batch norm needs 2 or more per step" $train --model bn-lenet --device cpu --limit-train 129 --limit-test 16
# A saved LeNet run, which neither AlexNet nor another model may resume.
$train --model lenet --device cpu --limit-train 16 --limit-test 16 --epochs 1 \
  --save "$scratch/lenet.safetensors" >/dev/null 2>&1 || echo "FAIL  the LeNet run to resume did not run"
cp "$scratch/lenet.safetensors" "$scratch/lenet.copy"
expect "this run trains the model lenet, not alexnet" $alexnet --device cpu --resume "$scratch/lenet.safetensors"
expect "this run trains the model lenet, not resnet18" $train --model resnet18 --device cpu --resume "$scratch/lenet.safetensors"
expect "this run was started with --optimizer sgd" $train --model lenet --device cpu --optimizer adam --resume "$scratch/lenet.safetensors"

echo "== inputs"
expect "Fashion-MNIST not found" $alexnet --device cpu --data-dir "$scratch/empty-data"
expect "no-such-checkpoint.safetensors" $alexnet --device cpu --epochs 0 --load "$scratch/no-such-checkpoint.safetensors"

echo "== nothing was changed"
cases=$((cases + 1))
if [ -c /dev/full ] && [ "$(cat "$scratch/read-only.safetensors")" = "keep me" ] && [ -L "$scratch/link-to-device" ] &&
  [ -p "$scratch/fifo" ] && [ -d "$scratch/folder" ] && [ -z "$(ls -A "$scratch/folder")" ] &&
  cmp -s "$scratch/lenet.safetensors" "$scratch/lenet.copy"; then
  echo "ok    /dev/full, the read-only file, the link, the FIFO, the folder and the LeNet run are as they were"
else
  echo "FAIL  a file was changed: $(ls -la "$scratch")"
  failed=$((failed + 1))
fi

echo "bad input: $cases cases, $failed failed"
[ "$failed" -eq 0 ]
