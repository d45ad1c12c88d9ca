#pragma once
#include <napi.h>

namespace gloves {
void RegisterMotion(Napi::Env env, Napi::Object exports);
}
