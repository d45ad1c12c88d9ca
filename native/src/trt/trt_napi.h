#pragma once
#include <napi.h>

#include "device.h"

namespace gloves {
// buildEngine(opts) -> Promise<{engine, log}>, loadEngine(bytes, dlaCore) -> Promise<Engine>.
void RegisterTensorRT(Napi::Env env, Napi::Object exports);
}
