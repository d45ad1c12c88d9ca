#include "device.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <string>

#include "compat.h"
#include "guard.h"
#include "logger.h"

namespace gloves {

namespace {
// getInferLibVersion: 8.x encodes major*1000+minor*100+patch, 10.x major*10000+minor*100+patch.
std::string LibVersion() {
  const int v = getInferLibVersion();
  const int major = v >= 10000 ? v / 10000 : v / 1000;
  const int rest = v >= 10000 ? v % 10000 : v % 1000;
  return std::to_string(major) + "." + std::to_string(rest / 100) + "." + std::to_string(rest % 100);
}

void AddTensorRTInfoUnguarded(Napi::Env env, Napi::Object o) {
  o.Set("tensorrtVersion", Napi::String::New(env, LibVersion()));
  o.Set("tensorrtHeaderVersion", Napi::String::New(env, std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
                                                            std::to_string(NV_TENSORRT_PATCH)));
  o.Set("namedTensorApi", Napi::Boolean::New(env, GLOVES_TRT_NAMED_TENSORS));
  o.Set("implicitInt8", Napi::Boolean::New(env, GLOVES_TRT_IMPLICIT_INT8));
  o.Set("precisionFlags", Napi::Boolean::New(env, GLOVES_TRT_PRECISION_FLAGS));
  int runtime = 0, driver = 0, count = 0;
  o.Set("cudaRuntimeVersion", cudaRuntimeGetVersion(&runtime) == cudaSuccess ? Napi::Value(Napi::Number::New(env, runtime)) : env.Null());
  o.Set("cudaDriverVersion", cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0 ? Napi::Value(Napi::Number::New(env, driver)) : env.Null());
  cudaDeviceProp prop{};
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0 && cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    o.Set("computeCapability", Napi::String::New(env, std::to_string(prop.major) + "." + std::to_string(prop.minor)));
    o.Set("deviceName", Napi::String::New(env, prop.name));
    int dla = 0;
    try {
      TrtLogger logger;
      std::unique_ptr<nvinfer1::IRuntime> rt(nvinfer1::createInferRuntime(logger));
      dla = rt ? rt->getNbDLACores() : 0;
    } catch (...) {
      dla = 0;  // nothing may escape into N-API
    }
    o.Set("dlaCores", Napi::Number::New(env, dla));
  } else {
    cudaGetLastError();  // clear the sticky "no device" error
    o.Set("computeCapability", env.Null());
    o.Set("deviceName", env.Null());
    o.Set("dlaCores", Napi::Number::New(env, 0));
  }
}

}  // namespace

void AddTensorRTInfo(Napi::Env env, Napi::Object o) noexcept {
  CaughtException caught;
  try {
    AddTensorRTInfoUnguarded(env, o);
    return;
  } catch (...) {
    caught.FromCurrent("info");
  }
  ThrowInternal(env, caught.message);
}

}  // namespace gloves
