#!/usr/bin/env bash
# Builds the emulated CUDA device from a folder of kernels:
#
#   tools/cuda-emulator/build.sh KERNELS_DIR OUT_DIR [plain|asan]
#
# OUT_DIR receives libcuda.so and libcublas.so, to be put first on LD_LIBRARY_PATH. `asan` builds both with AddressSanitizer; the program then
# runs with LD_PRELOAD=$(g++ -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 KERNELS_DIR OUT_DIR [plain|asan]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
kernels=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
mode=${3:-plain}

common=(-std=c++17 -fPIC -Wall -Wextra -fvisibility=hidden -I"$here/src" -pthread)
case "$mode" in
    plain) flags=(-O3) ;;
    # -fsanitize-recover: with ASAN_OPTIONS=halt_on_error=0, ASan reports and carries on (the
    # self-test uses it to see both ASan's report and the emulator's own); the default still halts.
    asan) flags=(-O2 -g -fsanitize=address -fsanitize-recover=address -fno-omit-frame-pointer) ;;
    *) echo "$0: mode must be plain or asan, not $mode" >&2; exit 2 ;;
esac

mkdir -p "$out/generated"
python3 "$here/gen_kernel_table.py" "$kernels" "$out/generated/kernels.cpp"

# Each source file compiled on its own, in parallel (the kernels are the slow one).
driver_sources=(bridge context cubin_reader device device_memory errors fault_trap fiber grid_runner launch memory_api
                modules options ptx_reader report streams_events)
pids=()
compile() {  # SOURCE OBJECT FLAGS...
    local source=$1 object=$2
    shift 2
    g++ "${common[@]}" "$@" -c "$source" -o "$object" &
    pids+=($!)
}
mkdir -p "$out/obj"
# The kernels' CUDA pragmas (#pragma unroll) mean nothing to g++: not worth a warning.
compile "$out/generated/kernels.cpp" "$out/obj/kernels.o" "${flags[@]}" -Wno-unknown-pragmas
for name in "${driver_sources[@]}"; do
    compile "$here/src/$name.cpp" "$out/obj/$name.o" "${flags[@]}"
done
compile "$here/src/sgemm.cpp" "$out/obj/sgemm.o" "${flags[@]}"
compile "$here/src/cublas_api.cpp" "$out/obj/cublas_api.o" "${flags[@]}"
for pid in "${pids[@]}"; do wait "$pid"; done

driver_objects=("$out/obj/kernels.o")
for name in "${driver_sources[@]}"; do driver_objects+=("$out/obj/$name.o"); done
# -z defs: every symbol must resolve now, not when cudarc first calls it.
g++ -shared "${flags[@]}" -pthread -Wl,-z,defs -Wl,-soname,libcuda.so -o "$out/libcuda.so" "${driver_objects[@]}"
g++ -shared "${flags[@]}" -pthread -Wl,-z,defs -Wl,-soname,libcublas.so -o "$out/libcublas.so" \
    "$out/obj/sgemm.o" "$out/obj/cublas_api.o" -L"$out" -lcuda

# Deliberately no libcuda.so.1: cudarc asks for libcuda.so first, while NVRTC itself dlopens
# libcuda.so.1 when it exists and calls the driver's private cuGetExportTable, which no stand-in
# can provide (NVRTC crashes). Without libcuda.so.1, NVRTC works as on a machine with no GPU.
rm -f "$out/libcuda.so.1"
echo "built $out/libcuda.so and $out/libcublas.so ($mode)"
