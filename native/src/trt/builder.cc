#include "builder.h"

#include <NvOnnxParser.h>

#include <chrono>
#include <exception>
#include <memory>
#include <mutex>

#include "codes.h"
#include "compat.h"
#include "engine.h"
#include "logger.h"

namespace gloves {

namespace {

using nvinfer1::BuilderFlag;
using Clock = std::chrono::steady_clock;

// ---- progress registry (read by buildProgress() on the main thread) ----

struct BuildState {
  std::string label;
  Clock::time_point start = Clock::now();
  struct Phase {
    std::string name;
    int32_t step, steps;
  };
  std::vector<Phase> phases;
};

std::mutex& RegistryMu() {
  static auto* mu = new std::mutex();
  return *mu;
}
std::vector<BuildState*>& Registry() {
  static auto* v = new std::vector<BuildState*>();
  return *v;
}

class Registered {
 public:
  explicit Registered(const std::string& label) {
    state_.label = label;
    std::lock_guard<std::mutex> lock(RegistryMu());
    Registry().push_back(&state_);
  }
  ~Registered() {
    std::lock_guard<std::mutex> lock(RegistryMu());
    auto& v = Registry();
    for (size_t i = 0; i < v.size(); i++) {
      if (v[i] == &state_) {
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }
  BuildState& state() { return state_; }

 private:
  BuildState state_;
};

#if GLOVES_TRT_PROGRESS_MONITOR
// TensorRT may call these from its own threads: everything under the registry lock.
class ProgressMonitor : public nvinfer1::IProgressMonitor {
 public:
  explicit ProgressMonitor(BuildState* s) : s_(s) {}
  void phaseStart(const char* phaseName, const char* parentPhase, int32_t nbSteps) noexcept override {
    try {
      std::lock_guard<std::mutex> lock(RegistryMu());
      s_->phases.push_back({phaseName ? phaseName : "?", 0, nbSteps});
    } catch (...) {
    }
  }
  bool stepComplete(const char* phaseName, int32_t step) noexcept override {
    std::lock_guard<std::mutex> lock(RegistryMu());
    for (auto& p : s_->phases) {
      if (phaseName && p.name == phaseName) p.step = step + 1;
    }
    return true;  // never cancels
  }
  void phaseFinish(const char* phaseName) noexcept override {
    std::lock_guard<std::mutex> lock(RegistryMu());
    for (size_t i = s_->phases.size(); i-- > 0;) {
      if (phaseName && s_->phases[i].name == phaseName) {
        s_->phases.erase(s_->phases.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }

 private:
  BuildState* s_;
};
#endif

#if GLOVES_TRT_IMPLICIT_INT8
// Implicit INT8 from an existing calibration cache: TensorRT reads the scales
// from the cache and never asks for a batch, provided the calibrator's class
// matches the algorithm in the cache header. If it asks anyway, the cache was
// rejected: that is recorded and reported as its own error code.
class CacheSource {
 public:
  explicit CacheSource(const std::string& cache) : cache_(cache) {}
  virtual ~CacheSource() = default;
  virtual nvinfer1::IInt8Calibrator* calibrator() = 0;
  bool batchRequested() const { return batchRequested_; }

 protected:
  std::string cache_;
  bool batchRequested_ = false;
};

template <typename Base>
class CacheCalibrator : public Base, public CacheSource {
 public:
  explicit CacheCalibrator(const std::string& cache) : CacheSource(cache) {}
  nvinfer1::IInt8Calibrator* calibrator() override { return this; }
  int32_t getBatchSize() const noexcept override { return 1; }
  bool getBatch(void* bindings[], const char* names[], int32_t nbBindings) noexcept override {
    batchRequested_ = true;
    return false;
  }
  const void* readCalibrationCache(std::size_t& length) noexcept override {
    length = cache_.size();
    return cache_.empty() ? nullptr : cache_.data();
  }
  void writeCalibrationCache(const void* ptr, std::size_t length) noexcept override {}
};

std::unique_ptr<CacheSource> MakeCalibrator(CalibrationAlgorithm a, const std::string& cache) {
  switch (a) {
    case CalibrationAlgorithm::kEntropy:
      return std::unique_ptr<CacheSource>(new CacheCalibrator<nvinfer1::IInt8EntropyCalibrator>(cache));
    case CalibrationAlgorithm::kMinMax:
      return std::unique_ptr<CacheSource>(new CacheCalibrator<nvinfer1::IInt8MinMaxCalibrator>(cache));
    case CalibrationAlgorithm::kEntropy2:
      break;
  }
  return std::unique_ptr<CacheSource>(new CacheCalibrator<nvinfer1::IInt8EntropyCalibrator2>(cache));
}
#endif

bool ToDims(const std::vector<int64_t>& v, nvinfer1::Dims* d) {
  if (v.empty() || v.size() > static_cast<size_t>(nvinfer1::Dims::MAX_DIMS)) return false;
  d->nbDims = static_cast<int32_t>(v.size());
  for (size_t i = 0; i < v.size(); i++) d->d[i] = static_cast<decltype(d->d[0] + 0)>(v[i]);
  return true;
}

BuildResult Fail(const LogCapture& log, const char* code, const std::string& msg) {
  BuildResult r;
  r.code = code;
  const std::string detail = log.Problems();
  r.message = detail.empty() ? msg : msg + " (" + detail + ")";
  r.log = log.Lines();
  return r;
}

BuildResult BuildUnguarded(const BuildRequest& req, const LogCapture& log, BuildState* state);

}  // namespace

std::vector<BuildProgress> ActiveBuilds() {
  std::vector<BuildProgress> out;
  std::lock_guard<std::mutex> lock(RegistryMu());
  const auto now = Clock::now();
  for (const BuildState* s : Registry()) {
    BuildProgress p;
    p.label = s->label;
    for (const auto& ph : s->phases) p.phase += (p.phase.empty() ? "" : " > ") + ph.name;
    if (!s->phases.empty()) {
      p.step = s->phases.back().step;
      p.steps = s->phases.back().steps;
    }
    p.elapsedMs = std::chrono::duration<double, std::milli>(now - s->start).count();
    out.push_back(p);
  }
  return out;
}

// The ONNX parser header and TensorRT may throw: nothing may escape into N-API.
BuildResult BuildEngine(const BuildRequest& req) {
  LogCapture log;
  try {
    InitCudaOnce();
    Registered reg(req.label.empty() ? req.onnxPath : req.label);
    return BuildUnguarded(req, log, &reg.state());
  } catch (const std::exception& e) {
    return Fail(log, ::gloves::codes::kTrtBuildFailed, std::string("TensorRT threw: ") + e.what());
  } catch (...) {
    return Fail(log, ::gloves::codes::kTrtBuildFailed, "TensorRT threw an unknown exception");
  }
}

namespace {

BuildResult BuildUnguarded(const BuildRequest& req, const LogCapture& log, BuildState* state) {
  std::unique_ptr<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(Logger()));
  if (!builder) return Fail(log, ::gloves::codes::kTrtBuildFailed, "createInferBuilder failed (no usable GPU?)");

  uint32_t flags = 0;
#if GLOVES_TRT_EXPLICIT_BATCH_FLAG
  flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH);
#endif
  // Q/DQ models are built weakly typed on 8.x and 10.x with kINT8 + kFP16, so that
  // layers between Q/DQ pairs run in FP16, not FP32 (a strongly typed 10.x network
  // would keep the ONNX's float32 for them and forbids the precision flags).
  std::unique_ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
  if (!network) return Fail(log, ::gloves::codes::kTrtBuildFailed, "createNetworkV2 failed");
  std::unique_ptr<nvonnxparser::IParser> parser(nvonnxparser::createParser(*network, Logger()));
  if (!parser) return Fail(log, ::gloves::codes::kTrtBuildFailed, "createParser failed");
  if (!parser->parseFromFile(req.onnxPath.c_str(), static_cast<int>(nvinfer1::ILogger::Severity::kWARNING))) {
    std::string why;
    for (int32_t i = 0; i < parser->getNbErrors(); i++) why += (i ? "; " : "") + std::string(parser->getError(i)->desc());
    return Fail(log, ::gloves::codes::kTrtParseFailed, "cannot parse ONNX " + req.onnxPath + ": " + why);
  }

  std::unique_ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) return Fail(log, ::gloves::codes::kTrtBuildFailed, "createBuilderConfig failed");
#if GLOVES_TRT_MEMORY_POOL
  config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<std::size_t>(req.workspaceBytes));
#else
  config->setMaxWorkspaceSize(static_cast<std::size_t>(req.workspaceBytes));
#endif
#if GLOVES_TRT_PROGRESS_MONITOR
  ProgressMonitor monitor(state);  // outlives the build below
  config->setProgressMonitor(&monitor);
#endif

  // Timing cache: reuse tactic timings across builds (and rebuilds after a crash).
  std::unique_ptr<nvinfer1::ITimingCache> timing(config->createTimingCache(req.timingCache.data(), req.timingCache.size()));
  if (timing && !config->setTimingCache(*timing, false)) timing.reset();
  if (!timing && !req.timingCache.empty()) {  // stale or foreign: start a fresh one
    timing.reset(config->createTimingCache(nullptr, 0));
    if (timing && !config->setTimingCache(*timing, false)) timing.reset();
  }

#if GLOVES_TRT_IMPLICIT_INT8
  std::unique_ptr<CacheSource> calibrator;
#endif
  switch (req.precision) {
    case Precision::kFP32:
      break;
    case Precision::kFP16:
#if GLOVES_TRT_PRECISION_FLAGS
      config->setFlag(BuilderFlag::kFP16);
      break;
#else
      return Fail(log, ::gloves::codes::kTrtUnsupported, "this TensorRT has no FP16 builder flag: give a model with FP16 types");
#endif
    case Precision::kINT8:
      if (req.int8Mode == Int8Mode::kCalibrationCache) {
#if GLOVES_TRT_IMPLICIT_INT8
        if (req.calibrationCache.empty())
          return Fail(log, ::gloves::codes::kTrtBuildFailed, "INT8 from a calibration cache needs the cache");
        calibrator = MakeCalibrator(req.calibrationAlgorithm, req.calibrationCache);
        config->setFlag(BuilderFlag::kINT8);
        config->setFlag(BuilderFlag::kFP16);  // layers without scales fall back to FP16, not FP32
        config->setInt8Calibrator(calibrator->calibrator());
#else
        return Fail(log, ::gloves::codes::kTrtUnsupported, "this TensorRT has no implicit INT8: give a Q/DQ model");
#endif
      } else if (req.int8Mode == Int8Mode::kQdq) {
#if GLOVES_TRT_PRECISION_FLAGS
        config->setFlag(BuilderFlag::kINT8);  // honour the Q/DQ nodes
        config->setFlag(BuilderFlag::kFP16);  // and run the unquantized layers in FP16
#endif
      } else {
        return Fail(log, ::gloves::codes::kTrtBuildFailed, "INT8 needs int8Mode calibration-cache or qdq");
      }
      break;
  }

  if (req.dlaCore >= 0) {
    if (req.dlaCore >= builder->getNbDLACores())
      return Fail(log, ::gloves::codes::kTrtBuildFailed, "DLA core " + std::to_string(req.dlaCore) + " does not exist");
    config->setDefaultDeviceType(nvinfer1::DeviceType::kDLA);
    config->setDLACore(req.dlaCore);
    config->setFlag(BuilderFlag::kGPU_FALLBACK);
  }

  if (!req.profiles.empty()) {
    nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();  // owned by the builder
    for (const Profile& p : req.profiles) {
      nvinfer1::Dims mn{}, op{}, mx{};
      if (!ToDims(p.min, &mn) || !ToDims(p.opt, &op) || !ToDims(p.max, &mx) ||
          !profile->setDimensions(p.name.c_str(), nvinfer1::OptProfileSelector::kMIN, mn) ||
          !profile->setDimensions(p.name.c_str(), nvinfer1::OptProfileSelector::kOPT, op) ||
          !profile->setDimensions(p.name.c_str(), nvinfer1::OptProfileSelector::kMAX, mx)) {
        return Fail(log, ::gloves::codes::kTrtBuildFailed, "invalid optimisation profile for input " + p.name);
      }
    }
    if (config->addOptimizationProfile(profile) < 0) return Fail(log, ::gloves::codes::kTrtBuildFailed, "addOptimizationProfile failed");
  }

  std::unique_ptr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
#if GLOVES_TRT_IMPLICIT_INT8
  if (calibrator && calibrator->batchRequested()) {
    return Fail(log, kCalibrationCacheRejected, "TensorRT did not accept the calibration cache and asked for calibration data");
  }
#endif
  if (!plan || plan->size() == 0) return Fail(log, ::gloves::codes::kTrtBuildFailed, "buildSerializedNetwork failed");
  BuildResult r;
  const auto* bytes = static_cast<const uint8_t*>(plan->data());
  r.engine.assign(bytes, bytes + plan->size());
  if (const nvinfer1::ITimingCache* tc = config->getTimingCache()) {
    std::unique_ptr<nvinfer1::IHostMemory> mem(tc->serialize());
    if (mem && mem->size() > 0) {
      const auto* t = static_cast<const uint8_t*>(mem->data());
      r.timingCache.assign(t, t + mem->size());
    }
  }
  r.log = log.Lines();
  return r;
}

}  // namespace

}  // namespace gloves
