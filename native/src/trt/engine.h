// A deserialized TensorRT engine with one execution context, one CUDA stream
// and pinned host staging buffers. Float32 I/O only (what our ONNX models
// expose, also for FP16/INT8 engines). Not thread-safe: one Run at a time,
// which the binding enforces.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

class Engine {
 public:
  static std::unique_ptr<Engine> Load(const uint8_t* blob, size_t size, int dlaCore, EngineError* err);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::vector<TensorInfo>& Describe() const { return tensors_; }

  // Main thread: validate an input and copy it into its pinned buffer.
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
    for (Buffer& b : buffers_) b.staged = false;
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
  };
  Engine() = default;
  static std::unique_ptr<Engine> LoadUnguarded(const uint8_t* blob, size_t size, int dlaCore, EngineError* err);
  static Buffer MakeBuffer(const TensorInfo& t, int binding);
  bool Reserve(Buffer& b, size_t bytes, EngineError* err);
  bool ExecuteStaged(EngineError* err);

  TrtLogger logger_;
  std::unique_ptr<nvinfer1::IRuntime> runtime_;
  std::unique_ptr<nvinfer1::ICudaEngine> engine_;
  std::unique_ptr<nvinfer1::IExecutionContext> context_;
  cudaStream_t stream_ = nullptr;
  std::vector<TensorInfo> tensors_;
  std::vector<Buffer> buffers_;
};

}  // namespace gloves
