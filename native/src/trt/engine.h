// A deserialized TensorRT engine with one execution context, one CUDA stream
// and pinned host staging buffers (mapped zero-copy memory on integrated GPUs
// such as Jetson's, so there is no copy at all). Float32 I/O only (what our
// ONNX models expose, also for FP16/INT8 engines). Not thread-safe: one Run at
// a time, which the binding enforces. CUDA memory is allocated and freed on the
// worker thread only (never on the main thread while growing a buffer).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codes.h"
#include "compat.h"
#include "logger.h"

namespace gloves {

struct TensorInfo {
  std::string name;
  bool input = false;
  std::vector<int64_t> dims;  // -1 where dynamic
  std::string dtype;
};

struct EngineError {
  std::string code;
  std::string message;
};

// Load error codes: kEngineInvalid only when deserializeCudaEngine itself
// refused the bytes (the cached file is stale or corrupt: delete and rebuild);
// kEngineLoadFailed for everything else (out of memory, no stream, DLA core),
// where a rebuild of several minutes would not help.
constexpr const char* kEngineInvalid = ::gloves::codes::kTrtDeserializeFailed;
constexpr const char* kEngineLoadFailed = ::gloves::codes::kTrtLoadFailed;

// Once per process, before the first CUDA context: blocking sync (waiting for
// the GPU does not spin a CPU core) and mapped host memory. Thread-safe.
void InitCudaOnce();

// Element count, or 0 for a shape that is not fully known or would overflow.
size_t Volume(const std::vector<int64_t>& dims);

class Engine {
 public:
  static std::unique_ptr<Engine> Load(const uint8_t* blob, size_t size, int dlaCore, EngineError* err);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::vector<TensorInfo>& Describe() const { return tensors_; }

  // Main thread: validate an input and copy it into its pinned buffer, or into a
  // plain host vector when the pinned one must grow (the worker grows it).
  bool StageInput(const std::string& name, const std::vector<int64_t>& dims, const float* data, size_t count, EngineError* err);
  // Worker thread: set shapes, copy in, enqueue, copy out, wait.
  bool Execute(EngineError* err);
  // Main thread, after Execute: the outputs (names, dims, pinned data).
  struct Output {
    std::string name;
    std::vector<int64_t> dims;
    const float* data;
    size_t count;
  };
  std::vector<Output> Outputs() const;
  void ClearStaged() {
    for (Buffer& b : buffers_) {
      b.staged = false;
      std::vector<float>().swap(b.pending);
    }
  }

 private:
  struct Buffer {
    std::string name;
    bool input = false;
    int binding = -1;
    std::vector<int64_t> dims;  // current shape
    void* device = nullptr;
    float* host = nullptr;
    size_t capacity = 0;  // bytes
    bool staged = false;
    std::vector<float> pending;  // staged input waiting for Reserve on the worker
  };
  Engine() = default;
  static std::unique_ptr<Engine> LoadUnguarded(const uint8_t* blob, size_t size, int dlaCore, EngineError* err);
  static Buffer MakeBuffer(const TensorInfo& t, int binding);
  bool Reserve(Buffer& b, size_t bytes, EngineError* err);
  static void Release(Buffer& b, bool mapped);
  bool ExecuteStaged(EngineError* err, const LogCapture& log);

  bool mapped_ = false;  // integrated GPU: host buffers are mapped, device == host
  std::unique_ptr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  cudaStream_t stream_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::vector<Buffer> buffers_;
};

}  // namespace gloves
