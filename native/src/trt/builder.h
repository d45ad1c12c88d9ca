// Serialized-engine builder: ONNX -> TensorRT plan at FP32, FP16 or INT8
// (calibration cache or Q/DQ), optionally on a DLA core with GPU fallback.
// No N-API here; runs on a worker thread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gloves {

enum class Precision : int { kFP32 = 0, kFP16 = 1, kINT8 = 2 };
enum class Int8Mode : int { kNone = 0, kCalibrationCache = 1, kQdq = 2 };

struct Profile {
  std::string name;
  std::vector<int64_t> min, opt, max;
};

struct BuildRequest {
  std::string onnxPath;
  Precision precision = Precision::kFP32;
  Int8Mode int8Mode = Int8Mode::kNone;
  std::string calibrationCache;
  int dlaCore = -1;
  uint64_t workspaceBytes = 1ull << 28;
  std::vector<Profile> profiles;
};

struct BuildResult {
  std::string code;  // empty on success
  std::string message;
  std::vector<uint8_t> engine;
  std::vector<std::string> log;
};

BuildResult BuildEngine(const BuildRequest& req);

}  // namespace gloves
