#pragma once
#include <napi.h>

namespace gloves {
// Adds TensorRT/CUDA build and device facts to info(): versions, compute capability, DLA cores.
// Never throws C++ (called from the -fno-exceptions addon.cc): a failure leaves
// a TRT_INTERNAL JS error pending.
void AddTensorRTInfo(Napi::Env env, Napi::Object o) noexcept;
}  // namespace gloves
