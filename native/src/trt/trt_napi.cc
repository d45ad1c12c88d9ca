// N-API surface of the TensorRT runner. Builds, loads and runs all happen on
// the libuv pool and resolve promises; arguments are re-checked here and every
// failure rejects with a coded Error (policy and defaults live in TypeScript).
#include "trt_napi.h"

#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "builder.h"
#include "common.h"
#include "engine.h"

namespace gloves {

namespace {

struct AddonData {
  Napi::FunctionReference engineCtor;
};

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

class BuildWorker : public Napi::AsyncWorker {
 public:
  BuildWorker(Napi::Env env, BuildRequest req) : Napi::AsyncWorker(env, "gloves.trt.build"), req_(std::move(req)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { result_ = BuildEngine(req_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array log = Napi::Array::New(env, result_.log.size());
    for (size_t i = 0; i < result_.log.size(); i++) log.Set(static_cast<uint32_t>(i), Napi::String::New(env, result_.log[i]));
    if (!result_.code.empty()) {
      Napi::Object e = CodedErrorObject(env, result_.code, result_.message);
      e.Set("log", log);
      deferred_.Reject(e);
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("engine", Napi::Buffer<uint8_t>::Copy(env, result_.engine.data(), result_.engine.size()));
    r.Set("log", log);
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  BuildRequest req_;
  BuildResult result_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value BuildEngineJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "buildEngine(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  BuildRequest req;
  Napi::Value path = o.Get("onnxPath");
  int64_t dla, workspace;
  const int precision = EnumIndex(o.Get("precision"), {"fp32", "fp16", "int8"});
  const int int8Mode = EnumIndex(o.Get("int8Mode"), {"none", "calibration-cache", "qdq"});
  if (!path.IsString() || precision < 0 || int8Mode < 0 || !GetInt(o, "dlaCore", -1, 64, &dla) ||
      !GetInt(o, "workspaceBytes", 1 << 20, int64_t{1} << 40, &workspace)) {
    return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "onnxPath, precision fp32|fp16|int8, int8Mode none|calibration-cache|qdq, dlaCore -1..64, workspaceBytes");
  }
  req.onnxPath = path.As<Napi::String>().Utf8Value();
  req.precision = static_cast<Precision>(precision);
  req.int8Mode = static_cast<Int8Mode>(int8Mode);
  req.dlaCore = static_cast<int>(dla);
  req.workspaceBytes = static_cast<uint64_t>(workspace);
  Napi::Value cache = o.Get("calibrationCache");
  if (cache.IsTypedArray()) {
    Napi::Uint8Array c;
    if (!GetTypedArray<uint8_t>(cache, napi_uint8_array, &c)) return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "calibrationCache must be a Uint8Array");
    req.calibrationCache.assign(reinterpret_cast<const char*>(c.Data()), c.ByteLength());
  }
  Napi::Value profiles = o.Get("profiles");
  if (profiles.IsArray()) {
    Napi::Array a = profiles.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value pv = a.Get(i);
      if (!pv.IsObject()) return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "profiles must be objects");
      Napi::Object p = pv.As<Napi::Object>();
      Profile prof;
      if (!p.Get("name").IsString() || !GetDims(p.Get("min"), &prof.min) || !GetDims(p.Get("opt"), &prof.opt) || !GetDims(p.Get("max"), &prof.max)) {
        return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "profile needs name and min/opt/max dims");
      }
      prof.name = p.Get("name").As<Napi::String>().Utf8Value();
      req.profiles.push_back(std::move(prof));
    }
  }
  auto* w = new BuildWorker(env, std::move(req));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// ---- engine object ----

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TensorRtEngine",
                       {InstanceMethod("describe", &EngineWrap::DescribeJs), InstanceMethod("run", &EngineWrap::RunJs), InstanceMethod("dispose", &EngineWrap::DisposeJs)});
  }
  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    if (info.Length() == 1 && info[0].IsExternal()) engine_.reset(info[0].As<Napi::External<Engine>>().Data());
  }

  Engine* engine() { return engine_.get(); }
  void Finished() {
    busy_ = false;
    if (disposeRequested_) engine_.reset();
  }

 private:
  Napi::Value DescribeJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) return ThrowCoded(env, "ENGINE_DISPOSED", "engine was disposed");
    const auto& ts = engine_->Describe();
    Napi::Array arr = Napi::Array::New(env, ts.size());
    for (size_t i = 0; i < ts.size(); i++) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", ts[i].name);
      t.Set("mode", ts[i].input ? "input" : "output");
      Napi::Array dims = Napi::Array::New(env, ts[i].dims.size());
      for (size_t k = 0; k < ts[i].dims.size(); k++) dims.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(ts[i].dims[k])));
      t.Set("dims", dims);
      t.Set("dtype", ts[i].dtype);
      arr.Set(static_cast<uint32_t>(i), t);
    }
    return arr;
  }

  Napi::Value RunJs(const Napi::CallbackInfo& info);

  Napi::Value DisposeJs(const Napi::CallbackInfo& info) {
    if (busy_) disposeRequested_ = true;
    else engine_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<Engine> engine_;
  bool busy_ = false;
  bool disposeRequested_ = false;
};

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, EngineWrap* wrap, Napi::Object self)
      : Napi::AsyncWorker(env, "gloves.trt.run"), wrap_(wrap), engine_(wrap->engine()), deferred_(Napi::Promise::Deferred::New(env)) {
    self_ = Napi::Persistent(self);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { ok_ = engine_->Execute(&err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      wrap_->Finished();
      deferred_.Reject(CodedErrorObject(env, err_.code, err_.message));
      return;
    }
    const auto outs = engine_->Outputs();
    Napi::Array arr = Napi::Array::New(env, outs.size());
    for (size_t i = 0; i < outs.size(); i++) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", outs[i].name);
      Napi::Array dims = Napi::Array::New(env, outs[i].dims.size());
      for (size_t k = 0; k < outs[i].dims.size(); k++) dims.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(outs[i].dims[k])));
      t.Set("dims", dims);
      Napi::Float32Array data = Napi::Float32Array::New(env, outs[i].count);
      std::memcpy(data.Data(), outs[i].data, outs[i].count * sizeof(float));
      t.Set("data", data);
      arr.Set(static_cast<uint32_t>(i), t);
    }
    wrap_->Finished();
    deferred_.Resolve(arr);
  }
  void OnError(const Napi::Error& e) override {
    wrap_->Finished();
    deferred_.Reject(e.Value());
  }

 private:
  EngineWrap* wrap_;
  Engine* engine_;
  Napi::ObjectReference self_;
  bool ok_ = false;
  EngineError err_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value EngineWrap::RunJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_ || disposeRequested_) return ThrowCoded(env, "ENGINE_DISPOSED", "engine was disposed");
  if (busy_) return ThrowCoded(env, "ENGINE_BUSY", "engine is already running; serialise calls");
  if (info.Length() < 1 || !info[0].IsArray()) return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "run(inputs: {name, dims, data}[])");
  engine_->ClearStaged();
  Napi::Array inputs = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < inputs.Length(); i++) {
    Napi::Value v = inputs.Get(i);
    if (!v.IsObject()) return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "inputs must be objects");
    Napi::Object t = v.As<Napi::Object>();
    std::vector<int64_t> dims;
    Napi::Float32Array data;
    if (!t.Get("name").IsString() || !GetDims(t.Get("dims"), &dims) || !GetTypedArray<float>(t.Get("data"), napi_float32_array, &data)) {
      return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "input needs name, dims and a Float32Array");
    }
    EngineError err;
    if (!engine_->StageInput(t.Get("name").As<Napi::String>().Utf8Value(), dims, data.Data(), data.ElementLength(), &err)) {
      engine_->ClearStaged();
      return ThrowCoded(env, err.code, err.message);
    }
  }
  busy_ = true;
  auto* w = new RunWorker(env, this, Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// ---- load ----

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Uint8Array blob, int dla)
      : Napi::AsyncWorker(env, "gloves.trt.load"), data_(blob.Data()), size_(blob.ByteLength()), dla_(dla), deferred_(Napi::Promise::Deferred::New(env)) {
    blob_ = Napi::Persistent(static_cast<Napi::Object>(blob));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { engine_ = Engine::Load(data_, size_, dla_, &err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (!engine_) {
      deferred_.Reject(CodedErrorObject(env, err_.code, err_.message));
      return;
    }
    auto* data = env.GetInstanceData<AddonData>();
    Napi::Object obj = data->engineCtor.New({Napi::External<Engine>::New(env, engine_.release())});
    deferred_.Resolve(obj);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  const uint8_t* data_;
  size_t size_;
  int dla_;
  Napi::ObjectReference blob_;
  std::unique_ptr<Engine> engine_;
  EngineError err_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value LoadEngineJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array blob;
  double dla;
  if (info.Length() < 2 || !GetTypedArray<uint8_t>(info[0], napi_uint8_array, &blob) || !GetDouble(info[1], &dla) || dla < -1 || dla > 64 ||
      dla != static_cast<double>(static_cast<int>(dla)) || blob.ByteLength() == 0) {
    return ThrowCoded(env, "NATIVE_BAD_ARGUMENT", "loadEngine(engine: non-empty Uint8Array, dlaCore: -1..64)");
  }
  auto* w = new LoadWorker(env, blob, static_cast<int>(dla));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void RegisterTensorRT(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->engineCtor = Napi::Persistent(EngineWrap::Define(env));
  env.SetInstanceData<AddonData>(data);
  exports.Set("buildEngine", Napi::Function::New(env, BuildEngineJs, "buildEngine"));
  exports.Set("loadEngine", Napi::Function::New(env, LoadEngineJs, "loadEngine"));
}

}  // namespace gloves
