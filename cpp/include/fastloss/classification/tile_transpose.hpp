// Register transposes for the small-class softmax kernel (softmax_small.hpp): between
// row-major float rows of at most 16 classes and its class-major tile (class j of row r at
// tile[j * Stride + r]), 16 rows at a time with AVX-512 and 8 with AVX2. An element-by-element
// transpose was about half the time of a 10-class cross-entropy; builds without either keep it.
//
// Rows are moved with whole-register accesses, which reach past a row into the next rows'
// columns; only the rows near the end of those moved use partial accesses.
#pragma once

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "fastloss/common/parallel.hpp"  // imin

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

#if defined(__AVX512F__)
/// r[i][j] -> r[j][i] for a 16 x 16 block of floats held in 16 registers (pairs of rows
/// interleaved by 32, then 64 bits, then 128-bit lanes exchanged twice).
FASTLOSS_ALWAYS_INLINE void transpose16x16(__m512* r) {
    const auto as_pd = [](__m512 x) { return _mm512_castps_pd(x); };
    const auto as_ps = [](__m512d x) { return _mm512_castpd_ps(x); };
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        r[4 * i] = as_ps(_mm512_unpacklo_pd(as_pd(t[4 * i]), as_pd(t[4 * i + 2])));
        r[4 * i + 1] = as_ps(_mm512_unpackhi_pd(as_pd(t[4 * i]), as_pd(t[4 * i + 2])));
        r[4 * i + 2] = as_ps(_mm512_unpacklo_pd(as_pd(t[4 * i + 1]), as_pd(t[4 * i + 3])));
        r[4 * i + 3] = as_ps(_mm512_unpackhi_pd(as_pd(t[4 * i + 1]), as_pd(t[4 * i + 3])));
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i)
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
            t[8 * i + q] = _mm512_shuffle_f32x4(r[8 * i + q], r[8 * i + 4 + q], 0x88);
            t[8 * i + 4 + q] = _mm512_shuffle_f32x4(r[8 * i + q], r[8 * i + 4 + q], 0xdd);
        }
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
        r[q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0x88);
        r[8 + q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0xdd);
    }
}

/// Rows [r0, r0 + rows) of c <= 16 classes between `data` and the tile: 16 rows at a time,
/// one 16-float access per row, transposed in registers.
template <bool In, index_t Stride, class Ptr>
inline void tile_transfer_16(float* tile, Ptr data, index_t r0, index_t rows, index_t c) {
    const __mmask16 classes = static_cast<__mmask16>((1u << c) - 1u);
    for (index_t b = 0; b < rows; b += 16) {
        const index_t nr = imin(16, rows - b);
        __m512 r[16];
        // Fully unrolled loops over all 16, the bounds as conditions: the registers are then
        // named by constants and stay registers. A row's access covers 16 floats, its own c
        // and the start of the rows after it, while those are among the rows moved; only the
        // last rows use masks (masked accesses are slow on some CPUs: AMD Zen 4 took longer
        // than the scalar transpose with a mask on every row).
        const auto whole = [&](index_t q) { return (rows - b - q) * c >= 16; };
        if constexpr (In) {
#pragma GCC unroll 16
            for (int q = 0; q < 16; ++q) {
                const float* row = data + (r0 + b + (q < nr ? q : 0)) * c;
                r[q] = whole(q) ? _mm512_loadu_ps(row)
                                : _mm512_maskz_loadu_ps(q < nr ? classes : __mmask16(0), row);
            }
            transpose16x16(r);
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j)
                if (j < c) _mm512_store_ps(tile + j * Stride + b, r[j]);
        } else {
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j)
                r[j] = j < c ? _mm512_load_ps(tile + j * Stride + b) : _mm512_setzero_ps();
            transpose16x16(r);
            // rows in order: what a whole-row store writes past its row, the next rows'
            // stores overwrite (those of the next 16 included, written after)
#pragma GCC unroll 16
            for (int q = 0; q < 16; ++q) {
                float* row = data + (r0 + b + (q < nr ? q : 0)) * c;
                if (whole(q))
                    _mm512_storeu_ps(row, r[q]);
                else if (q < nr)
                    _mm512_mask_storeu_ps(row, classes, r[q]);
            }
        }
    }
}
#elif defined(__AVX2__)
/// r[i][j] -> r[j][i] for an 8 x 8 block of floats held in 8 registers.
FASTLOSS_ALWAYS_INLINE void transpose8x8(__m256* r) {
    __m256 t[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {  // t[2i] = a0 b0 a1 b1 | a4 b4 a5 b5 for rows a, b = 2i, 2i+1
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {  // r[4h + k] = columns k and 4 + k of rows 4h .. 4h + 3
        r[4 * h] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        r[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xee);
        r[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        r[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
        t[k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x20);
        t[4 + k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x31);
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) r[k] = t[k];
}

/// The first n (< 8) floats at p, zeros after: for the rows whose 8-float access would leave
/// the rows moved (AVX2 has no cheap masked access: a masked store is slow on AMD).
FASTLOSS_ALWAYS_INLINE __m256 load_first(const float* p, index_t n) {
    alignas(32) float tmp[8] = {};
    for (index_t j = 0; j < n; ++j) tmp[j] = p[j];
    return _mm256_load_ps(tmp);
}

FASTLOSS_ALWAYS_INLINE void store_first(float* p, __m256 v, index_t n) {
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, v);
    for (index_t j = 0; j < n; ++j) p[j] = tmp[j];
}

/// tile_transfer_16 for AVX2: 8 rows at a time, in blocks of 8 columns (two for c > 8), each
/// an 8 x 8 transpose in registers.
template <bool In, index_t Stride, class Ptr>
inline void tile_transfer_8(float* tile, Ptr data, index_t r0, index_t rows, index_t c) {
    const index_t blocks = (c + 7) / 8;
    for (index_t b = 0; b < rows; b += 8) {
        const index_t nr = imin(8, rows - b);
        // Row q's access to column block k covers 8 floats from column 8k: past its row's end
        // into the next rows' first columns, while those are among the rows moved.
        const auto whole = [&](index_t q, index_t k) { return (rows - b - q) * c >= 8 * (k + 1); };
        if constexpr (In) {
            for (index_t k = 0; k < blocks; ++k) {
                const index_t width = imin(8, c - 8 * k);
                __m256 r[8];
#pragma GCC unroll 8
                for (int q = 0; q < 8; ++q) {
                    const float* row = data + (r0 + b + (q < nr ? q : 0)) * c + 8 * k;
                    r[q] = whole(q, k) ? _mm256_loadu_ps(row) : load_first(row, q < nr ? width : 0);
                }
                transpose8x8(r);
#pragma GCC unroll 8
                for (int j = 0; j < 8; ++j)
                    if (j < width) _mm256_store_ps(tile + (8 * k + j) * Stride + b, r[j]);
            }
        } else {
            // The last column block first, rows in order within a block: what a store writes
            // past its row lands in a later row's first 8 columns, whose block 0 store (in
            // this group or the next) comes after it.
            for (index_t k = blocks - 1; k >= 0; --k) {
                const index_t width = imin(8, c - 8 * k);
                __m256 r[8];
#pragma GCC unroll 8
                for (int j = 0; j < 8; ++j)
                    r[j] = j < width ? _mm256_load_ps(tile + (8 * k + j) * Stride + b)
                                     : _mm256_setzero_ps();
                transpose8x8(r);
#pragma GCC unroll 8
                for (int q = 0; q < 8; ++q) {
                    float* row = data + (r0 + b + (q < nr ? q : 0)) * c + 8 * k;
                    if (whole(q, k))
                        _mm256_storeu_ps(row, r[q]);
                    else if (q < nr)
                        store_first(row, r[q], width);
                }
            }
        }
    }
}
#endif

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
