#include "motion.h"

#include <algorithm>
#include <vector>

namespace gloves {

namespace {

// Luma of row y, columns [0, n) of a packed image, into `row`.
void LumaRow(const Image& img, int y, int n, int* row) {
  const size_t w = static_cast<size_t>(img.width);
  switch (img.format) {
    case PixelFormat::kNV12: {
      const uint8_t* p = img.data + static_cast<size_t>(y) * w;
      for (int x = 0; x < n; x++) row[x] = p[x];
      return;
    }
    case PixelFormat::kRGBA: {
      const uint8_t* p = img.data + static_cast<size_t>(y) * w * 4;
      for (int x = 0; x < n; x++, p += 4) row[x] = GreyOf(p[0], p[1], p[2]);
      return;
    }
    case PixelFormat::kBGR: {
      const uint8_t* p = img.data + static_cast<size_t>(y) * w * 3;
      for (int x = 0; x < n; x++, p += 3) row[x] = GreyOf(p[2], p[1], p[0]);
      return;
    }
    case PixelFormat::kRGB: {
      const uint8_t* p = img.data + static_cast<size_t>(y) * w * 3;
      for (int x = 0; x < n; x++, p += 3) row[x] = GreyOf(p[0], p[1], p[2]);
      return;
    }
  }
}

}  // namespace

void GreyDownscale(const Image& img, int factor, uint8_t* out) {
  const int ow = DownscaledSide(img.width, factor), oh = DownscaledSide(img.height, factor);
  const int used = ow * factor;
  const int area = factor * factor;
  std::vector<int> luma(static_cast<size_t>(used));
  std::vector<int> sums(static_cast<size_t>(ow));
  for (int oy = 0; oy < oh; oy++) {
    std::fill(sums.begin(), sums.end(), 0);
    for (int dy = 0; dy < factor; dy++) {
      LumaRow(img, oy * factor + dy, used, luma.data());
      for (int ox = 0, x = 0; ox < ow; ox++)
        for (int dx = 0; dx < factor; dx++, x++) sums[ox] += luma[x];
    }
    uint8_t* o = out + static_cast<size_t>(oy) * ow;
    for (int ox = 0; ox < ow; ox++) o[ox] = static_cast<uint8_t>((sums[ox] + area / 2) / area);
  }
}

void MotionCells(const uint8_t* a, const uint8_t* b, int width, int height, int threshold, int cellsX, int cellsY, int32_t* counts) {
  std::fill(counts, counts + static_cast<size_t>(cellsX) * cellsY, 0);
  // Column -> cell column once, not per pixel.
  std::vector<int> cellOfX(static_cast<size_t>(width));
  for (int x = 0; x < width; x++) cellOfX[x] = static_cast<int>(static_cast<int64_t>(x) * cellsX / width);
  for (int y = 0; y < height; y++) {
    const size_t row = static_cast<size_t>(y) * width;
    int32_t* cellRow = counts + static_cast<size_t>(static_cast<int64_t>(y) * cellsY / height) * cellsX;
    for (int x = 0; x < width; x++) {
      const int d = static_cast<int>(a[row + x]) - static_cast<int>(b[row + x]);
      if (d > threshold || -d > threshold) cellRow[cellOfX[x]]++;
    }
  }
}

}  // namespace gloves
