// Gloves native addon: mechanism only (pixel kernels, TensorRT engines).
// Validation, defaults and policy live in TypeScript (daemon/src/native).
#include <napi.h>

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
#ifdef HAVE_TENSORRT
  o.Set("hasTensorRT", Napi::Boolean::New(env, true));
#else
  o.Set("hasTensorRT", Napi::Boolean::New(env, false));
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(gloves_native, Init)
