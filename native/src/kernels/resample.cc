#include "resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nv12.h"

namespace gloves {

size_t ExpectedBytes(PixelFormat f, int width, int height) {
  const size_t w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  switch (f) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
      return w * h * 3;
    case PixelFormat::kRGBA:
      return w * h * 4;
    case PixelFormat::kNV12:
      return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
  }
  return 0;
}

namespace {
// Images beyond this are refused outright: it keeps every size product far
// from overflowing and no camera frame comes close.
constexpr int kMaxSide = 1 << 15;

Error Fail(const char* code, std::string msg) { return Error{code, std::move(msg)}; }
}  // namespace

Error ValidateImage(const Image& img) {
  const int f = static_cast<int>(img.format);
  if (f < 0 || f > 3) return Fail("IMAGE_INVALID", "unknown pixel format");
  if (img.width <= 0 || img.height <= 0 || img.width > kMaxSide || img.height > kMaxSide) {
    return Fail("IMAGE_INVALID", "image size out of range");
  }
  if (img.format == PixelFormat::kNV12 && (img.width % 2 != 0 || img.height % 2 != 0)) {
    return Fail("IMAGE_INVALID", "NV12 needs even width and height");
  }
  if (img.data == nullptr || img.length != ExpectedBytes(img.format, img.width, img.height)) {
    return Fail("IMAGE_INVALID", "image buffer length does not match format and size");
  }
  return {};
}

Error ValidateSlot(const Image& img, const Slot& s, size_t outLength) {
  if (s.outW <= 0 || s.outH <= 0 || s.outW > kMaxSide || s.outH > kMaxSide) return Fail("SIZE_INVALID", "output size out of range");
  if (s.rw <= 0 || s.rh <= 0) return Fail("REGION_INVALID", "region must have a positive size");
  if (s.rx < 0 || s.ry < 0 || s.rx > img.width - s.rw || s.ry > img.height - s.rh) {
    return Fail("REGION_OUTSIDE", "region is outside the image");
  }
  if (s.cw <= 0 || s.ch <= 0 || s.padX < 0 || s.padY < 0 || s.cw > s.outW - s.padX || s.ch > s.outH - s.padY) {
    return Fail("SIZE_INVALID", "content rectangle does not fit the output");
  }
  const size_t need = 3 * static_cast<size_t>(s.outW) * static_cast<size_t>(s.outH);
  if (s.offset > outLength || need > outLength - s.offset) return Fail("BUFFER_TOO_SMALL", "output buffer too small for this slot");
  return {};
}

namespace {

// bpp: bytes per pixel of the sampled buffer; chOff: byte offset of each RGB channel in a pixel.
void Resample(const uint8_t* data, int stride, int bpp, const int chOff[3], int rx, int ry, int rw, int rh, const Slot& s,
              const Norm& n, float* out) {
  const size_t plane = static_cast<size_t>(s.outW) * s.outH;
  float* base = out + s.offset;
  if (s.cw != s.outW || s.ch != s.outH) {
    for (int c = 0; c < 3; c++) std::fill(base + c * plane, base + (c + 1) * plane, static_cast<float>(n.pad[c]));
  }
  const double fx = static_cast<double>(rw) / s.cw;
  const double fy = static_cast<double>(rh) / s.ch;
  std::vector<int> x0s(s.cw), x1s(s.cw);
  std::vector<double> wxs(s.cw);
  for (int x = 0; x < s.cw; x++) {
    double sx = (x + 0.5) * fx - 0.5;
    if (sx < 0) sx = 0;
    if (sx > rw - 1) sx = rw - 1;
    const int x0 = static_cast<int>(std::floor(sx));
    x0s[x] = (rx + x0) * bpp;
    x1s[x] = (rx + std::min(x0 + 1, rw - 1)) * bpp;
    // The reference keeps this weight in a Float32Array.
    wxs[x] = static_cast<double>(static_cast<float>(sx - x0));
  }
  const int s0 = chOff[n.srcCh[0]], s1 = chOff[n.srcCh[1]], s2 = chOff[n.srcCh[2]];
  const double m0 = n.mul[0], m1 = n.mul[1], m2 = n.mul[2];
  const double a0 = n.add[0], a1 = n.add[1], a2 = n.add[2];
  for (int y = 0; y < s.ch; y++) {
    double sy = (y + 0.5) * fy - 0.5;
    if (sy < 0) sy = 0;
    if (sy > rh - 1) sy = rh - 1;
    const int y0 = static_cast<int>(std::floor(sy));
    const double wy = sy - y0;
    const uint8_t* row0 = data + static_cast<size_t>(ry + y0) * stride;
    const uint8_t* row1 = data + static_cast<size_t>(ry + std::min(y0 + 1, rh - 1)) * stride;
    float* o0 = base + static_cast<size_t>(y + s.padY) * s.outW + s.padX;
    float* o1 = o0 + plane;
    float* o2 = o1 + plane;
    for (int x = 0; x < s.cw; x++) {
      const double wx = wxs[x];
      const uint8_t* p00 = row0 + x0s[x];
      const uint8_t* p01 = row0 + x1s[x];
      const uint8_t* p10 = row1 + x0s[x];
      const uint8_t* p11 = row1 + x1s[x];
      const double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
      const double v0 = p00[s0] * w00 + p01[s0] * w01 + p10[s0] * w10 + p11[s0] * w11;
      const double v1 = p00[s1] * w00 + p01[s1] * w01 + p10[s1] * w10 + p11[s1] * w11;
      const double v2 = p00[s2] * w00 + p01[s2] * w01 + p10[s2] * w10 + p11[s2] * w11;
      o0[x] = static_cast<float>(v0 * m0 + a0);
      o1[x] = static_cast<float>(v1 * m1 + a1);
      o2[x] = static_cast<float>(v2 * m2 + a2);
    }
  }
}

}  // namespace

void ResampleSlot(const Image& img, const Slot& s, const Norm& n, float* out, std::string& scratch) {
  static const int kRgb[3] = {0, 1, 2};
  static const int kBgr[3] = {2, 1, 0};
  switch (img.format) {
    case PixelFormat::kRGB:
      Resample(img.data, img.width * 3, 3, kRgb, s.rx, s.ry, s.rw, s.rh, s, n, out);
      return;
    case PixelFormat::kBGR:
      Resample(img.data, img.width * 3, 3, kBgr, s.rx, s.ry, s.rw, s.rh, s, n, out);
      return;
    case PixelFormat::kRGBA:
      Resample(img.data, img.width * 4, 4, kRgb, s.rx, s.ry, s.rw, s.rh, s, n, out);
      return;
    case PixelFormat::kNV12: {
      // Taps never leave the region, so converting just the region is exact.
      scratch.resize(static_cast<size_t>(s.rw) * s.rh * 3);
      auto* rgb = reinterpret_cast<uint8_t*>(&scratch[0]);
      Nv12RegionToRgb(img.data, img.width, img.height, s.rx, s.ry, s.rw, s.rh, rgb);
      Resample(rgb, s.rw * 3, 3, kRgb, 0, 0, s.rw, s.rh, s, n, out);
      return;
    }
  }
}

}  // namespace gloves
