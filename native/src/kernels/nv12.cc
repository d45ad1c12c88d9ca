#include "nv12.h"

namespace gloves {

namespace {
inline uint8_t Clamp8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// One pixel from its luma and its pair's precomputed chroma terms.
inline void Put(int y, int rd, int gd, int bd, uint8_t* o) {
  const int c = 298 * (y - 16);
  o[0] = Clamp8((c + rd) >> 8);
  o[1] = Clamp8((c + gd) >> 8);
  o[2] = Clamp8((c + bd) >> 8);
}
}  // namespace

void Nv12RegionToRgb(const uint8_t* nv12, int width, int height, int rx, int ry, int rw, int rh, uint8_t* rgb) {
  const uint8_t* uvPlane = nv12 + static_cast<size_t>(width) * height;
  const size_t uvStride = static_cast<size_t>((width + 1) / 2) * 2;
  for (int y = 0; y < rh; y++) {
    const int sy = ry + y;
    const uint8_t* yRow = nv12 + static_cast<size_t>(sy) * width;
    const uint8_t* uvRow = uvPlane + static_cast<size_t>(sy / 2) * uvStride;
    uint8_t* o = rgb + static_cast<size_t>(y) * rw * 3;
    // Chroma terms once per 2-pixel pair (the region may start or end mid-pair).
    for (int x = 0; x < rw;) {
      const int sx = rx + x;
      const int pair = sx & ~1;
      const int d = static_cast<int>(uvRow[pair]) - 128;
      const int e = static_cast<int>(uvRow[pair + 1]) - 128;
      const int rd = 409 * e + 128, gd = -100 * d - 208 * e + 128, bd = 516 * d + 128;
      Put(yRow[sx], rd, gd, bd, o + 3 * x);
      x++;
      if (sx == pair && x < rw) {
        Put(yRow[sx + 1], rd, gd, bd, o + 3 * x);
        x++;
      }
    }
  }
}

}  // namespace gloves
