#include "engine.h"

#include <cstring>
#include <exception>

namespace gloves {

namespace {

const char* DtypeName(nvinfer1::DataType t) {
  switch (t) {
    case nvinfer1::DataType::kFLOAT: return "float32";
    case nvinfer1::DataType::kHALF: return "float16";
    case nvinfer1::DataType::kINT8: return "int8";
    case nvinfer1::DataType::kINT32: return "int32";
    default: return "other";
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

// Element count, or 0 for a shape that is not fully known.
size_t Volume(const std::vector<int64_t>& dims) {
  size_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > (1 << 30)) return 0;
    n *= static_cast<size_t>(d);
  }
  return n;
}

bool Cuda(cudaError_t e, const char* what, EngineError* err) {
  if (e == cudaSuccess) return true;
  *err = {"TRT_RUN_FAILED", std::string(what) + ": " + cudaGetErrorString(e)};
  return false;
}

}  // namespace

// TensorRT and the ONNX parser headers may throw (the addon is built with
// -fexceptions when TensorRT is in): nothing may escape into N-API.
std::unique_ptr<Engine> Engine::Load(const uint8_t* blob, size_t size, int dlaCore, EngineError* err) {
  try {
    return LoadUnguarded(blob, size, dlaCore, err);
  } catch (const std::exception& e) {
    *err = {"TRT_DESERIALIZE_FAILED", std::string("TensorRT threw: ") + e.what()};
  } catch (...) {
    *err = {"TRT_DESERIALIZE_FAILED", "TensorRT threw an unknown exception"};
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
  std::unique_ptr<Engine> e(new Engine());
  e->runtime_.reset(nvinfer1::createInferRuntime(e->logger_));
  if (!e->runtime_) {
    *err = {"TRT_DESERIALIZE_FAILED", "createInferRuntime failed"};
    return nullptr;
  }
  if (dlaCore >= 0) {
    if (dlaCore >= e->runtime_->getNbDLACores()) {
      *err = {"TRT_DESERIALIZE_FAILED", "DLA core " + std::to_string(dlaCore) + " does not exist"};
      return nullptr;
    }
    e->runtime_->setDLACore(dlaCore);
  }
  e->engine_.reset(e->runtime_->deserializeCudaEngine(blob, size));
  if (!e->engine_) {
    *err = {"TRT_DESERIALIZE_FAILED", "deserializeCudaEngine failed: " + e->logger_.Joined()};
    return nullptr;
  }
  e->context_.reset(e->engine_->createExecutionContext());
  if (!e->context_) {
    *err = {"TRT_DESERIALIZE_FAILED", "createExecutionContext failed: " + e->logger_.Joined()};
    return nullptr;
  }
  if (!Cuda(cudaStreamCreate(&e->stream_), "cudaStreamCreate", err)) {
    err->code = "TRT_DESERIALIZE_FAILED";
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
    if (t.dtype != "float32") {
      *err = {"TRT_UNSUPPORTED", "tensor " + t.name + " is " + t.dtype + "; only float32 I/O is supported"};
      return nullptr;
    }
  }
  return e;
}

Engine::~Engine() {
  if (stream_) cudaStreamSynchronize(stream_);
  for (Buffer& b : buffers_) {
    if (b.device) cudaFree(b.device);
    if (b.host) cudaFreeHost(b.host);
  }
  if (stream_) cudaStreamDestroy(stream_);
  // Destruction order matters: context before engine before runtime.
  context_.reset();
  engine_.reset();
  runtime_.reset();
}

bool Engine::Reserve(Buffer& b, size_t bytes, EngineError* err) {
  if (bytes <= b.capacity) return true;
  if (b.device) cudaFree(b.device);
  if (b.host) cudaFreeHost(b.host);
  b.device = nullptr;
  b.host = nullptr;
  b.capacity = 0;
  void* host = nullptr;
  if (!Cuda(cudaMalloc(&b.device, bytes), "cudaMalloc", err) || !Cuda(cudaMallocHost(&host, bytes), "cudaMallocHost", err)) return false;
  b.host = static_cast<float*>(host);
  b.capacity = bytes;
  return true;
}

bool Engine::StageInput(const std::string& name, const std::vector<int64_t>& dims, const float* data, size_t count, EngineError* err) {
  for (Buffer& b : buffers_) {
    if (b.name != name) continue;
    if (!b.input) break;
    const size_t n = Volume(dims);
    if (n == 0 || n != count) {
      *err = {"TRT_RUN_FAILED", "input " + name + ": dims do not match the data length"};
      return false;
    }
    if (!Reserve(b, n * sizeof(float), err)) return false;
    std::memcpy(b.host, data, n * sizeof(float));
    b.dims = dims;
    b.staged = true;
    return true;
  }
  *err = {"TRT_RUN_FAILED", "engine has no input named " + name};
  return false;
}

bool Engine::Execute(EngineError* err) {
  bool ok = false;
  try {
    ok = ExecuteStaged(err);
  } catch (const std::exception& e) {
    *err = {"TRT_RUN_FAILED", std::string("TensorRT threw: ") + e.what()};
  } catch (...) {
    *err = {"TRT_RUN_FAILED", "TensorRT threw an unknown exception"};
  }
  for (Buffer& b : buffers_) b.staged = false;  // a failed run must not leave stale inputs behind
  return ok;
}

bool Engine::ExecuteStaged(EngineError* err) {
#if !GLOVES_TRT_NAMED_TENSORS
  std::vector<void*> bindings(buffers_.size(), nullptr);
#endif
  for (Buffer& b : buffers_) {
    if (!b.input) continue;
    if (!b.staged) {
      *err = {"TRT_RUN_FAILED", "input " + b.name + " was not given"};
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
      *err = {"TRT_RUN_FAILED", "input " + b.name + ": shape outside the engine's profile: " + logger_.Joined()};
      return false;
    }
    if (!Cuda(cudaMemcpyAsync(b.device, b.host, Volume(b.dims) * sizeof(float), cudaMemcpyHostToDevice, stream_), "copy in", err)) return false;
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
      *err = {"TRT_RUN_FAILED", "output " + b.name + " has no static shape after setting the inputs"};
      return false;
    }
    if (!Reserve(b, n * sizeof(float), err)) return false;
  }
  for (Buffer& b : buffers_) {
#if GLOVES_TRT_NAMED_TENSORS
    if (!context_->setTensorAddress(b.name.c_str(), b.device)) {
      *err = {"TRT_RUN_FAILED", "setTensorAddress failed for " + b.name};
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
    *err = {"TRT_RUN_FAILED", "enqueue failed: " + logger_.Joined()};
    return false;
  }
  for (Buffer& b : buffers_) {
    if (b.input) continue;
    if (!Cuda(cudaMemcpyAsync(b.host, b.device, Volume(b.dims) * sizeof(float), cudaMemcpyDeviceToHost, stream_), "copy out", err)) return false;
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
