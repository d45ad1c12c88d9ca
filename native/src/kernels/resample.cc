#include "resample.h"

#include <string>

#include "bilinear.h"
#include "codes.h"
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
  if (f < 0 || f > 3) return Fail(::gloves::codes::kImageInvalid, "unknown pixel format");
  if (img.width <= 0 || img.height <= 0 || img.width > kMaxSide || img.height > kMaxSide) {
    return Fail(::gloves::codes::kImageInvalid, "image size out of range");
  }
  if (img.format == PixelFormat::kNV12 && (img.width % 2 != 0 || img.height % 2 != 0)) {
    return Fail(::gloves::codes::kImageInvalid, "NV12 needs even width and height");
  }
  if (img.data == nullptr || img.length != ExpectedBytes(img.format, img.width, img.height)) {
    return Fail(::gloves::codes::kImageInvalid, "image buffer length does not match format and size");
  }
  return {};
}

Error ValidateSlot(const Image& img, const Slot& s, size_t outLength) {
  if (s.outW <= 0 || s.outH <= 0 || s.outW > kMaxSide || s.outH > kMaxSide)
    return Fail(::gloves::codes::kSizeInvalid, "output size out of range");
  if (s.rw <= 0 || s.rh <= 0) return Fail(::gloves::codes::kRegionInvalid, "region must have a positive size");
  if (s.rx < 0 || s.ry < 0 || s.rx > img.width - s.rw || s.ry > img.height - s.rh) {
    return Fail(::gloves::codes::kRegionOutside, "region is outside the image");
  }
  if (s.cw <= 0 || s.ch <= 0 || s.padX < 0 || s.padY < 0 || s.cw > s.outW - s.padX || s.ch > s.outH - s.padY) {
    return Fail(::gloves::codes::kSizeInvalid, "content rectangle does not fit the output");
  }
  const size_t need = 3 * static_cast<size_t>(s.outW) * static_cast<size_t>(s.outH);
  if (s.offset > outLength || need > outLength - s.offset)
    return Fail(::gloves::codes::kBufferTooSmall, "output buffer too small for this slot");
  return {};
}

namespace {

// A packed RGB/BGR/RGBA region: rows are read in place.
class PackedRows : public RowSource {
 public:
  PackedRows(const Image& img, int bpp, const Slot& s)
      : base_(img.data + static_cast<size_t>(s.ry) * img.width * bpp + static_cast<size_t>(s.rx) * bpp),
        stride_(static_cast<size_t>(img.width) * bpp) {}
  const uint8_t* Row(int y) override { return base_ + static_cast<size_t>(y) * stride_; }

 private:
  const uint8_t* base_;
  size_t stride_;
};

// An NV12 region: rows are converted to RGB on demand, keeping the two most
// recently used (each output row needs two neighbouring source rows).
class Nv12Rows : public RowSource {
 public:
  Nv12Rows(const Image& img, const Slot& s, std::string& scratch) : img_(img), s_(s) {
    const size_t rowBytes = static_cast<size_t>(s.rw) * 3;
    scratch.resize(2 * rowBytes);
    buf_[0] = reinterpret_cast<uint8_t*>(&scratch[0]);
    buf_[1] = buf_[0] + rowBytes;
  }
  const uint8_t* Row(int y) override {
    for (int i = 0; i < 2; i++) {
      if (have_[i] == y) {
        last_ = i;
        return buf_[i];
      }
    }
    const int i = 1 - last_;
    Nv12RegionToRgb(img_.data, img_.width, img_.height, s_.rx, s_.ry + y, s_.rw, 1, buf_[i]);
    have_[i] = y;
    last_ = i;
    return buf_[i];
  }

 private:
  const Image& img_;
  const Slot& s_;
  uint8_t* buf_[2] = {nullptr, nullptr};
  int have_[2] = {-1, -1};
  int last_ = 1;
};

}  // namespace

void ResampleSlot(const Image& img, const Slot& s, const Norm& n, float* out, std::string& scratch) {
  // Byte offset of each RGB channel inside a source pixel.
  static const int kRgbOff[3] = {0, 1, 2};
  static const int kBgrOff[3] = {2, 1, 0};
  const int* chOff = img.format == PixelFormat::kBGR ? kBgrOff : kRgbOff;
  BilinearParams p;
  p.rw = s.rw;
  p.rh = s.rh;
  p.bpp = img.format == PixelFormat::kRGBA ? 4 : 3;
  p.cw = s.cw;
  p.ch = s.ch;
  p.outW = s.outW;
  p.outH = s.outH;
  p.padX = s.padX;
  p.padY = s.padY;
  for (int c = 0; c < 3; c++) {
    p.lane[c] = chOff[n.srcCh[c]];
    p.mul[c] = static_cast<float>(n.mul[c]);
    p.add[c] = static_cast<float>(n.add[c]);
    p.pad[c] = static_cast<float>(n.pad[c]);
  }
  if (img.format == PixelFormat::kNV12) {
    Nv12Rows rows(img, s, scratch);
    ResampleBilinear(rows, p, out + s.offset);
  } else {
    PackedRows rows(img, p.bpp, s);
    ResampleBilinear(rows, p, out + s.offset);
  }
}

}  // namespace gloves
