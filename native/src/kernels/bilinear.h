// The fast bilinear resampler behind ResampleSlot: separable, float, and
// written so the compiler vectorises it (GCC/Clang vector extensions, which
// map to SSE2 on any x86-64 and to NEON on aarch64; no -march needed).
//
// Per output row: one vertical pass blends the two source rows into a float
// row (contiguous, vectorised), then one horizontal pass takes each output
// pixel's two neighbouring source pixels as 4-float vectors (all channels at
// once), blends them, and 4 output pixels at a time are transposed into the
// three NCHW planes and normalised (x * mul[c] + add[c]).
//
// Geometry is the reference's (daemon/src/vision/preprocess.ts): the same
// source coordinates, taps and clamping, computed in double. Only the
// blending is float, so results differ from the double reference by float
// rounding alone (the stated tolerance is in resample.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gloves {

// Region-relative source rows, packed, `bpp` bytes per pixel (3 or 4).
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Row y of the region (0 <= y < rh), at least rw * bpp bytes.
  virtual const uint8_t* Row(int y) = 0;
};

struct BilinearParams {
  int rw = 0, rh = 0;       // region size
  int bpp = 3;              // bytes per source pixel
  int cw = 0, ch = 0;       // content size
  int outW = 0, outH = 0;   // plane size
  int padX = 0, padY = 0;   // content origin in the plane
  int lane[3] = {0, 1, 2};  // byte within a source pixel feeding output plane c
  float mul[3] = {1, 1, 1};
  float add[3] = {0, 0, 0};
  float pad[3] = {0, 0, 0};
};

// Fills the three planes starting at `out` (3 * outW * outH floats).
void ResampleBilinear(RowSource& src, const BilinearParams& p, float* out);

}  // namespace gloves
