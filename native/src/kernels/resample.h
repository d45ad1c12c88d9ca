// Bilinear resample of an image region into an NCHW float32 slot, with
// per-channel affine normalisation and a padded border. Pure C++ (no N-API).
//
// Contract: the sampling geometry of the TypeScript reference
// daemon/src/vision/preprocess.ts (same source coordinates, taps, clamping and
// content placement, computed in double; pad values bit-identical), blended in
// float by the fast separable kernel in bilinear.h. Tolerance against the
// double reference, per output value of channel c:
//   |native - reference| <= 1e-3 * |mul[c]|
// i.e. at most 1/1000 of one 8-bit pixel level, float32 rounding of the output
// included (measured worst case 3.5e-5 levels; asserted by test/native on real
// frames and photos in every pixel format). NV12 -> RGB is exact (integer).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace gloves {

enum class PixelFormat : int { kRGB = 0, kBGR = 1, kRGBA = 2, kNV12 = 3 };

struct Image {
  const uint8_t* data = nullptr;
  size_t length = 0;
  PixelFormat format = PixelFormat::kRGB;
  int width = 0;
  int height = 0;
};

// One output slot: the region of the image it samples and where the content
// lands inside the outW x outH plane (letterbox geometry is decided in TS).
struct Slot {
  int rx = 0, ry = 0, rw = 0, rh = 0;
  int outW = 0, outH = 0;
  int cw = 0, ch = 0;
  int padX = 0, padY = 0;
  size_t offset = 0;  // in floats
};

struct Norm {
  int srcCh[3] = {0, 1, 2};  // RGB channel feeding each output channel
  double mul[3] = {1, 1, 1};
  double add[3] = {0, 0, 0};
  double pad[3] = {0, 0, 0};  // already normalised
};

struct Error {
  std::string code;
  std::string message;
  bool ok() const { return code.empty(); }
};

size_t ExpectedBytes(PixelFormat f, int width, int height);

// Checks everything the kernel relies on; never trusts the caller.
Error ValidateImage(const Image& img);
Error ValidateSlot(const Image& img, const Slot& s, size_t outLength);

// Fills out[s.offset ..] for one slot. Precondition: Validate* passed.
// `scratch` is reused between slots (NV12 rows are converted into it).
void ResampleSlot(const Image& img, const Slot& s, const Norm& n, float* out, std::string& scratch);

}  // namespace gloves
