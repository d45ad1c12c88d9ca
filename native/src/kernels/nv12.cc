#include "nv12.h"

namespace gloves {

namespace {
inline uint8_t Clamp8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }
}  // namespace

void Nv12RegionToRgb(const uint8_t* nv12, int width, int height, int rx, int ry, int rw, int rh, uint8_t* rgb) {
  const uint8_t* uvPlane = nv12 + static_cast<size_t>(width) * height;
  const size_t uvStride = static_cast<size_t>((width + 1) / 2) * 2;
  for (int y = 0; y < rh; y++) {
    const int sy = ry + y;
    const uint8_t* yRow = nv12 + static_cast<size_t>(sy) * width;
    const uint8_t* uvRow = uvPlane + static_cast<size_t>(sy / 2) * uvStride;
    uint8_t* o = rgb + static_cast<size_t>(y) * rw * 3;
    for (int x = 0; x < rw; x++) {
      const int sx = rx + x;
      const int c = static_cast<int>(yRow[sx]) - 16;
      const int d = static_cast<int>(uvRow[(sx / 2) * 2]) - 128;
      const int e = static_cast<int>(uvRow[(sx / 2) * 2 + 1]) - 128;
      o[3 * x] = Clamp8((298 * c + 409 * e + 128) >> 8);
      o[3 * x + 1] = Clamp8((298 * c - 100 * d - 208 * e + 128) >> 8);
      o[3 * x + 2] = Clamp8((298 * c + 516 * d + 128) >> 8);
    }
  }
}

}  // namespace gloves
