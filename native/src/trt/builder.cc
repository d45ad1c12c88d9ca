#include "builder.h"

#include <NvOnnxParser.h>

#include <exception>
#include <memory>

#include "compat.h"
#include "logger.h"

namespace gloves {

namespace {

using nvinfer1::BuilderFlag;

#if GLOVES_TRT_IMPLICIT_INT8
// Implicit INT8 from an existing calibration cache: TensorRT reads the scales
// from the cache and never asks for a batch.
class CacheCalibrator : public nvinfer1::IInt8EntropyCalibrator2 {
 public:
  explicit CacheCalibrator(const std::string& cache) : cache_(cache) {}
  int32_t getBatchSize() const noexcept override { return 1; }
  bool getBatch(void* bindings[], const char* names[], int32_t nbBindings) noexcept override { return false; }
  const void* readCalibrationCache(std::size_t& length) noexcept override {
    length = cache_.size();
    return cache_.empty() ? nullptr : cache_.data();
  }
  void writeCalibrationCache(const void* ptr, std::size_t length) noexcept override {}

 private:
  std::string cache_;
};
#endif

bool ToDims(const std::vector<int64_t>& v, nvinfer1::Dims* d) {
  if (v.empty() || v.size() > static_cast<size_t>(nvinfer1::Dims::MAX_DIMS)) return false;
  d->nbDims = static_cast<int32_t>(v.size());
  for (size_t i = 0; i < v.size(); i++) d->d[i] = static_cast<decltype(d->d[0] + 0)>(v[i]);
  return true;
}

BuildResult Fail(TrtLogger& logger, const char* code, const std::string& msg) {
  BuildResult r;
  r.code = code;
  const std::string detail = logger.Joined();
  r.message = detail.empty() ? msg : msg + " (" + detail + ")";
  r.log = logger.Take();
  return r;
}

}  // namespace

BuildResult BuildUnguarded(const BuildRequest& req, TrtLogger& logger);

// The ONNX parser header and TensorRT may throw: nothing may escape into N-API.
BuildResult BuildEngine(const BuildRequest& req) {
  TrtLogger logger;
  try {
    return BuildUnguarded(req, logger);
  } catch (const std::exception& e) {
    return Fail(logger, "TRT_BUILD_FAILED", std::string("TensorRT threw: ") + e.what());
  } catch (...) {
    return Fail(logger, "TRT_BUILD_FAILED", "TensorRT threw an unknown exception");
  }
}

BuildResult BuildUnguarded(const BuildRequest& req, TrtLogger& logger) {
  std::unique_ptr<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(logger));
  if (!builder) return Fail(logger, "TRT_BUILD_FAILED", "createInferBuilder failed (no usable GPU?)");

  uint32_t flags = 0;
#if GLOVES_TRT_EXPLICIT_BATCH_FLAG
  flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH);
#endif
#if GLOVES_TRT_STRONGLY_TYPED_FLAG
  if (req.int8Mode == Int8Mode::kQdq) flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
  std::unique_ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
  if (!network) return Fail(logger, "TRT_BUILD_FAILED", "createNetworkV2 failed");
  std::unique_ptr<nvonnxparser::IParser> parser(nvonnxparser::createParser(*network, logger));
  if (!parser) return Fail(logger, "TRT_BUILD_FAILED", "createParser failed");
  if (!parser->parseFromFile(req.onnxPath.c_str(), static_cast<int>(nvinfer1::ILogger::Severity::kWARNING))) {
    std::string why;
    for (int32_t i = 0; i < parser->getNbErrors(); i++) why += (i ? "; " : "") + std::string(parser->getError(i)->desc());
    return Fail(logger, "TRT_PARSE_FAILED", "cannot parse ONNX " + req.onnxPath + ": " + why);
  }

  std::unique_ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) return Fail(logger, "TRT_BUILD_FAILED", "createBuilderConfig failed");
#if GLOVES_TRT_MEMORY_POOL
  config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<std::size_t>(req.workspaceBytes));
#else
  config->setMaxWorkspaceSize(static_cast<std::size_t>(req.workspaceBytes));
#endif

#if GLOVES_TRT_IMPLICIT_INT8
  std::unique_ptr<CacheCalibrator> calibrator;
#endif
  switch (req.precision) {
    case Precision::kFP32:
      break;
    case Precision::kFP16:
#if GLOVES_TRT_PRECISION_FLAGS
      if (req.int8Mode != Int8Mode::kQdq || !GLOVES_TRT_STRONGLY_TYPED_FLAG) config->setFlag(BuilderFlag::kFP16);
      break;
#else
      return Fail(logger, "TRT_UNSUPPORTED", "this TensorRT has no FP16 builder flag: give a model with FP16 types");
#endif
    case Precision::kINT8:
      if (req.int8Mode == Int8Mode::kCalibrationCache) {
#if GLOVES_TRT_IMPLICIT_INT8
        if (req.calibrationCache.empty()) return Fail(logger, "TRT_BUILD_FAILED", "INT8 from a calibration cache needs the cache");
        calibrator.reset(new CacheCalibrator(req.calibrationCache));
        config->setFlag(BuilderFlag::kINT8);
        config->setFlag(BuilderFlag::kFP16);  // layers without scales fall back to FP16, not FP32
        config->setInt8Calibrator(calibrator.get());
#else
        return Fail(logger, "TRT_UNSUPPORTED", "this TensorRT has no implicit INT8: give a Q/DQ model");
#endif
      } else if (req.int8Mode == Int8Mode::kQdq) {
#if GLOVES_TRT_EXPLICIT_BATCH_FLAG
        config->setFlag(BuilderFlag::kINT8);  // 8.x honours Q/DQ nodes under the INT8 flag
#endif
      } else {
        return Fail(logger, "TRT_BUILD_FAILED", "INT8 needs int8Mode calibration-cache or qdq");
      }
      break;
  }

  if (req.dlaCore >= 0) {
    if (req.dlaCore >= builder->getNbDLACores()) return Fail(logger, "TRT_BUILD_FAILED", "DLA core " + std::to_string(req.dlaCore) + " does not exist");
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
        return Fail(logger, "TRT_BUILD_FAILED", "invalid optimisation profile for input " + p.name);
      }
    }
    if (config->addOptimizationProfile(profile) < 0) return Fail(logger, "TRT_BUILD_FAILED", "addOptimizationProfile failed");
  }

  std::unique_ptr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
  if (!plan || plan->size() == 0) return Fail(logger, "TRT_BUILD_FAILED", "buildSerializedNetwork failed");
  BuildResult r;
  const auto* bytes = static_cast<const uint8_t*>(plan->data());
  r.engine.assign(bytes, bytes + plan->size());
  r.log = logger.Take();
  return r;
}

}  // namespace gloves
