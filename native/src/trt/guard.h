// Exception firewall for the TensorRT binding. This code is compiled with
// -fexceptions (TensorRT and the ONNX parser headers need it), but no C++
// exception may ever cross N-API. So every entry point N-API can call is
// registered through one of the wrappers below:
//  - GuardedJs<Fn>: a raw napi_callback around a JS function or method; it also
//    builds the Napi::CallbackInfo inside the guard (it allocates for >6 args);
//  - GuardedWorker: an AsyncWorker whose Execute/OnOK/OnError are final and
//    guarded; subclasses implement Work / Settle / Done and always settle the
//    promise exactly once.
// A caught exception becomes a JS Error with code TRT_INTERNAL (thrown, or the
// promise's rejection). Building that error uses only the C API and a fixed
// buffer, so the handlers themselves cannot throw.
#pragma once
#include <napi.h>

#include <cstdio>
#include <exception>

#include "codes.h"

#if !defined(__cpp_exceptions) && !defined(__EXCEPTIONS)
#error "the TensorRT sources must be compiled with -fexceptions (see binding.gyp)"
#endif

namespace gloves {

constexpr const char* kTrtInternal = ::gloves::codes::kTrtInternal;

// Records what was caught, without allocating.
struct CaughtException {
  bool caught = false;
  char message[512] = {0};

  void Set(const char* where, const char* what) noexcept {
    caught = true;
    std::snprintf(message, sizeof message, "TensorRT binding: %s threw: %s", where, what ? what : "(no message)");
  }
  // Call only inside a catch block.
  void FromCurrent(const char* where) noexcept {
    try {
      throw;
    } catch (const std::exception& e) {
      Set(where, e.what());
    } catch (...) {
      Set(where, "an unknown exception");
    }
  }
};

inline napi_value TakePendingException(napi_env env) noexcept {
  bool pending = false;
  napi_value err = nullptr;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return nullptr;
  if (napi_get_and_clear_last_exception(env, &err) != napi_ok) return nullptr;
  return err;
}

// A coded Error object, or the pending exception / undefined if even that fails.
inline napi_value InternalErrorValue(napi_env env, const char* message) noexcept {
  napi_value code = nullptr, msg = nullptr, err = nullptr;
  if (napi_create_string_utf8(env, kTrtInternal, NAPI_AUTO_LENGTH, &code) == napi_ok &&
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) == napi_ok && napi_create_error(env, code, msg, &err) == napi_ok) {
    return err;
  }
  err = TakePendingException(env);
  if (err == nullptr) napi_get_undefined(env, &err);
  return err;
}

// Throws TRT_INTERNAL into JS unless a JS exception is already pending (that one wins).
inline void ThrowInternal(napi_env env, const char* message) noexcept {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  napi_throw_error(env, kTrtInternal, message);
}

using JsImpl = Napi::Value (*)(const Napi::CallbackInfo&);

// `where` names the entry point in the message; pass it as napi callback data.
template <JsImpl Fn>
napi_value GuardedJs(napi_env env, napi_callback_info cbinfo) noexcept {
  CaughtException caught;
  try {
    Napi::CallbackInfo info(env, cbinfo);
    return Fn(info);
  } catch (...) {
    const char* where = "binding";
    void* data = nullptr;
    if (napi_get_cb_info(env, cbinfo, nullptr, nullptr, nullptr, &data) == napi_ok && data) where = static_cast<const char*>(data);
    caught.FromCurrent(where);
  }
  ThrowInternal(env, caught.message);
  return nullptr;
}

// napi_property_descriptor for a guarded method; `name` must be a string literal.
template <JsImpl Fn>
napi_property_descriptor GuardedMethod(const char* name) noexcept {
  return napi_property_descriptor{name, nullptr, GuardedJs<Fn>, nullptr, nullptr, nullptr, napi_default, const_cast<char*>(name)};
}

// Creates a guarded JS function; `name` must be a string literal.
template <JsImpl Fn>
napi_value GuardedFunction(napi_env env, const char* name) noexcept {
  napi_value fn = nullptr;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, GuardedJs<Fn>, const_cast<char*>(name), &fn) != napi_ok) return nullptr;
  return fn;
}

class GuardedWorker : public Napi::AsyncWorker {
 public:
  // Check Ok() before queueing: a worker without a promise must be deleted, not queued.
  GuardedWorker(Napi::Env env, const char* name) : Napi::AsyncWorker(env, name), name_(name) {
    if (napi_create_promise(env, &deferred_, &promise_) != napi_ok) deferred_ = nullptr;
  }
  bool Ok() const noexcept { return deferred_ != nullptr && !Env().IsExceptionPending(); }
  // Valid only in the handle scope that created the worker.
  Napi::Value Promise() { return Napi::Value(Env(), promise_); }

 protected:
  // Worker thread. Must not touch JS.
  virtual void Work() = 0;
  // Main thread, after Work: true resolves with *out, false rejects with *out.
  virtual bool Settle(Napi::Env env, Napi::Value* out) = 0;
  // Main thread, always exactly once, after Settle and before the promise settles.
  virtual void Done() noexcept {}

 private:
  void Execute() final {
    try {
      Work();
    } catch (...) {
      failure_.FromCurrent(name_);
    }
  }
  void OnOK() final {
    napi_env env = Env();
    napi_value value = nullptr;
    bool resolve = false;
    if (!failure_.caught) {
      try {
        Napi::Value out;
        resolve = Settle(Env(), &out);
        value = out;
      } catch (...) {
        failure_.FromCurrent(name_);
      }
    }
    // A JS exception left pending here would surface as an uncaught exception:
    // it becomes the rejection instead (unless a C++ exception was caught).
    napi_value pending = TakePendingException(env);
    if (failure_.caught) {
      value = InternalErrorValue(env, failure_.message);
      resolve = false;
    } else if (pending != nullptr) {
      value = pending;
      resolve = false;
    } else if (value == nullptr) {
      failure_.Set(name_, "nothing to settle the promise with");
      value = InternalErrorValue(env, failure_.message);
      resolve = false;
    }
    Done();
    if (resolve)
      napi_resolve_deferred(env, deferred_, value);
    else
      napi_reject_deferred(env, deferred_, value);
  }
  // Only reached if something called SetError; kept guarded all the same.
  void OnError(const Napi::Error& e) final {
    napi_env env = Env();
    napi_value value = e.Value();
    if (value == nullptr) value = InternalErrorValue(env, "TensorRT binding: worker failed");
    Done();
    napi_reject_deferred(env, deferred_, value);
  }

  const char* name_;
  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  CaughtException failure_;
};

}  // namespace gloves
