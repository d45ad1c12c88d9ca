#pragma once
#include <napi.h>

#include "device.h"

namespace gloves {
// buildEngine(opts) -> Promise<{engine, log}>, loadEngine(bytes, dlaCore) -> Promise<Engine>.
// Never throws C++: a failure leaves a TRT_INTERNAL JS error pending.
void RegisterTensorRT(Napi::Env env, Napi::Object exports) noexcept;
}
