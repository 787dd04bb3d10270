// Vectorisable elementary functions: exp, log, log1p, sigmoid (softplus is written out where
// it is used, binary.hpp, sharing its exp with the sigmoid).
//
// Why our own: GCC does not vectorise calls to std::exp/std::log without -ffast-math, and
// -ffast-math would break the NaN/inf guards the losses rely on. These are written branch-free
// (selects, bit manipulation, polynomials), so a loop calling them vectorises under
// `#pragma omp simd` with whatever instruction set the translation unit is compiled for.
// Comparisons are written inline in the selects (no named bool used twice, `|` not `||`):
// GCC keeps such bools as bytes, and a loop mixing byte masks with float lanes may not vectorise.
//
// Accuracy (checked against std:: in tests through the losses): about 1-2 ulp for float and for
// double over the whole range, with IEEE special values: exp(-inf) = 0, exp(+inf) = inf,
// log(0) = -inf, log(x < 0) = NaN, and NaN in gives NaN out.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "fastloss/common/isa.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace vm {

template <class To, class From>
FASTLOSS_ALWAYS_INLINE To bit_cast(From from) {
    static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
    To to;
    std::memcpy(&to, &from, sizeof(To));
    return to;
}

// ---- exp: x = n ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) by a polynomial
// (degree 6 for float, see there; for double the degree-13 Taylor polynomial, whose first
// omitted term is < 0.1 ulp), and 2^n applied in two halves so that subnormal results and
// overflow to inf come out right.

// Rounding x*log2(e) to an integer with the 1.5*2^k trick (no SSE4.1 round needed): after
// t = x log2(e) + magic, t's low bits hold n and t - magic is n as a float.
constexpr float kExpMagicF = 12582912.0f;          // 1.5 * 2^23
constexpr double kExpMagicD = 6755399441055744.0;  // 1.5 * 2^52

/// exp(r), r = x - n ln2, for a finite clamped x; sets t (see above) for the caller's 2^n.
FASTLOSS_ALWAYS_INLINE float exp_reduced(float x, float& t) {
    t = x * 1.44269504088896341f + kExpMagicF;
    const float nf = t - kExpMagicF;
    float r = x - nf * 0.693359375f;
    r = r - nf * -2.12194440e-4f;
    // 1 + r + r^2 Q(r), Q of degree 4 interpolating (e^r - 1 - r) / r^2 at Chebyshev nodes
    // of |r| <= ln2/2, one FMA fewer than the degree-7 Taylor polynomial. exp over the float
    // range: 0.94 ulp with FMA, 1.21 without (Taylor: 0.92, 1.19).
    float p = 0.0013926175888627768f;
    p = p * r + 0.008363173343241215f;
    p = p * r + 0.041666556149721146f;
    p = p * r + 0.16666577756404877f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    return p * r + 1.0f;
}

FASTLOSS_ALWAYS_INLINE double exp_reduced(double x, double& t) {
    t = x * 1.4426950408889634074 + kExpMagicD;
    const double nf = t - kExpMagicD;
    double r = x - nf * 6.93147180369123816490e-01;
    r = r - nf * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    return p * r + 1.0;
}

FASTLOSS_ALWAYS_INLINE float exp(float x) {
    float xc = x != x ? 0.0f : x;
    xc = xc < -104.0f ? -104.0f : xc;  // exp(-104) < 2^-150: rounds to 0
    xc = xc > 89.0f ? 89.0f : xc;      // exp(89) > FLT_MAX: rounds to inf
    float t;
    const float p = exp_reduced(xc, t);
    const std::int32_t n = bit_cast<std::int32_t>(t) - bit_cast<std::int32_t>(kExpMagicF);
    const std::int32_t n1 = n >> 1;
    const std::int32_t n2 = n - n1;
    const float s1 = bit_cast<float>((n1 + 127) << 23);
    const float s2 = bit_cast<float>((n2 + 127) << 23);
    float result = p * s1 * s2;
    result = x < -104.0f ? 0.0f : result;
    return x != x ? x : result;
}

FASTLOSS_ALWAYS_INLINE double exp(double x) {
    double xc = x != x ? 0.0 : x;
    xc = xc < -746.0 ? -746.0 : xc;  // exp(-746) < 2^-1075: rounds to 0
    xc = xc > 710.0 ? 710.0 : xc;    // exp(710) > DBL_MAX: rounds to inf
    double t;
    const double p = exp_reduced(xc, t);
    const std::int64_t n = bit_cast<std::int64_t>(t) - bit_cast<std::int64_t>(kExpMagicD);
    const std::int64_t n1 = n >> 1;
    const std::int64_t n2 = n - n1;
    const double s1 = bit_cast<double>((n1 + 1023) << 52);
    const double s2 = bit_cast<double>((n2 + 1023) << 52);
    double result = p * s1 * s2;
    result = x < -746.0 ? 0.0 : result;
    return x != x ? x : result;
}

// ---- exp for x <= 0 (a softmax's x - max): the same reduction and polynomial, one 2^n scale.
// Results below about 1.7e-38 (float) or 2.3e-308 (double) are flushed to 0, never subnormal:
// against a softmax denominator of at least 1 they are far below rounding. The scale is built
// in unsigned arithmetic, so NaN (which propagates) and x > 0 never overflow an integer; x
// above about 88 (float) or 709 (double) gives a meaningless finite value.

FASTLOSS_ALWAYS_INLINE float exp_nonpositive(float x) {
    const float xc = x < -87.0f ? -87.0f : x;
    float t;
    const float p = exp_reduced(xc, t);
    const std::uint32_t n = bit_cast<std::uint32_t>(t) - bit_cast<std::uint32_t>(kExpMagicF);
    const float result = p * bit_cast<float>((n + 127u) << 23);
    return x < -87.0f ? 0.0f : result;
}

FASTLOSS_ALWAYS_INLINE double exp_nonpositive(double x) {
    const double xc = x < -708.0 ? -708.0 : x;
    double t;
    const double p = exp_reduced(xc, t);
    const std::uint64_t n = bit_cast<std::uint64_t>(t) - bit_cast<std::uint64_t>(kExpMagicD);
    const double result = p * bit_cast<double>((n + 1023u) << 52);
    return x < -708.0 ? 0.0 : result;
}

// ---- log: y = 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m-1)/(m+1),
// |s| <= 0.1716, by its odd series (to s^11 for float, s^23 for double: < 0.1 ulp omitted).
// m - 1 is exact there (Sterbenz), so there is no cancellation near y = 1.

FASTLOSS_ALWAYS_INLINE float log(float y) {
    const float ys =
        y < std::numeric_limits<float>::min() ? y * 16777216.0f : y;  // subnormal: * 2^24
    const std::int32_t bits = bit_cast<std::int32_t>(ys);
    std::int32_t e = ((bits >> 23) & 0xff) - (y < std::numeric_limits<float>::min() ? 151 : 127);
    float m = bit_cast<float>((bits & 0x007fffff) | 0x3f800000);
    e = m > 1.41421356f ? e + 1 : e;
    m = m > 1.41421356f ? m * 0.5f : m;
    const float s = (m - 1.0f) / (m + 1.0f);
    const float s2 = s * s;
    float q = 1.0f / 11.0f;
    q = q * s2 + 1.0f / 9.0f;
    q = q * s2 + 1.0f / 7.0f;
    q = q * s2 + 1.0f / 5.0f;
    q = q * s2 + 1.0f / 3.0f;
    const float log_m = 2.0f * s + 2.0f * s * s2 * q;
    const float ef = static_cast<float>(e);
    float result = ef * 0.693359375f + (ef * -2.12194440e-4f + log_m);
    result = y == 0.0f ? -std::numeric_limits<float>::infinity() : result;
    result = y == std::numeric_limits<float>::infinity() ? y : result;
    result = (y < 0.0f) | (y != y) ? std::numeric_limits<float>::quiet_NaN() : result;
    return result;
}

FASTLOSS_ALWAYS_INLINE double log(double y) {
    const double ys =
        y < std::numeric_limits<double>::min() ? y * 18014398509481984.0 : y;  // subnormal: * 2^54
    const std::uint64_t bits = bit_cast<std::uint64_t>(ys);
    // The exponent field read as a double, 2^52 + field minus 2^52, rather than converted from
    // an integer: AVX2 has no int64 -> double conversion, and a loop needing one stays scalar.
    double ef = bit_cast<double>(((bits >> 52) & 0x7ffu) | 0x4330000000000000u) -
                4503599627370496.0;
    ef -= y < std::numeric_limits<double>::min() ? 1077.0 : 1023.0;
    double m = bit_cast<double>((bits & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    ef = m > 1.4142135623730951 ? ef + 1.0 : ef;
    m = m > 1.4142135623730951 ? m * 0.5 : m;
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = s * s;
    double q = 1.0 / 23.0;
    q = q * s2 + 1.0 / 21.0;
    q = q * s2 + 1.0 / 19.0;
    q = q * s2 + 1.0 / 17.0;
    q = q * s2 + 1.0 / 15.0;
    q = q * s2 + 1.0 / 13.0;
    q = q * s2 + 1.0 / 11.0;
    q = q * s2 + 1.0 / 9.0;
    q = q * s2 + 1.0 / 7.0;
    q = q * s2 + 1.0 / 5.0;
    q = q * s2 + 1.0 / 3.0;
    const double log_m = 2.0 * s + 2.0 * s * s2 * q;
    double result = ef * 6.93147180369123816490e-01 + (ef * 1.90821492927058770002e-10 + log_m);
    result = y == 0.0 ? -std::numeric_limits<double>::infinity() : result;
    result = y == std::numeric_limits<double>::infinity() ? y : result;
    result = (y < 0.0) | (y != y) ? std::numeric_limits<double>::quiet_NaN() : result;
    return result;
}

/// log(1 + u), accurate for tiny u: with w = fl(1 + u), log1p(u) = log(w) * u / (w - 1)
/// (Goldberg 1991, Theorem 4), since w - 1 is exact.
template <class T>
FASTLOSS_ALWAYS_INLINE T log1p(T u) {
    const T w = T(1) + u;
    const T result = vm::log(w) * (u / (w - T(1)));
    return (w == T(1)) | (u == std::numeric_limits<T>::infinity()) ? u : result;
}

/// log(1 + u) for u in [0, 1] (softplus's log1p(e^-|x|)), without log1p's two divisions:
/// float is u + u^2 Q(u), Q of degree 8 interpolating (log1p(u) - u) / u^2 at Chebyshev nodes
/// of [0, 1] (over the floats of [0, 1]: at most 1.43 ulp with FMA, 1.85 without); double,
/// which would need twice the degree, keeps log1p. NaN propagates; u outside [0, 1] is not
/// supported.
FASTLOSS_ALWAYS_INLINE float log1p_unit(float u) {
    float q = -0.004466211423277855f;
    q = q * u + 0.025224054232239723f;
    q = q * u + -0.06675772368907928f;
    q = q * u + 0.11561845242977142f;
    q = q * u + -0.15847565233707428f;
    q = q * u + 0.198541060090065f;
    q = q * u + -0.24986526370048523f;
    q = q * u + 0.3333284258842468f;
    q = q * u + -0.4999999701976776f;
    return (u * u) * q + u;
}

FASTLOSS_ALWAYS_INLINE double log1p_unit(double u) {
    return log1p(u);
}

/// sigma(x) = 1 / (1 + e^-x), from e^-|x| so neither branch overflows.
template <class T>
FASTLOSS_ALWAYS_INLINE T sigmoid(T x) {
    const T e = vm::exp(x < T(0) ? x : -x);
    const T inv = T(1) / (T(1) + e);
    return x >= T(0) ? inv : e * inv;
}

}  // namespace vm
FASTLOSS_END_ISA_NAMESPACE
