// A cache-blocked SGEMM (the GotoBLAS scheme, without assembly):
//
//   for each block of KC values of k:
//       pack op(B)'s KC×n slice into panels NR columns wide      (contiguous, TF32-rounded)
//       for each block of MC rows:
//           pack op(A)'s MC×KC block into panels MR rows high
//           for each MR×NR tile of C: a small dot-product kernel over the KC values,
//                                     its MR×NR sums kept in registers
//
// Packing makes the inner loop read both operands sequentially whatever their transposition,
// and keeps the A block in cache while every B panel streams past it. Columns of C are split
// among host threads. Each element of C is summed in the same order whatever the number of
// threads or the vector width, so results are reproducible.
#include "sgemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace emu {

namespace {

constexpr int MR = 8;    // tile rows: two SSE or one AVX register
constexpr int NR = 4;    // tile columns
constexpr int KC = 256;  // k per block
constexpr int MC = 128;  // rows per A block: MC × KC floats = 128 KiB, cache-sized

struct Operand {
    const float *data;
    int ld;
    bool transposed;
    float at(int row, int col) const {
        return transposed ? data[col + (size_t)row * ld] : data[row + (size_t)col * ld];
    }
};

// Rows [i0, i0 + rows) × columns [p0, p0 + depth) of op(A), as panels of MR rows: within a
// panel, the MR values of each column p lie together. Rows past the end are zero.
void pack_a(const Operand &a, int i0, int rows, int p0, int depth, bool tf32, float *out) {
    for (int panel = 0; panel < rows; panel += MR)
        for (int p = 0; p < depth; ++p)
            for (int i = 0; i < MR; ++i) {
                float v = panel + i < rows ? a.at(i0 + panel + i, p0 + p) : 0.0f;
                *out++ = tf32 ? round_to_tf32(v) : v;
            }
}

// Rows [p0, p0 + depth) × columns [j0, j0 + cols) of op(B), as panels of NR columns: within a
// panel, the NR values of each row p lie together. Columns past the end are zero.
void pack_b(const Operand &b, int p0, int depth, int j0, int cols, bool tf32, float *out) {
    for (int panel = 0; panel < cols; panel += NR)
        for (int p = 0; p < depth; ++p)
            for (int j = 0; j < NR; ++j) {
                float v = panel + j < cols ? b.at(p0 + p, j0 + panel + j) : 0.0f;
                *out++ = tf32 ? round_to_tf32(v) : v;
            }
}

// sums[j][i] = Σ_p a[p][i] · b[p][j] over one packed A panel and one packed B panel.
// Compiled for AVX2 too where the CPU has it; without FMA, so every build rounds alike.
// Not instrumented by ASan: it reads only the packing buffers above, sized by construction, and
// instrumentation would stop its vectorisation (an ASan AlexNet run spent 78% of its time here).
// The reads of the program's matrices, in pack_a / pack_b, stay instrumented.
__attribute__((target_clones("avx2", "default"), no_sanitize_address)) void tile_kernel(int depth, const float *__restrict a,
                                                                     const float *__restrict b, float sums[NR][MR]) {
    float acc[NR][MR] = {};
    for (int p = 0; p < depth; ++p, a += MR, b += NR)
        for (int j = 0; j < NR; ++j)
            for (int i = 0; i < MR; ++i) acc[j][i] += a[i] * b[j];
    memcpy(sums, acc, sizeof acc);
}

// Adds one k-block's contribution to a tile of C. The first block also applies beta (and with
// beta == 0 never reads C).
void store_tile(const GemmProblem &g, int i0, int j0, const float sums[NR][MR], bool first_block) {
    int rows = std::min(MR, g.m - i0), cols = std::min(NR, g.n - j0);
    for (int j = 0; j < cols; ++j) {
        float *c = g.c + (size_t)(j0 + j) * g.ldc + i0;
        for (int i = 0; i < rows; ++i) {
            float product = g.alpha * sums[j][i];
            if (!first_block) c[i] += product;
            else c[i] = g.beta == 0.0f ? product : product + g.beta * c[i];
        }
    }
}

// The whole product for columns [j_begin, j_end) of C.
void gemm_columns(const GemmProblem &g, int j_begin, int j_end) {
    Operand a{g.a, g.lda, g.transpose_a}, b{g.b, g.ldb, g.transpose_b};
    int cols = j_end - j_begin;
    std::vector<float> packed_a((size_t)MC * KC), packed_b((size_t)KC * ((cols + NR - 1) / NR * NR));
    float sums[NR][MR];
    for (int p0 = 0; p0 < g.k; p0 += KC) {
        int depth = std::min(KC, g.k - p0);
        pack_b(b, p0, depth, j_begin, cols, g.tf32, packed_b.data());
        for (int i0 = 0; i0 < g.m; i0 += MC) {
            int rows = std::min(MC, g.m - i0);
            pack_a(a, i0, rows, p0, depth, g.tf32, packed_a.data());
            for (int jt = 0; jt < cols; jt += NR)
                for (int it = 0; it < rows; it += MR) {
                    tile_kernel(depth, &packed_a[(size_t)it * depth], &packed_b[(size_t)jt * depth], sums);
                    store_tile(g, i0 + it, j_begin + jt, sums, p0 == 0);
                }
        }
    }
}

// C = beta · C, for k == 0 or alpha == 0 (A and B are not read).
void scale_c(const GemmProblem &g) {
    for (int j = 0; j < g.n; ++j) {
        float *c = g.c + (size_t)j * g.ldc;
        for (int i = 0; i < g.m; ++i) c[i] = g.beta == 0.0f ? 0.0f : g.beta * c[i];
    }
}

}  // namespace

float round_to_tf32(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7f800000u) != 0x7f800000u) {  // finite: round off the low 13 mantissa bits
        bits += 0x1000u;
        bits &= ~0x1fffu;
    }
    memcpy(&x, &bits, sizeof x);
    return x;
}

void sgemm(const GemmProblem &g) {
    if (g.m == 0 || g.n == 0) return;
    if (g.k == 0 || g.alpha == 0.0f) return scale_c(g);
    // Small products are not worth a thread; large ones split C's columns, in whole tiles.
    double flops = 2.0 * g.m * g.n * g.k;
    int tiles = (g.n + NR - 1) / NR;
    int workers = flops < 4e6 ? 1 : std::min<int>(std::max(1u, std::thread::hardware_concurrency()), tiles);
    if (workers == 1) return gemm_columns(g, 0, g.n);
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        int begin = std::min(g.n, tiles * w / workers * NR), end = std::min(g.n, tiles * (w + 1) / workers * NR);
        if (begin < end) threads.emplace_back(gemm_columns, std::cref(g), begin, end);
    }
    for (std::thread &t : threads) t.join();
}

}  // namespace emu
