// Gloves native addon: mechanism only (pixel kernels, TensorRT engines).
// Validation, defaults and policy live in TypeScript (daemon/src/native).
#include <napi.h>

#include "kernels_napi.h"
#include "motion_napi.h"
#ifdef HAVE_TENSORRT
#include "trt/trt_napi.h"
#endif

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  o.Set("kernels", Napi::Boolean::New(env, true));
#ifdef HAVE_TENSORRT
  o.Set("hasTensorRT", Napi::Boolean::New(env, true));
  gloves::AddTensorRTInfo(env, o);
#else
  o.Set("hasTensorRT", Napi::Boolean::New(env, false));
  o.Set("tensorrtVersion", env.Null());
  o.Set("cudaRuntimeVersion", env.Null());
  o.Set("cudaDriverVersion", env.Null());
  o.Set("computeCapability", env.Null());
  o.Set("deviceName", env.Null());
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  gloves::RegisterKernels(env, exports);
  gloves::RegisterMotion(env, exports);
#ifdef HAVE_TENSORRT
  gloves::RegisterTensorRT(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(gloves_native, Init)
