#include "engine.h"

#include <cstring>
#include <exception>
#include <limits>
#include <mutex>

#include "codes.h"

namespace gloves {

namespace {

const char* DtypeName(nvinfer1::DataType t) {
  switch (t) {
    case nvinfer1::DataType::kFLOAT:
      return "float32";
    case nvinfer1::DataType::kHALF:
      return "float16";
    case nvinfer1::DataType::kINT8:
      return "int8";
    case nvinfer1::DataType::kINT32:
      return "int32";
    default:
      return "other";
  }
}

std::vector<int64_t> FromDims(const nvinfer1::Dims& d) {
  std::vector<int64_t> v;
  for (int32_t i = 0; i < d.nbDims && i < nvinfer1::Dims::MAX_DIMS; i++) v.push_back(static_cast<int64_t>(d.d[i]));
  return v;
}

bool ToDims(const std::vector<int64_t>& v, nvinfer1::Dims* d) {
  if (v.size() > static_cast<size_t>(nvinfer1::Dims::MAX_DIMS)) return false;
  d->nbDims = static_cast<int32_t>(v.size());
  for (size_t i = 0; i < v.size(); i++) d->d[i] = static_cast<decltype(d->d[0] + 0)>(v[i]);
  return true;
}

bool Cuda(cudaError_t e, const char* what, EngineError* err) {
  if (e == cudaSuccess) return true;
  *err = {::gloves::codes::kTrtRunFailed, std::string(what) + ": " + cudaGetErrorString(e)};
  return false;
}

}  // namespace

size_t Volume(const std::vector<int64_t>& dims) {
  // At most 2^31 elements: far beyond any tensor here, and no size_t overflow below.
  constexpr size_t kMax = size_t{1} << 31;
  size_t n = 1;
  for (int64_t d : dims) {
    if (d <= 0 || static_cast<uint64_t>(d) > kMax) return 0;
    if (n > kMax / static_cast<size_t>(d)) return 0;
    n *= static_cast<size_t>(d);
  }
  return n;
}

void InitCudaOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Fails harmlessly (cudaErrorSetOnActiveProcess) if a context already exists.
    if (cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync | cudaDeviceMapHost) != cudaSuccess) cudaGetLastError();
  });
}

// TensorRT and the ONNX parser headers may throw (the addon is built with
// -fexceptions when TensorRT is in): nothing may escape into N-API.
std::unique_ptr<Engine> Engine::Load(const uint8_t* blob, size_t size, int dlaCore, EngineError* err) {
  try {
    return LoadUnguarded(blob, size, dlaCore, err);
  } catch (const std::exception& e) {
    *err = {kEngineLoadFailed, std::string("TensorRT threw: ") + e.what()};
  } catch (...) {
    *err = {kEngineLoadFailed, "TensorRT threw an unknown exception"};
  }
  return nullptr;
}

Engine::Buffer Engine::MakeBuffer(const TensorInfo& t, int binding) {
  Buffer b;
  b.name = t.name;
  b.input = t.input;
  b.binding = binding;
  return b;
}

std::unique_ptr<Engine> Engine::LoadUnguarded(const uint8_t* blob, size_t size, int dlaCore, EngineError* err) {
  InitCudaOnce();
  LogCapture log;
  const auto failed = [&](const char* code, const std::string& msg) {
    const std::string detail = log.Problems();
    *err = {code, detail.empty() ? msg : msg + ": " + detail};
    return nullptr;
  };
  std::unique_ptr<Engine> e(new Engine());
  int device = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) == cudaSuccess && cudaGetDeviceProperties(&prop, device) == cudaSuccess) {
    e->mapped_ = prop.integrated != 0 && prop.canMapHostMemory != 0;
  } else {
    cudaGetLastError();
  }
  e->runtime_.reset(nvinfer1::createInferRuntime(Logger()));
  if (!e->runtime_) return failed(kEngineLoadFailed, "createInferRuntime failed");
  if (dlaCore >= 0) {
    if (dlaCore >= e->runtime_->getNbDLACores())
      return failed(kEngineLoadFailed, "DLA core " + std::to_string(dlaCore) + " does not exist");
    e->runtime_->setDLACore(dlaCore);
  }
  e->engine_.reset(e->runtime_->deserializeCudaEngine(blob, size));
  if (!e->engine_) return failed(kEngineInvalid, "deserializeCudaEngine refused the engine");
  e->context_.reset(e->engine_->createExecutionContext());
  if (!e->context_) return failed(kEngineLoadFailed, "createExecutionContext failed");
  if (!Cuda(cudaStreamCreate(&e->stream_), "cudaStreamCreate", err)) {
    err->code = kEngineLoadFailed;
    return nullptr;
  }
#if GLOVES_TRT_NAMED_TENSORS
  for (int32_t i = 0; i < e->engine_->getNbIOTensors(); i++) {
    const char* name = e->engine_->getIOTensorName(i);
    TensorInfo t{name, e->engine_->getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT, FromDims(e->engine_->getTensorShape(name)),
                 DtypeName(e->engine_->getTensorDataType(name))};
    e->tensors_.push_back(t);
    e->buffers_.push_back(MakeBuffer(t, -1));
  }
#else
  for (int32_t i = 0; i < e->engine_->getNbBindings(); i++) {
    TensorInfo t{e->engine_->getBindingName(i), e->engine_->bindingIsInput(i), FromDims(e->engine_->getBindingDimensions(i)),
                 DtypeName(e->engine_->getBindingDataType(i))};
    e->tensors_.push_back(t);
    e->buffers_.push_back(MakeBuffer(t, i));
  }
#endif
  for (const TensorInfo& t : e->tensors_) {
    if (t.dtype != "float32")
      return failed(::gloves::codes::kTrtUnsupported, "tensor " + t.name + " is " + t.dtype + "; only float32 I/O is supported");
  }
  return e;
}

Engine::~Engine() {
  if (stream_) cudaStreamSynchronize(stream_);
  for (Buffer& b : buffers_) Release(b, mapped_);
  if (stream_) cudaStreamDestroy(stream_);
  // Destruction order matters: context before engine before runtime.
  context_.reset();
  engine_.reset();
  runtime_.reset();
}

void Engine::Release(Buffer& b, bool mapped) {
  if (b.device && !mapped) cudaFree(b.device);
  if (b.host) cudaFreeHost(b.host);
  b.device = nullptr;
  b.host = nullptr;
  b.capacity = 0;
}

// Worker thread only.
bool Engine::Reserve(Buffer& b, size_t bytes, EngineError* err) {
  if (bytes <= b.capacity) return true;
  Release(b, mapped_);
  void* host = nullptr;
  if (mapped_) {
    // Integrated GPU (Jetson): one buffer both sides see, no copies.
    if (!Cuda(cudaHostAlloc(&host, bytes, cudaHostAllocMapped), "cudaHostAlloc", err)) return false;
    b.host = static_cast<float*>(host);
    if (!Cuda(cudaHostGetDevicePointer(&b.device, host, 0), "cudaHostGetDevicePointer", err)) {
      Release(b, true);
      return false;
    }
  } else {
    if (!Cuda(cudaMalloc(&b.device, bytes), "cudaMalloc", err)) return false;
    if (!Cuda(cudaMallocHost(&host, bytes), "cudaMallocHost", err)) {
      Release(b, false);
      return false;
    }
    b.host = static_cast<float*>(host);
  }
  b.capacity = bytes;
  return true;
}

bool Engine::StageInput(const std::string& name, const std::vector<int64_t>& dims, const float* data, size_t count, EngineError* err) {
  for (Buffer& b : buffers_) {
    if (b.name != name) continue;
    if (!b.input) break;
    const size_t n = Volume(dims);
    if (n == 0 || n != count) {
      *err = {::gloves::codes::kTrtRunFailed, "input " + name + ": dims do not match the data length"};
      return false;
    }
    if (n * sizeof(float) <= b.capacity) {
      std::memcpy(b.host, data, n * sizeof(float));
      std::vector<float>().swap(b.pending);
    } else {
      b.pending.assign(data, data + n);  // the worker grows the CUDA buffer and copies
    }
    b.dims = dims;
    b.staged = true;
    return true;
  }
  *err = {::gloves::codes::kTrtRunFailed, "engine has no input named " + name};
  return false;
}

bool Engine::Execute(EngineError* err) {
  bool ok = false;
  try {
    LogCapture log;
    ok = ExecuteStaged(err, log);
  } catch (const std::exception& e) {
    *err = {::gloves::codes::kTrtRunFailed, std::string("TensorRT threw: ") + e.what()};
  } catch (...) {
    *err = {::gloves::codes::kTrtRunFailed, "TensorRT threw an unknown exception"};
  }
  // A failed run must not leave stale inputs behind.
  for (Buffer& b : buffers_) {
    b.staged = false;
    std::vector<float>().swap(b.pending);
  }
  return ok;
}

bool Engine::ExecuteStaged(EngineError* err, const LogCapture& log) {
#if !GLOVES_TRT_NAMED_TENSORS
  std::vector<void*> bindings(buffers_.size(), nullptr);
#endif
  for (Buffer& b : buffers_) {
    if (!b.input) continue;
    if (!b.staged) {
      *err = {::gloves::codes::kTrtRunFailed, "input " + b.name + " was not given"};
      return false;
    }
    nvinfer1::Dims d{};
    ToDims(b.dims, &d);
#if GLOVES_TRT_NAMED_TENSORS
    const bool ok = context_->setInputShape(b.name.c_str(), d);
#else
    const bool ok = context_->setBindingDimensions(b.binding, d);
#endif
    if (!ok) {
      *err = {::gloves::codes::kTrtRunFailed, "input " + b.name + ": shape outside the engine's profile: " + log.Problems()};
      return false;
    }
    const size_t bytes = Volume(b.dims) * sizeof(float);
    if (!b.pending.empty()) {
      if (!Reserve(b, bytes, err)) return false;
      std::memcpy(b.host, b.pending.data(), bytes);
      std::vector<float>().swap(b.pending);
    }
    if (!mapped_ && !Cuda(cudaMemcpyAsync(b.device, b.host, bytes, cudaMemcpyHostToDevice, stream_), "copy in", err)) return false;
  }
  for (Buffer& b : buffers_) {
    if (b.input) continue;
#if GLOVES_TRT_NAMED_TENSORS
    b.dims = FromDims(context_->getTensorShape(b.name.c_str()));
#else
    b.dims = FromDims(context_->getBindingDimensions(b.binding));
#endif
    const size_t n = Volume(b.dims);
    if (n == 0) {
      *err = {::gloves::codes::kTrtRunFailed, "output " + b.name + " has no static shape after setting the inputs"};
      return false;
    }
    if (!Reserve(b, n * sizeof(float), err)) return false;
  }
  for (Buffer& b : buffers_) {
#if GLOVES_TRT_NAMED_TENSORS
    if (!context_->setTensorAddress(b.name.c_str(), b.device)) {
      *err = {::gloves::codes::kTrtRunFailed, "setTensorAddress failed for " + b.name};
      return false;
    }
#else
    bindings[b.binding] = b.device;
#endif
  }
#if GLOVES_TRT_NAMED_TENSORS
  const bool queued = context_->enqueueV3(stream_);
#else
  const bool queued = context_->enqueueV2(bindings.data(), stream_, nullptr);
#endif
  if (!queued) {
    *err = {::gloves::codes::kTrtRunFailed, "enqueue failed: " + log.Problems()};
    return false;
  }
  for (Buffer& b : buffers_) {
    if (b.input) continue;
    if (mapped_) continue;
    if (!Cuda(cudaMemcpyAsync(b.host, b.device, Volume(b.dims) * sizeof(float), cudaMemcpyDeviceToHost, stream_), "copy out", err))
      return false;
  }
  return Cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize", err);
}

std::vector<Engine::Output> Engine::Outputs() const {
  std::vector<Output> out;
  for (const Buffer& b : buffers_) {
    if (!b.input) out.push_back(Output{b.name, b.dims, b.host, Volume(b.dims)});
  }
  return out;
}

}  // namespace gloves
