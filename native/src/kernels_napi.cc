// N-API bindings for the pixel kernels and NMS. Each kernel has a sync entry
// (small inputs) and an async one returning a promise (work on the libuv pool);
// which to use is TypeScript policy. Inputs are re-validated here so a wrong
// call returns a coded error instead of touching memory it should not.
#include "kernels_napi.h"

#include <string>
#include <vector>

#include "codes.h"
#include "common.h"
#include "kernels/nms.h"
#include "kernels/resample.h"

namespace gloves {

namespace {

constexpr int kSlotFields = 11;  // rx, ry, rw, rh, outW, outH, cw, ch, padX, padY, offset

struct PreprocessJob {
  Image img;
  Norm norm;
  std::vector<Slot> slots;
  float* out = nullptr;
  size_t outLength = 0;
};

// Parses and validates a job object; on failure throws a coded JS error and returns false.
bool ParseJob(Napi::Env env, const Napi::Value& arg, PreprocessJob* job, Napi::Object* keep) {
  if (!arg.IsObject()) {
    ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "preprocess job must be an object");
    return false;
  }
  Napi::Object o = arg.As<Napi::Object>();
  Napi::Uint8Array data;
  Napi::Float32Array out;
  Napi::Int32Array slots;
  if (!GetTypedArray<uint8_t>(o.Get("data"), napi_uint8_array, &data) || !GetTypedArray<float>(o.Get("out"), napi_float32_array, &out) ||
      !GetTypedArray<int32_t>(o.Get("slots"), napi_int32_array, &slots)) {
    if (!env.IsExceptionPending())
      ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "data must be a Uint8Array, out a Float32Array, slots an Int32Array");
    return false;
  }
  int64_t format, width, height;
  if (!GetInt(o, "format", 0, 3, &format) || !GetInt(o, "width", 1, 1 << 15, &width) || !GetInt(o, "height", 1, 1 << 15, &height)) {
    if (!env.IsExceptionPending())
      ThrowCoded(env, ::gloves::codes::kImageInvalid, "format must be 0..3 and width/height positive integers");
    return false;
  }
  double srcCh[3];
  if (!GetDoubles(o, "srcCh", 3, srcCh) || !GetDoubles(o, "mul", 3, job->norm.mul) || !GetDoubles(o, "add", 3, job->norm.add) ||
      !GetDoubles(o, "pad", 3, job->norm.pad)) {
    if (!env.IsExceptionPending())
      ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "srcCh, mul, add and pad must be 3 finite numbers each");
    return false;
  }
  for (int c = 0; c < 3; c++) {
    if (srcCh[c] != 0 && srcCh[c] != 1 && srcCh[c] != 2) {
      ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "srcCh entries must be 0, 1 or 2");
      return false;
    }
    job->norm.srcCh[c] = static_cast<int>(srcCh[c]);
  }
  job->img = Image{data.Data(), data.ByteLength(), static_cast<PixelFormat>(format), static_cast<int>(width), static_cast<int>(height)};
  Error e = ValidateImage(job->img);
  if (!e.ok()) {
    ThrowCoded(env, e.code, e.message);
    return false;
  }
  if (slots.ElementLength() == 0 || slots.ElementLength() % kSlotFields != 0) {
    ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "slots must hold a positive multiple of 11 integers");
    return false;
  }
  job->out = out.Data();
  job->outLength = out.ElementLength();
  const int32_t* s = slots.Data();
  for (size_t i = 0; i < slots.ElementLength(); i += kSlotFields) {
    if (s[i + 10] < 0) {
      ThrowCoded(env, ::gloves::codes::kBufferTooSmall, "negative output offset");
      return false;
    }
    Slot slot{
        s[i], s[i + 1], s[i + 2], s[i + 3], s[i + 4], s[i + 5], s[i + 6], s[i + 7], s[i + 8], s[i + 9], static_cast<size_t>(s[i + 10])};
    e = ValidateSlot(job->img, slot, job->outLength);
    if (!e.ok()) {
      ThrowCoded(env, e.code, e.message);
      return false;
    }
    job->slots.push_back(slot);
  }
  *keep = o;
  return true;
}

void RunJob(const PreprocessJob& job) {
  std::string scratch;
  for (const Slot& s : job.slots) ResampleSlot(job.img, s, job.norm, job.out, scratch);
}

class PreprocessWorker : public Napi::AsyncWorker {
 public:
  PreprocessWorker(Napi::Env env, PreprocessJob job, Napi::Object keep)
      : Napi::AsyncWorker(env, "gloves.preprocess"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {
    // Holding the job object keeps its typed arrays alive until the work is done.
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { RunJob(job_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PreprocessJob job_;
  Napi::ObjectReference keep_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PreprocessJob job;
  Napi::Object keep;
  if (!ParseJob(env, info[0], &job, &keep)) return env.Undefined();
  RunJob(job);
  return env.Undefined();
}

Napi::Value PreprocessAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PreprocessJob job;
  Napi::Object keep;
  if (!ParseJob(env, info[0], &job, &keep)) return env.Undefined();
  auto* w = new PreprocessWorker(env, std::move(job), keep);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

struct NmsJob {
  const double* boxes = nullptr;
  const double* scores = nullptr;
  const int32_t* classes = nullptr;
  size_t n = 0;
  double iou = 0;
};

bool ParseNms(const Napi::CallbackInfo& info, NmsJob* job) {
  Napi::Env env = info.Env();
  Napi::Float64Array boxes, scores;
  Napi::Int32Array classes;
  if (info.Length() < 4 || !GetTypedArray<double>(info[0], napi_float64_array, &boxes) ||
      !GetTypedArray<double>(info[1], napi_float64_array, &scores) || !GetTypedArray<int32_t>(info[2], napi_int32_array, &classes) ||
      !GetDouble(info[3], &job->iou)) {
    ThrowCoded(env, ::gloves::codes::kNativeBadArgument,
               "nms(boxes: Float64Array, scores: Float64Array, classes: Int32Array, iou: number)");
    return false;
  }
  const size_t n = scores.ElementLength();
  if (boxes.ElementLength() != 4 * n || classes.ElementLength() != n) {
    ThrowCoded(env, ::gloves::codes::kNmsInvalid, "boxes must hold 4 numbers per score and classes one per score");
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (std::isnan(scores[i])) {
      ThrowCoded(env, ::gloves::codes::kNmsInvalid, "scores must not be NaN");
      return false;
    }
  }
  *job = NmsJob{boxes.Data(), scores.Data(), classes.Data(), n, job->iou};
  return true;
}

Napi::Value ToInt32Array(Napi::Env env, const std::vector<int32_t>& kept) {
  Napi::Int32Array r = Napi::Int32Array::New(env, kept.size());
  for (size_t i = 0; i < kept.size(); i++) r[i] = kept[i];
  return r;
}

Napi::Value NmsSync(const Napi::CallbackInfo& info) {
  NmsJob job;
  if (!ParseNms(info, &job)) return info.Env().Undefined();
  return ToInt32Array(info.Env(), Nms(job.boxes, job.scores, job.classes, job.n, job.iou));
}

class NmsWorker : public Napi::AsyncWorker {
 public:
  NmsWorker(Napi::Env env, NmsJob job, const Napi::CallbackInfo& info)
      : Napi::AsyncWorker(env, "gloves.nms"), job_(job), deferred_(Napi::Promise::Deferred::New(env)) {
    for (int i = 0; i < 3; i++) keep_[i] = Napi::Persistent(info[i].As<Napi::Object>());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { kept_ = Nms(job_.boxes, job_.scores, job_.classes, job_.n, job_.iou); }
  void OnOK() override { deferred_.Resolve(ToInt32Array(Env(), kept_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  NmsJob job_;
  Napi::ObjectReference keep_[3];
  std::vector<int32_t> kept_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value NmsAsync(const Napi::CallbackInfo& info) {
  NmsJob job;
  if (!ParseNms(info, &job)) return info.Env().Undefined();
  auto* w = new NmsWorker(info.Env(), job, info);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void RegisterKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocess", Napi::Function::New(env, Preprocess, "preprocess"));
  exports.Set("preprocessAsync", Napi::Function::New(env, PreprocessAsync, "preprocessAsync"));
  exports.Set("nms", Napi::Function::New(env, NmsSync, "nms"));
  exports.Set("nmsAsync", Napi::Function::New(env, NmsAsync, "nmsAsync"));
}

}  // namespace gloves
