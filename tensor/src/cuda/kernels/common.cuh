// Shared by every kernel file: index types, the grid-stride loop, the structs and enums that the
// Rust launch code passes by value. NVRTC compiles all files of this folder as one program, this
// one first (see ../kernels.rs).

typedef unsigned int u32;
typedef unsigned long long u64;

// Every thread of the grid walks i = its global index, then strides by the grid size, so one
// launch shape serves any length.
#define FOR_EACH_INDEX(i, n) \
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < (u64)(n); i += (u64)blockDim.x * gridDim.x)

// NVRTC has no <math.h> macros.
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif

// Up to 6 axes, for broadcasting and permutes (layout of `Strides6` in ../layout.rs).
#define MAX_RANK 6
struct Strides6 {
    u32 rank;
    u32 dims[MAX_RANK];   // output sizes
    u32 a[MAX_RANK];      // first input's stride per output axis (0 where broadcast)
    u32 b[MAX_RANK];      // second input's stride per output axis
};

// Convolution, pooling and resize sizes (built by `conv_geom` in ../conv.rs, `pool_geom` and
// `adaptive_pool_geom` in ../pool.rs and `resize_geom` in ../resize.rs). A resize's `images` are
// image planes, or the images picked from a dataset.
struct ConvGeom { u32 C, H, W, kh, kw, stride, padding, OH, OW; };
struct PoolGeom { u32 planes, H, W, kernel, stride, padding, OH, OW; };
struct AdaptivePoolGeom { u32 planes, H, W, OH, OW; };
struct ResizeGeom { u32 images, H, W, OH, OW; };

// A copy between two tensors viewed as [outer, axis, inner] (layout of `Slab` in ../layout.rs):
// positions x_start .. x_start + len of x's axis (of size x_len) go to positions
// out_start .. out_start + len of out's axis (of size out_len), in every outer block.
struct Slab { u32 len, inner, x_len, x_start, out_len, out_start; };

// Which operation a kernel performs. Each enum mirrors a `#[repr(u32)]` Rust enum of the same
// name and values (the test `kernel_enums_mirror_common_cuh` in ../mod.rs compares them).
enum class UnaryCode : u32 { Neg = 0, Exp = 1, Log = 2, Sqrt = 3, Relu = 4, Step = 5, Powf = 6, AddScalar = 7, MulScalar = 8, Sigmoid = 9 };
enum class BinaryCode : u32 { Add = 0, Sub = 1, Mul = 2, Div = 3, KeepWherePositive = 4 };
enum class ReduceCode : u32 { Sum = 0, Max = 1 };
enum class SoftmaxKind : u32 { Softmax = 0, LogSoftmax = 1 };
enum class ColumnLayout : u32 { ImageMajor = 0, ChannelMajor = 1 };
