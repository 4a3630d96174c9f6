// Shared by every kernel file: index types and the grid-stride loop.
// NVRTC compiles all .cu files of this folder as one program (see ../kernels.rs).

typedef unsigned int u32;
typedef unsigned long long u64;

// Every thread of the grid walks i = its global index, then strides by the grid size, so one
// launch shape serves any length.
#define FOR_EACH_INDEX(i, n) \
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < (u64)(n); i += (u64)blockDim.x * gridDim.x)

// Up to 6 axes, for broadcasting and permutes (passed by value).
#define MAX_RANK 6
struct Strides6 {
    u32 rank;
    u32 dims[MAX_RANK];   // output sizes
    u32 a[MAX_RANK];      // first input's stride per output axis (0 where broadcast)
    u32 b[MAX_RANK];      // second input's stride per output axis
};

// NVRTC has no <math.h> macros.
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif

// Convolution and pooling sizes, passed by value (same layout as the Rust structs in ../mod.rs).
struct ConvGeom { u32 C, H, W, kh, kw, stride, padding, OH, OW; };
struct PoolGeom { u32 planes, H, W, kernel, stride, padding, OH, OW; };
