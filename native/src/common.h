// Small N-API helpers shared by the bindings. Built without C++ exceptions:
// every failure becomes a pending JS Error carrying a stable `code`, which the
// TypeScript loader turns into a GlovesError.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace gloves {

inline Napi::Error CodedError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

inline Napi::Value ThrowCoded(Napi::Env env, const std::string& code, const std::string& message) {
  CodedError(env, code, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reads obj[key] as an integer in [lo, hi]; false (nothing thrown) if absent or not one.
inline bool GetInt(const Napi::Object& obj, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  Napi::Value v = obj.Get(key);
  if (v.Env().IsExceptionPending() || !v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool GetDouble(const Napi::Value& v, double* out) {
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().DoubleValue();
  return std::isfinite(*out);
}

// Reads obj[key] as an array of exactly n finite numbers.
inline bool GetDoubles(const Napi::Object& obj, const char* key, size_t n, double* out) {
  Napi::Value v = obj.Get(key);
  if (v.Env().IsExceptionPending() || !v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != n) return false;
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value e = a.Get(i);
    if (v.Env().IsExceptionPending() || !GetDouble(e, &out[i])) return false;
  }
  return true;
}

template <typename T>
inline bool GetTypedArray(const Napi::Value& v, napi_typedarray_type type, Napi::TypedArrayOf<T>* out) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != type) return false;
  *out = ta.As<Napi::TypedArrayOf<T>>();
  return true;
}

}  // namespace gloves
