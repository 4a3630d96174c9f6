#!/usr/bin/env bash
# The emulator's self-test: builds the emulator from selftest/kernels (not from any project's
# kernels), builds the self-test program against it, and runs every check.
#
#   tools/cuda-emulator/selftest.sh OUT_DIR [plain|asan] [--verbose]
#
# NVRTC must be loadable: put its library folder on LD_LIBRARY_PATH, or name it in NVRTC_LIB.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 OUT_DIR [plain|asan] [--verbose]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
mode=${2:-plain}
shift $(( $# >= 2 ? 2 : 1 ))

"$here/build.sh" "$here/selftest/kernels" "$out" "$mode"

case "$mode" in
    plain) flags=(-O2) ;;
    asan) flags=(-O1 -g -fsanitize=address -fno-omit-frame-pointer) ;;
esac
g++ -std=c++17 -Wall -Wextra -pthread "${flags[@]}" -I"$here/src" \
    -DSELFTEST_KERNELS_DIR="\"$here/selftest/kernels\"" \
    "$here"/selftest/*.cpp "$here/src/cubin_reader.cpp" "$here/src/ptx_reader.cpp" "$here/src/sgemm.cpp" \
    -L"$out" -lcuda -lcublas -ldl -Wl,-rpath,"$out" -o "$out/selftest"

export LD_LIBRARY_PATH="$out${NVRTC_LIB:+:$NVRTC_LIB}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
exec "$out/selftest" "$@"
