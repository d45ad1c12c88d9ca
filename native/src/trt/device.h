#pragma once
#include <napi.h>

namespace gloves {
// Adds TensorRT/CUDA build and device facts to info(): versions, compute capability, DLA cores.
void AddTensorRTInfo(Napi::Env env, Napi::Object o);
}
