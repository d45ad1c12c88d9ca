#include "device.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>
#include <string>

#include "compat.h"
#include "engine.h"
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

// What info() reports about the device. Learned once per process (the first
// call creates a CUDA context and an IRuntime; later calls cost nothing).
struct DeviceFacts {
  int runtime = 0, driver = 0;
  bool runtimeOk = false, driverOk = false, hasDevice = false;
  cudaDeviceProp prop{};
  int dla = 0;
};

const DeviceFacts& Facts() {
  static std::once_flag once;
  static DeviceFacts facts;
  std::call_once(once, [] {
    InitCudaOnce();  // blocking sync + mapped memory, before any context exists
    DeviceFacts f;
    f.runtimeOk = cudaRuntimeGetVersion(&f.runtime) == cudaSuccess;
    f.driverOk = cudaDriverGetVersion(&f.driver) == cudaSuccess && f.driver > 0;
    int count = 0;
    f.hasDevice = cudaGetDeviceCount(&count) == cudaSuccess && count > 0 && cudaGetDeviceProperties(&f.prop, 0) == cudaSuccess;
    if (f.hasDevice) {
      try {
        std::unique_ptr<nvinfer1::IRuntime> rt(nvinfer1::createInferRuntime(Logger()));
        f.dla = rt ? rt->getNbDLACores() : 0;
      } catch (...) {
        f.dla = 0;  // nothing may escape into N-API
      }
    } else {
      cudaGetLastError();  // clear the sticky "no device" error
    }
    facts = f;
  });
  return facts;
}

void AddTensorRTInfoUnguarded(Napi::Env env, Napi::Object o) {
  o.Set("tensorrtVersion", Napi::String::New(env, LibVersion()));
  o.Set("tensorrtHeaderVersion", Napi::String::New(env, std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
                                                            std::to_string(NV_TENSORRT_PATCH)));
  o.Set("namedTensorApi", Napi::Boolean::New(env, GLOVES_TRT_NAMED_TENSORS));
  o.Set("implicitInt8", Napi::Boolean::New(env, GLOVES_TRT_IMPLICIT_INT8));
  o.Set("precisionFlags", Napi::Boolean::New(env, GLOVES_TRT_PRECISION_FLAGS));
  o.Set("progressMonitor", Napi::Boolean::New(env, GLOVES_TRT_PROGRESS_MONITOR));
  const DeviceFacts& f = Facts();
  o.Set("cudaRuntimeVersion", f.runtimeOk ? Napi::Value(Napi::Number::New(env, f.runtime)) : env.Null());
  o.Set("cudaDriverVersion", f.driverOk ? Napi::Value(Napi::Number::New(env, f.driver)) : env.Null());
  if (f.hasDevice) {
    o.Set("computeCapability", Napi::String::New(env, std::to_string(f.prop.major) + "." + std::to_string(f.prop.minor)));
    o.Set("deviceName", Napi::String::New(env, f.prop.name));
    o.Set("multiprocessors", Napi::Number::New(env, f.prop.multiProcessorCount));
    o.Set("integrated", Napi::Boolean::New(env, f.prop.integrated != 0));
    o.Set("dlaCores", Napi::Number::New(env, f.dla));
  } else {
    o.Set("computeCapability", env.Null());
    o.Set("deviceName", env.Null());
    o.Set("multiprocessors", env.Null());
    o.Set("integrated", Napi::Boolean::New(env, false));
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
