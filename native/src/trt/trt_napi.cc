// N-API surface of the TensorRT runner. Builds, loads and runs all happen on
// the libuv pool and resolve promises; arguments are re-checked here and every
// failure rejects with a coded Error (policy and defaults live in TypeScript).
// Every function N-API can call goes through guard.h (GuardedJs/GuardedWorker):
// a C++ exception anywhere here becomes a TRT_INTERNAL error, never a crash.
#include "trt_napi.h"

#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "builder.h"
#include "codes.h"
#include "common.h"
#include "engine.h"
#include "guard.h"

namespace gloves {

namespace {

struct AddonData {
  napi_ref engineCtor = nullptr;
};

void DeleteAddonData(napi_env env, void* data, void*) {
  auto* d = static_cast<AddonData*>(data);
  if (d->engineCtor) napi_delete_reference(env, d->engineCtor);
  delete d;
}

Napi::Object CodedErrorObject(Napi::Env env, const std::string& code, const std::string& msg) { return CodedError(env, code, msg).Value(); }

bool GetDims(const Napi::Value& v, std::vector<int64_t>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() == 0 || a.Length() > 8) return false;
  for (uint32_t i = 0; i < a.Length(); i++) {
    double d;
    if (!GetDouble(a.Get(i), &d) || d != static_cast<double>(static_cast<int64_t>(d)) || d < 1 || d > (1 << 30)) return false;
    out->push_back(static_cast<int64_t>(d));
  }
  return true;
}

// Index of a string value in `names`, or -1.
int EnumIndex(const Napi::Value& v, std::initializer_list<const char*> names) {
  if (!v.IsString()) return -1;
  const std::string s = v.As<Napi::String>().Utf8Value();
  int i = 0;
  for (const char* n : names) {
    if (s == n) return i;
    i++;
  }
  return -1;
}

// ---- build ----

class BuildWorker : public GuardedWorker {
 public:
  BuildWorker(Napi::Env env, BuildRequest req) : GuardedWorker(env, "buildEngine"), req_(std::move(req)) {}

 private:
  void Work() override { result_ = BuildEngine(req_); }
  bool Settle(Napi::Env env, Napi::Value* out) override {
    Napi::Array log = Napi::Array::New(env, result_.log.size());
    for (size_t i = 0; i < result_.log.size(); i++) log.Set(static_cast<uint32_t>(i), Napi::String::New(env, result_.log[i]));
    if (!result_.code.empty()) {
      Napi::Object e = CodedErrorObject(env, result_.code, result_.message);
      e.Set("log", log);
      *out = e;
      return false;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("engine", Napi::Buffer<uint8_t>::Copy(env, result_.engine.data(), result_.engine.size()));
    if (!result_.timingCache.empty())
      r.Set("timingCache", Napi::Buffer<uint8_t>::Copy(env, result_.timingCache.data(), result_.timingCache.size()));
    r.Set("log", log);
    *out = r;
    return true;
  }

  BuildRequest req_;
  BuildResult result_;
};

// Queues a worker made by the caller; deletes it if it never got a promise.
Napi::Value QueueWorker(Napi::Env env, GuardedWorker* w) {
  if (!w->Ok()) {
    delete w;
    if (!env.IsExceptionPending()) ThrowCoded(env, kTrtInternal, "could not create a promise");
    return env.Undefined();
  }
  Napi::Value p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value BuildEngineJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "buildEngine(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  BuildRequest req;
  Napi::Value path = o.Get("onnxPath");
  int64_t dla, workspace;
  const int precision = EnumIndex(o.Get("precision"), {"fp32", "fp16", "int8"});
  const int int8Mode = EnumIndex(o.Get("int8Mode"), {"none", "calibration-cache", "qdq"});
  Napi::Value algo = o.Get("calibrationAlgorithm");
  const int algorithm = algo.IsUndefined() ? 0 : EnumIndex(algo, {"EntropyCalibration2", "EntropyCalibration", "MinMaxCalibration"});
  Napi::Value label = o.Get("label");
  if (!path.IsString() || precision < 0 || int8Mode < 0 || algorithm < 0 || !(label.IsUndefined() || label.IsString()) ||
      !GetInt(o, "dlaCore", -1, 64, &dla) || !GetInt(o, "workspaceBytes", 1 << 20, int64_t{1} << 40, &workspace)) {
    return ThrowCoded(env, ::gloves::codes::kNativeBadArgument,
                      "onnxPath, precision fp32|fp16|int8, int8Mode none|calibration-cache|qdq, calibrationAlgorithm "
                      "EntropyCalibration2|EntropyCalibration|MinMaxCalibration, label, dlaCore -1..64, workspaceBytes");
  }
  req.calibrationAlgorithm = static_cast<CalibrationAlgorithm>(algorithm);
  if (label.IsString()) req.label = label.As<Napi::String>().Utf8Value();
  req.onnxPath = path.As<Napi::String>().Utf8Value();
  req.precision = static_cast<Precision>(precision);
  req.int8Mode = static_cast<Int8Mode>(int8Mode);
  req.dlaCore = static_cast<int>(dla);
  req.workspaceBytes = static_cast<uint64_t>(workspace);
  Napi::Value cache = o.Get("calibrationCache");
  if (cache.IsTypedArray()) {
    Napi::Uint8Array c;
    if (!GetTypedArray<uint8_t>(cache, napi_uint8_array, &c))
      return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "calibrationCache must be a Uint8Array");
    req.calibrationCache.assign(reinterpret_cast<const char*>(c.Data()), c.ByteLength());
  }
  Napi::Value timing = o.Get("timingCache");
  if (timing.IsTypedArray()) {
    Napi::Uint8Array t;
    if (!GetTypedArray<uint8_t>(timing, napi_uint8_array, &t))
      return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "timingCache must be a Uint8Array");
    req.timingCache.assign(reinterpret_cast<const char*>(t.Data()), t.ByteLength());
  }
  Napi::Value profiles = o.Get("profiles");
  if (profiles.IsArray()) {
    Napi::Array a = profiles.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value pv = a.Get(i);
      if (!pv.IsObject()) return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "profiles must be objects");
      Napi::Object p = pv.As<Napi::Object>();
      Profile prof;
      if (!p.Get("name").IsString() || !GetDims(p.Get("min"), &prof.min) || !GetDims(p.Get("opt"), &prof.opt) ||
          !GetDims(p.Get("max"), &prof.max)) {
        return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "profile needs name and min/opt/max dims");
      }
      prof.name = p.Get("name").As<Napi::String>().Utf8Value();
      req.profiles.push_back(std::move(prof));
    }
  }
  if (env.IsExceptionPending()) return env.Undefined();  // a getter threw
  return QueueWorker(env, new BuildWorker(env, std::move(req)));
}

// buildProgress() -> [{label, phase, step, steps, elapsedMs}] of the builds running now.
Napi::Value BuildProgressJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<BuildProgress> builds = ActiveBuilds();
  Napi::Array arr = Napi::Array::New(env, builds.size());
  for (size_t i = 0; i < builds.size(); i++) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("label", builds[i].label);
    p.Set("phase", builds[i].phase);
    p.Set("step", Napi::Number::New(env, builds[i].step));
    p.Set("steps", Napi::Number::New(env, builds[i].steps));
    p.Set("elapsedMs", Napi::Number::New(env, builds[i].elapsedMs));
    arr.Set(static_cast<uint32_t>(i), p);
  }
  return arr;
}

// ---- engine object ----
// A plain N-API class (not Napi::ObjectWrap) so that its constructor and
// methods are raw callbacks behind GuardedJs, with nothing of node-addon-api's
// own between N-API and the guard. The JS object owns an EngineHandle.

struct EngineHandle {
  std::unique_ptr<Engine> engine;
  bool busy = false;
  bool disposeRequested = false;

  void Finished() noexcept {
    busy = false;
    if (disposeRequested) engine.reset();
  }
};

void DeleteEngineHandle(napi_env, void* data, void*) { delete static_cast<EngineHandle*>(data); }

EngineHandle* Unwrap(Napi::Env env, napi_value self) {
  void* data = nullptr;
  if (napi_unwrap(env, self, &data) != napi_ok) return nullptr;
  return static_cast<EngineHandle*>(data);
}

// Always constructs an empty handle; loadEngine fills it in.
Napi::Value EngineCtorJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info.IsConstructCall()) return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "use new TensorRtEngine()");
  auto handle = std::make_unique<EngineHandle>();
  if (napi_wrap(env, info.This(), handle.get(), DeleteEngineHandle, nullptr, nullptr) != napi_ok) {
    return ThrowCoded(env, kTrtInternal, "could not wrap the engine object");
  }
  handle.release();  // owned by the JS object now
  return info.This();
}

// The handle behind `this` with a live engine, or nullptr with a JS error pending.
EngineHandle* LiveHandle(const Napi::CallbackInfo& info) {
  EngineHandle* h = Unwrap(info.Env(), info.This());
  if (h == nullptr) {
    ThrowCoded(info.Env(), ::gloves::codes::kNativeBadArgument, "not a TensorRtEngine");
    return nullptr;
  }
  if (!h->engine || h->disposeRequested) {
    ThrowCoded(info.Env(), ::gloves::codes::kEngineDisposed, "engine was disposed");
    return nullptr;
  }
  return h;
}

Napi::Value DescribeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineHandle* h = LiveHandle(info);
  if (h == nullptr) return env.Undefined();
  const auto& ts = h->engine->Describe();
  Napi::Array arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("name", ts[i].name);
    t.Set("mode", ts[i].input ? "input" : "output");
    Napi::Array dims = Napi::Array::New(env, ts[i].dims.size());
    for (size_t k = 0; k < ts[i].dims.size(); k++)
      dims.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(ts[i].dims[k])));
    t.Set("dims", dims);
    t.Set("dtype", ts[i].dtype);
    arr.Set(static_cast<uint32_t>(i), t);
  }
  return arr;
}

Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
  EngineHandle* h = Unwrap(info.Env(), info.This());
  if (h == nullptr) return ThrowCoded(info.Env(), ::gloves::codes::kNativeBadArgument, "not a TensorRtEngine");
  if (h->busy)
    h->disposeRequested = true;
  else
    h->engine.reset();
  return info.Env().Undefined();
}

class RunWorker : public GuardedWorker {
 public:
  // Holds a reference to the JS engine object so the handle outlives the run.
  RunWorker(Napi::Env env, EngineHandle* handle, Napi::Object self)
      : GuardedWorker(env, "run"), handle_(handle), engine_(handle->engine.get()) {
    self_ = Napi::Persistent(self);
  }

 private:
  void Work() override { ok_ = engine_->Execute(&err_); }
  bool Settle(Napi::Env env, Napi::Value* out) override {
    if (!ok_) {
      *out = CodedErrorObject(env, err_.code, err_.message);
      return false;
    }
    const auto outs = engine_->Outputs();
    Napi::Array arr = Napi::Array::New(env, outs.size());
    for (size_t i = 0; i < outs.size(); i++) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", outs[i].name);
      Napi::Array dims = Napi::Array::New(env, outs[i].dims.size());
      for (size_t k = 0; k < outs[i].dims.size(); k++)
        dims.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(outs[i].dims[k])));
      t.Set("dims", dims);
      Napi::Float32Array data = Napi::Float32Array::New(env, outs[i].count);
      if (env.IsExceptionPending()) return false;  // allocation failed in JS; Settle's caller reports it
      std::memcpy(data.Data(), outs[i].data, outs[i].count * sizeof(float));
      t.Set("data", data);
      arr.Set(static_cast<uint32_t>(i), t);
    }
    *out = arr;
    return true;
  }
  // After Settle: a dispose requested during the run frees the engine only now.
  void Done() noexcept override { handle_->Finished(); }

  EngineHandle* handle_;
  Engine* engine_;
  Napi::ObjectReference self_;
  bool ok_ = false;
  EngineError err_;
};

Napi::Value RunJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineHandle* h = LiveHandle(info);
  if (h == nullptr) return env.Undefined();
  if (h->busy) return ThrowCoded(env, ::gloves::codes::kEngineBusy, "engine is already running; serialise calls");
  if (info.Length() < 1 || !info[0].IsArray())
    return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "run(inputs: {name, dims, data}[])");
  Engine* engine = h->engine.get();
  engine->ClearStaged();
  Napi::Array inputs = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < inputs.Length(); i++) {
    Napi::Value v = inputs.Get(i);
    if (!v.IsObject()) return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "inputs must be objects");
    Napi::Object t = v.As<Napi::Object>();
    std::vector<int64_t> dims;
    Napi::Float32Array data;
    if (!t.Get("name").IsString() || !GetDims(t.Get("dims"), &dims) || !GetTypedArray<float>(t.Get("data"), napi_float32_array, &data)) {
      engine->ClearStaged();
      return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "input needs name, dims and a Float32Array");
    }
    EngineError err;
    if (!engine->StageInput(t.Get("name").As<Napi::String>().Utf8Value(), dims, data.Data(), data.ElementLength(), &err)) {
      engine->ClearStaged();
      return ThrowCoded(env, err.code, err.message);
    }
  }
  auto* w = new RunWorker(env, h, info.This().As<Napi::Object>());
  if (!w->Ok()) return QueueWorker(env, w);  // deletes it and reports
  h->busy = true;                            // only once the run is certain to be queued and settled
  return QueueWorker(env, w);
}

// ---- load ----

class LoadWorker : public GuardedWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Uint8Array blob, int dla)
      : GuardedWorker(env, "loadEngine"), data_(blob.Data()), size_(blob.ByteLength()), dla_(dla) {
    blob_ = Napi::Persistent(static_cast<Napi::Object>(blob));
  }

 private:
  void Work() override { engine_ = Engine::Load(data_, size_, dla_, &err_); }
  bool Settle(Napi::Env env, Napi::Value* out) override {
    if (!engine_) {
      *out = CodedErrorObject(env, err_.code, err_.message);
      return false;
    }
    auto* data = env.GetInstanceData<AddonData>();
    napi_value ctor = nullptr, obj = nullptr;
    if (data == nullptr || napi_get_reference_value(env, data->engineCtor, &ctor) != napi_ok ||
        napi_new_instance(env, ctor, 0, nullptr, &obj) != napi_ok) {
      return false;  // a JS error is pending or nothing was made: reported as TRT_INTERNAL
    }
    EngineHandle* h = Unwrap(env, obj);
    if (h == nullptr) return false;
    h->engine = std::move(engine_);
    *out = Napi::Value(env, obj);
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  int dla_;
  Napi::ObjectReference blob_;
  std::unique_ptr<Engine> engine_;
  EngineError err_;
};

Napi::Value LoadEngineJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array blob;
  double dla;
  if (info.Length() < 2 || !GetTypedArray<uint8_t>(info[0], napi_uint8_array, &blob) || !GetDouble(info[1], &dla) || dla < -1 || dla > 64 ||
      dla != static_cast<double>(static_cast<int>(dla)) || blob.ByteLength() == 0) {
    return ThrowCoded(env, ::gloves::codes::kNativeBadArgument, "loadEngine(engine: non-empty Uint8Array, dlaCore: -1..64)");
  }
  return QueueWorker(env, new LoadWorker(env, blob, static_cast<int>(dla)));
}

bool Register(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {GuardedMethod<DescribeJs>("describe"), GuardedMethod<RunJs>("run"),
                                              GuardedMethod<DisposeJs>("dispose")};
  napi_value ctor = nullptr;
  auto data = std::make_unique<AddonData>();
  if (napi_define_class(env, "TensorRtEngine", NAPI_AUTO_LENGTH, GuardedJs<EngineCtorJs>, const_cast<char*>("TensorRtEngine"), 3, methods,
                        &ctor) != napi_ok ||
      napi_create_reference(env, ctor, 1, &data->engineCtor) != napi_ok) {
    return false;
  }
  if (napi_set_instance_data(env, data.get(), DeleteAddonData, nullptr) != napi_ok) {
    napi_delete_reference(env, data->engineCtor);
    return false;
  }
  data.release();
  napi_value build = GuardedFunction<BuildEngineJs>(env, "buildEngine");
  napi_value load = GuardedFunction<LoadEngineJs>(env, "loadEngine");
  napi_value progress = GuardedFunction<BuildProgressJs>(env, "buildProgress");
  return build && load && progress && napi_set_named_property(env, exports, "buildEngine", build) == napi_ok &&
         napi_set_named_property(env, exports, "loadEngine", load) == napi_ok &&
         napi_set_named_property(env, exports, "buildProgress", progress) == napi_ok;
}

}  // namespace

void RegisterTensorRT(Napi::Env env, Napi::Object exports) noexcept {
  CaughtException caught;
  try {
    if (Register(env, exports)) return;
    caught.Set("RegisterTensorRT", "an N-API call failed");
  } catch (...) {
    caught.FromCurrent("RegisterTensorRT");
  }
  ThrowInternal(env, caught.message);
}

}  // namespace gloves
