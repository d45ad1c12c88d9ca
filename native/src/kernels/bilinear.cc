#include "bilinear.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gloves {

namespace {

typedef float v4f __attribute__((vector_size(16)));

inline v4f Load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void Store4(float* p, v4f v) { std::memcpy(p, &v, sizeof v); }

inline v4f Splat(float f) { return v4f{f, f, f, f}; }

// Source coordinate of output index i along one axis, exactly as the reference:
// s = clamp((i + 0.5) * (regionSize / contentSize) - 0.5, 0, regionSize - 1).
inline double SourceCoord(int i, double f, int size) {
  double s = (i + 0.5) * f - 0.5;
  if (s < 0) s = 0;
  if (s > size - 1) s = size - 1;
  return s;
}

void FillPad(const BilinearParams& p, float* out) {
  const size_t plane = static_cast<size_t>(p.outW) * p.outH;
  for (int c = 0; c < 3; c++) {
    float* base = out + c * plane;
    const float v = p.pad[c];
    std::fill(base, base + static_cast<size_t>(p.padY) * p.outW, v);
    for (int y = p.padY; y < p.padY + p.ch; y++) {
      float* row = base + static_cast<size_t>(y) * p.outW;
      std::fill(row, row + p.padX, v);
      std::fill(row + p.padX + p.cw, row + p.outW, v);
    }
    std::fill(base + static_cast<size_t>(p.padY + p.ch) * p.outW, base + plane, v);
  }
}

// dst[i] = a[i] + w * (b[i] - a[i]) over n bytes; plain loops the compiler vectorises.
__attribute__((always_inline)) inline void BlendRows(const uint8_t* __restrict a, const uint8_t* __restrict b, float w, int n,
                                                     float* __restrict dst) {
  if (w == 0.0f || a == b) {
    for (int i = 0; i < n; i++) dst[i] = static_cast<float>(a[i]);
    return;
  }
  for (int i = 0; i < n; i++) {
    const float fa = static_cast<float>(a[i]);
    dst[i] = fa + w * (static_cast<float>(b[i]) - fa);
  }
}

#if defined(__clang__)
#define GLOVES_SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
typedef int32_t v4i __attribute__((vector_size(16)));
#define GLOVES_SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, v4i{i, j, k, l})
#endif

// One output row from a blended float row: each output pixel blends its two
// source pixels as whole 4-float vectors (lanes = bytes of a source pixel),
// then 4 pixels at a time are transposed so lanes `first`, 1 and `last` go to
// planes 0, 1 and 2 (first/last = 0/2 in source order, 2/0 for a colour swap).
template <bool kSwap>
__attribute__((always_inline)) inline void HorizontalRow(const float* __restrict row, const int32_t* __restrict off,
                                                         const v4f* __restrict wx, int bpp, const BilinearParams& p, float* __restrict o0,
                                                         float* __restrict o1, float* __restrict o2) {
  const v4f m0 = Splat(p.mul[0]), m1 = Splat(p.mul[1]), m2 = Splat(p.mul[2]);
  const v4f a0 = Splat(p.add[0]), a1 = Splat(p.add[1]), a2 = Splat(p.add[2]);
  auto px = [&](int x) -> v4f {
    const float* s = row + off[x];
    const v4f lo = Load4(s);
    return lo + wx[x] * (Load4(s + bpp) - lo);
  };
  int x = 0;
  for (; x + 4 <= p.cw; x += 4) {
    const v4f q0 = px(x), q1 = px(x + 1), q2 = px(x + 2), q3 = px(x + 3);
    const v4f lo01 = GLOVES_SHUFFLE(q0, q1, 0, 4, 1, 5);  // q0[0] q1[0] q0[1] q1[1]
    const v4f lo23 = GLOVES_SHUFFLE(q2, q3, 0, 4, 1, 5);
    const v4f hi01 = GLOVES_SHUFFLE(q0, q1, 2, 6, 3, 7);  // q0[2] q1[2] ..
    const v4f hi23 = GLOVES_SHUFFLE(q2, q3, 2, 6, 3, 7);
    const v4f c0 = GLOVES_SHUFFLE(lo01, lo23, 0, 1, 4, 5);  // lane 0 of q0..q3
    const v4f c1 = GLOVES_SHUFFLE(lo01, lo23, 2, 3, 6, 7);  // lane 1
    const v4f c2 = GLOVES_SHUFFLE(hi01, hi23, 0, 1, 4, 5);  // lane 2
    Store4(o0 + x, (kSwap ? c2 : c0) * m0 + a0);
    Store4(o1 + x, c1 * m1 + a1);
    Store4(o2 + x, (kSwap ? c0 : c2) * m2 + a2);
  }
  for (; x < p.cw; x++) {
    const v4f q = px(x);
    o0[x] = q[kSwap ? 2 : 0] * p.mul[0] + p.add[0];
    o1[x] = q[1] * p.mul[1] + p.add[1];
    o2[x] = q[kSwap ? 0 : 2] * p.mul[2] + p.add[2];
  }
}

// Any other lane mapping (the addon accepts e.g. one channel to all planes).
void HorizontalRowGeneric(const float* row, const int32_t* off, const v4f* wx, int bpp, const BilinearParams& p, float* o[3]) {
  for (int x = 0; x < p.cw; x++) {
    const float* s = row + off[x];
    const v4f lo = Load4(s);
    const v4f q = lo + wx[x] * (Load4(s + bpp) - lo);
    for (int c = 0; c < 3; c++) o[c][x] = q[p.lane[c]] * p.mul[c] + p.add[c];
  }
}

}  // namespace

// On x86-64 with glibc (ifunc), also compile an AVX2 clone picked at load
// time: about 25% faster where the CPU has it, while the default clone keeps
// the addon runnable on any x86-64. aarch64 (Jetson) has NEON as baseline.
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx2", "default")))
#endif
#endif
void ResampleBilinear(RowSource& src, const BilinearParams& p, float* out) {
  FillPad(p, out);
  const double fx = static_cast<double>(p.rw) / p.cw;
  const double fy = static_cast<double>(p.rh) / p.ch;
  // Horizontal taps: float offset of the left neighbour in the blended row, and
  // its weight rounded to float as the reference's Float32Array does. The right
  // neighbour is the next pixel; at the clamped right edge the weight is 0.
  std::vector<int32_t> off(p.cw);
  std::vector<v4f> wx(p.cw);
  for (int x = 0; x < p.cw; x++) {
    const double sx = SourceCoord(x, fx, p.rw);
    const int x0 = static_cast<int>(std::floor(sx));
    off[x] = x0 * p.bpp;
    wx[x] = Splat(static_cast<float>(sx - x0));
  }
  // Blended row plus one pixel and a vector of zeroed slack, read (times weight 0) at the right edge.
  const int rowFloats = p.rw * p.bpp;
  std::vector<float> row(static_cast<size_t>(rowFloats) + 2 * 4, 0.0f);
  const bool identity = p.lane[0] == 0 && p.lane[1] == 1 && p.lane[2] == 2;
  const bool reversed = p.lane[0] == 2 && p.lane[1] == 1 && p.lane[2] == 0;
  const size_t plane = static_cast<size_t>(p.outW) * p.outH;
  for (int y = 0; y < p.ch; y++) {
    const double sy = SourceCoord(y, fy, p.rh);
    const int y0 = static_cast<int>(std::floor(sy));
    const int y1 = std::min(y0 + 1, p.rh - 1);
    const float wy = static_cast<float>(sy - y0);
    const uint8_t* r0 = src.Row(y0);
    const uint8_t* r1 = y1 == y0 || wy == 0.0f ? r0 : src.Row(y1);
    BlendRows(r0, r1, wy, rowFloats, row.data());
    float* o0 = out + static_cast<size_t>(y + p.padY) * p.outW + p.padX;
    float* o1 = o0 + plane;
    float* o2 = o1 + plane;
    if (identity) {
      HorizontalRow<false>(row.data(), off.data(), wx.data(), p.bpp, p, o0, o1, o2);
    } else if (reversed) {
      HorizontalRow<true>(row.data(), off.data(), wx.data(), p.bpp, p, o0, o1, o2);
    } else {
      float* o[3] = {o0, o1, o2};
      HorizontalRowGeneric(row.data(), off.data(), wx.data(), p.bpp, p, o);
    }
  }
}

}  // namespace gloves
