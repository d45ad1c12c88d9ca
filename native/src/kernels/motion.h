// Motion-gating kernels: a grey image downscaled by whole blocks, and a
// per-cell count of pixels that changed between two such images. Pure C++
// (no N-API), integer arithmetic only, so the TypeScript reference
// daemon/src/kernels/motion.ts gives bit-identical results (tested by
// test/native/motion-parity.test.ts). Which factor, threshold and grid to use,
// and what counts as motion, is policy in TypeScript (daemon/src/motion/).
#pragma once
#include <cstddef>
#include <cstdint>

#include "resample.h"

namespace gloves {

// Luma of one RGB pixel, weights summing to 256 (BT.601 rounded):
//   (77 R + 150 G + 29 B + 128) >> 8.
// NV12 images use their Y plane as is.
inline int GreyOf(int r, int g, int b) { return (77 * r + 150 * g + 29 * b + 128) >> 8; }

// Output size of GreyDownscale: whole factor x factor blocks; the right and
// bottom remainders are dropped.
inline int DownscaledSide(int side, int factor) { return side / factor; }

// Averages each factor x factor block of luma, rounding half up:
//   out = (sum + factor*factor/2) / (factor*factor).
// Precondition: ValidateImage(img) passed, factor >= 1, both output sides >= 1,
// and `out` holds DownscaledSide(width) * DownscaledSide(height) bytes.
void GreyDownscale(const Image& img, int factor, uint8_t* out);

// For each pixel with |a - b| > threshold, increments the count of its cell:
// cell (x * cellsX / width, y * cellsY / height), row-major in `counts`
// (cellsX * cellsY entries, zeroed here first).
// Precondition: a and b hold width * height bytes, 1 <= cellsX <= width, 1 <= cellsY <= height.
void MotionCells(const uint8_t* a, const uint8_t* b, int width, int height, int threshold, int cellsX, int cellsY, int32_t* counts);

}  // namespace gloves
