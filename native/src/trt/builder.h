// Serialized-engine builder: ONNX -> TensorRT plan at FP32, FP16 or INT8
// (calibration cache or Q/DQ), optionally on a DLA core with GPU fallback.
// No N-API here; runs on a worker thread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codes.h"

namespace gloves {

enum class Precision : int { kFP32 = 0, kFP16 = 1, kINT8 = 2 };
enum class Int8Mode : int { kNone = 0, kCalibrationCache = 1, kQdq = 2 };
// The calibrator class must match the cache's header algorithm, or TensorRT
// ignores the cache and asks for batches (which a cache-only calibrator cannot give).
enum class CalibrationAlgorithm : int { kEntropy2 = 0, kEntropy = 1, kMinMax = 2 };

struct Profile {
  std::string name;
  std::vector<int64_t> min, opt, max;
};

struct BuildRequest {
  std::string onnxPath;
  std::string label;  // what progress reports call this build (the model name)
  Precision precision = Precision::kFP32;
  Int8Mode int8Mode = Int8Mode::kNone;
  std::string calibrationCache;
  CalibrationAlgorithm calibrationAlgorithm = CalibrationAlgorithm::kEntropy2;
  std::string timingCache;  // serialized ITimingCache, or empty
  int dlaCore = -1;
  uint64_t workspaceBytes = 1ull << 28;
  std::vector<Profile> profiles;
};

struct BuildResult {
  std::string code;  // empty on success
  std::string message;
  std::vector<uint8_t> engine;
  std::vector<uint8_t> timingCache;  // updated timing cache, empty if none
  std::vector<std::string> log;      // TensorRT's info/warning/error lines of this build
};

// Error codes of BuildEngine besides TRT_BUILD_FAILED / TRT_PARSE_FAILED / TRT_UNSUPPORTED:
// the calibration cache was not used and TensorRT asked the calibrator for data.
constexpr const char* kCalibrationCacheRejected = ::gloves::codes::kTrtCalibrationCacheRejected;

BuildResult BuildEngine(const BuildRequest& req);

// What the running builds are doing (TensorRT 10's IProgressMonitor; on older
// TensorRT only label and elapsed time). Thread-safe.
struct BuildProgress {
  std::string label;
  std::string phase;            // "outer > inner", empty when unknown
  int32_t step = 0, steps = 0;  // of the innermost phase
  double elapsedMs = 0;
};
std::vector<BuildProgress> ActiveBuilds();

}  // namespace gloves
