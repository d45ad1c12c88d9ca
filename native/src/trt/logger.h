// A TensorRT logger that keeps warnings and errors so they can be returned to
// TypeScript with a build or load error (TensorRT explains failures only here).
#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "compat.h"

namespace gloves {

class TrtLogger : public nvinfer1::ILogger {
 public:
  void log(Severity severity, const char* msg) noexcept override {
    if (severity > Severity::kWARNING || msg == nullptr) return;
    const char* tag = severity == Severity::kWARNING ? "warning: " : "error: ";
    std::lock_guard<std::mutex> lock(mu_);
    if (lines_.size() < 200) lines_.push_back(std::string(tag) + msg);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    out.swap(lines_);
    return out;
  }
  std::string Joined() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string s;
    for (const auto& l : lines_) s += (s.empty() ? "" : "; ") + l;
    return s;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace gloves
