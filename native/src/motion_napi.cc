// N-API bindings of the motion kernels (kernels/motion.h): greyDownscale (sync,
// and async on the libuv pool for big frames; which one is TypeScript policy)
// and motionCells (sync: it reads two small grey images). Inputs are
// re-validated here, so a wrong call returns a coded error instead of touching
// memory it should not.
#include "motion_napi.h"

#include "codes.h"
#include "common.h"
#include "kernels/motion.h"

namespace gloves {

namespace {

constexpr int kMaxFactor = 64;
constexpr int kMaxCells = 1024;

struct GreyJob {
  Image img;
  int factor = 1;
  uint8_t* out = nullptr;
};

// Parses and validates {data, format, width, height, factor, out}; on failure throws a coded JS error and returns false.
bool ParseGreyJob(Napi::Env env, const Napi::Value& arg, GreyJob* job, Napi::Object* keep) {
  if (!arg.IsObject()) {
    ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "greyDownscale job must be an object");
    return false;
  }
  Napi::Object o = arg.As<Napi::Object>();
  Napi::Uint8Array data, out;
  if (!GetTypedArray<uint8_t>(o.Get("data"), napi_uint8_array, &data) || !GetTypedArray<uint8_t>(o.Get("out"), napi_uint8_array, &out)) {
    if (!env.IsExceptionPending()) ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "data and out must be Uint8Arrays");
    return false;
  }
  int64_t format, width, height, factor;
  if (!GetInt(o, "format", 0, 3, &format) || !GetInt(o, "width", 1, 1 << 15, &width) || !GetInt(o, "height", 1, 1 << 15, &height)) {
    if (!env.IsExceptionPending())
      ThrowCoded(env, ::gloves::codes::kImageInvalid, "format must be 0..3 and width/height positive integers");
    return false;
  }
  if (!GetInt(o, "factor", 1, kMaxFactor, &factor)) {
    if (!env.IsExceptionPending()) ThrowCoded(env, ::gloves::codes::kSizeInvalid, "factor must be an integer in 1..64");
    return false;
  }
  job->img = Image{data.Data(), data.ByteLength(), static_cast<PixelFormat>(format), static_cast<int>(width), static_cast<int>(height)};
  Error e = ValidateImage(job->img);
  if (!e.ok()) {
    ThrowCoded(env, e.code, e.message);
    return false;
  }
  const int ow = DownscaledSide(job->img.width, static_cast<int>(factor));
  const int oh = DownscaledSide(job->img.height, static_cast<int>(factor));
  if (ow < 1 || oh < 1) {
    ThrowCoded(env, ::gloves::codes::kSizeInvalid, "factor is larger than the image");
    return false;
  }
  if (out.ByteLength() != static_cast<size_t>(ow) * oh) {
    ThrowCoded(env, ::gloves::codes::kBufferTooSmall, "out must hold exactly (width/factor) * (height/factor) bytes");
    return false;
  }
  job->factor = static_cast<int>(factor);
  job->out = out.Data();
  *keep = o;
  return true;
}

class GreyWorker : public Napi::AsyncWorker {
 public:
  GreyWorker(Napi::Env env, GreyJob job, Napi::Object keep)
      : Napi::AsyncWorker(env, "gloves.greyDownscale"), job_(job), deferred_(Napi::Promise::Deferred::New(env)) {
    // Holding the job object keeps its typed arrays alive until the work is done.
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { GreyDownscale(job_.img, job_.factor, job_.out); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  GreyJob job_;
  Napi::ObjectReference keep_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value GreySync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GreyJob job;
  Napi::Object keep;
  if (!ParseGreyJob(env, info[0], &job, &keep)) return env.Undefined();
  GreyDownscale(job.img, job.factor, job.out);
  return env.Undefined();
}

Napi::Value GreyAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GreyJob job;
  Napi::Object keep;
  if (!ParseGreyJob(env, info[0], &job, &keep)) return env.Undefined();
  auto* w = new GreyWorker(env, job, keep);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// motionCells(a: Uint8Array, b: Uint8Array, width, height, threshold, cellsX, cellsY, counts: Int32Array)
Napi::Value Cells(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array a, b;
  Napi::Int32Array counts;
  double nums[5];
  bool ok = info.Length() >= 8 && GetTypedArray<uint8_t>(info[0], napi_uint8_array, &a) &&
            GetTypedArray<uint8_t>(info[1], napi_uint8_array, &b) && GetTypedArray<int32_t>(info[7], napi_int32_array, &counts);
  for (int i = 0; ok && i < 5; i++) ok = GetDouble(info[2 + i], &nums[i]) && nums[i] == static_cast<double>(static_cast<int64_t>(nums[i]));
  if (!ok) {
    return ThrowCoded(env, ::gloves::codes::kNativeBadArgument,
                      "motionCells(a: Uint8Array, b: Uint8Array, width, height, threshold, cellsX, cellsY: integers, counts: Int32Array)");
  }
  const double width = nums[0], height = nums[1], threshold = nums[2], cellsX = nums[3], cellsY = nums[4];
  if (width < 1 || height < 1 || width > (1 << 15) || height > (1 << 15))
    return ThrowCoded(env, ::gloves::codes::kImageInvalid, "grey image size out of range");
  const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
  if (a.ByteLength() != pixels || b.ByteLength() != pixels)
    return ThrowCoded(env, ::gloves::codes::kImageInvalid, "both grey images must hold width * height bytes");
  if (threshold < 0 || threshold > 255) return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "threshold must be in 0..255");
  if (cellsX < 1 || cellsY < 1 || cellsX > width || cellsY > height || cellsX > kMaxCells || cellsY > kMaxCells)
    return ThrowCoded(env, ::gloves::codes::kSizeInvalid, "cells must be 1..width by 1..height (at most 1024 each way)");
  if (counts.ElementLength() != static_cast<size_t>(cellsX) * static_cast<size_t>(cellsY))
    return ThrowCoded(env, ::gloves::codes::kBufferTooSmall, "counts must hold exactly cellsX * cellsY integers");
  MotionCells(a.Data(), b.Data(), static_cast<int>(width), static_cast<int>(height), static_cast<int>(threshold), static_cast<int>(cellsX),
              static_cast<int>(cellsY), counts.Data());
  return env.Undefined();
}

}  // namespace

void RegisterMotion(Napi::Env env, Napi::Object exports) {
  exports.Set("greyDownscale", Napi::Function::New(env, GreySync, "greyDownscale"));
  exports.Set("greyDownscaleAsync", Napi::Function::New(env, GreyAsync, "greyDownscaleAsync"));
  exports.Set("motionCells", Napi::Function::New(env, Cells, "motionCells"));
}

}  // namespace gloves
