#pragma once
#include <napi.h>

#include "device.h"

namespace gloves {
// buildEngine(opts) -> Promise<{engine, timingCache?, log}>, loadEngine(bytes, dlaCore) -> Promise<Engine>,
// buildProgress() -> what the running builds are doing.
// Never throws C++: a failure leaves a TRT_INTERNAL JS error pending.
void RegisterTensorRT(Napi::Env env, Napi::Object exports) noexcept;
}  // namespace gloves
