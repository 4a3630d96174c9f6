#!/usr/bin/env bash
# Prints the folder holding NVRTC 13.0 (libnvrtc.so.13 and its builtins), installing it first
# from PyPI into target/nvrtc-venv if needed. No GPU is needed to compile kernels with it.
# Pinned to CUDA 13.0 so that what it produces loads on drivers 580+; nvidia-cuda-nvcc brings
# ptxas, which NVRTC runs for real architectures (sm_90).
#   export LD_LIBRARY_PATH="$(bash scripts/nvrtc-lib.sh):$LD_LIBRARY_PATH"
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/nvrtc-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import nvidia.cu13' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q nvidia-cuda-nvrtc==13.0.88 nvidia-cuda-runtime==13.0.88 >&2
  "$venv/bin/pip" install -q --no-deps nvidia-cuda-nvcc==13.0.88 >&2
fi
echo "$("$venv/bin/python" -c 'import nvidia.cu13 as m; print(list(m.__path__)[0])')/lib"
