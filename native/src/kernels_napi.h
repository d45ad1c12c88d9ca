#pragma once
#include <napi.h>

namespace gloves {
void RegisterKernels(Napi::Env env, Napi::Object exports);
}
