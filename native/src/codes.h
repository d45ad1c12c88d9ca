// Error codes the addon throws (as the `code` of a JS Error). They are the
// TypeScript side's ERROR_CODES (daemon/src/errors.ts) too: a test checks that
// every code named here is in that table.
#pragma once

namespace gloves::codes {

inline constexpr const char kBufferTooSmall[] = "BUFFER_TOO_SMALL";
inline constexpr const char kEngineBusy[] = "ENGINE_BUSY";
inline constexpr const char kEngineDisposed[] = "ENGINE_DISPOSED";
inline constexpr const char kImageInvalid[] = "IMAGE_INVALID";
inline constexpr const char kNativeBadArgument[] = "NATIVE_BAD_ARGUMENT";
inline constexpr const char kNmsInvalid[] = "NMS_INVALID";
inline constexpr const char kRegionInvalid[] = "REGION_INVALID";
inline constexpr const char kRegionOutside[] = "REGION_OUTSIDE";
inline constexpr const char kSizeInvalid[] = "SIZE_INVALID";
inline constexpr const char kTrtBuildFailed[] = "TRT_BUILD_FAILED";
inline constexpr const char kTrtCalibrationCacheRejected[] = "TRT_CALIBRATION_CACHE_REJECTED";
inline constexpr const char kTrtDeserializeFailed[] = "TRT_DESERIALIZE_FAILED";
inline constexpr const char kTrtInternal[] = "TRT_INTERNAL";
inline constexpr const char kTrtLoadFailed[] = "TRT_LOAD_FAILED";
inline constexpr const char kTrtParseFailed[] = "TRT_PARSE_FAILED";
inline constexpr const char kTrtRunFailed[] = "TRT_RUN_FAILED";
inline constexpr const char kTrtUnsupported[] = "TRT_UNSUPPORTED";

}  // namespace gloves::codes
