// NV12 (BT.601 limited range) to packed RGB, the same integer formula as
// daemon/src/vision/convert.ts:
//   C = Y - 16, D = U - 128, E = V - 128
//   R = clamp((298 C + 409 E + 128) >> 8)
//   G = clamp((298 C - 100 D - 208 E + 128) >> 8)
//   B = clamp((298 C + 516 D + 128) >> 8)
// Each 2x2 block shares one U,V pair (nearest chroma, no interpolation).
#pragma once
#include <cstddef>
#include <cstdint>

namespace gloves {

// Converts the region [rx, rx+rw) x [ry, ry+rh) of an NV12 image of
// width x height into rw*rh*3 bytes at `rgb`. Caller guarantees bounds.
void Nv12RegionToRgb(const uint8_t* nv12, int width, int height, int rx, int ry, int rw, int rh, uint8_t* rgb);

}  // namespace gloves
