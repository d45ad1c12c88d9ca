// The process's one TensorRT logger, and per-operation capture of what it logs.
//
// TensorRT keeps the first ILogger it is given for as long as any builder or
// runtime lives and sends every later object's messages there, so a logger per
// object is wrong (later objects log into the first one's, and disposing that
// one leaves TensorRT a dangling pointer). So: one logger, created on first
// use and never freed. Each build/load/run opens a LogCapture (RAII) on its
// thread; the logger hands a message to the capture open on the logging
// thread, or, for TensorRT's internal threads, to the only open capture when
// there is exactly one. Anything else goes to a small ring (Orphans()).
#pragma once
#include <algorithm>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "compat.h"

namespace gloves {

class LogCapture;

namespace logdetail {
inline std::mutex& Mu() {
  static std::mutex* mu = new std::mutex();  // never freed: TensorRT may log during exit
  return *mu;
}
inline std::vector<LogCapture*>& Open() {
  static auto* v = new std::vector<LogCapture*>();
  return *v;
}
inline std::deque<std::string>& Ring() {
  static auto* r = new std::deque<std::string>();
  return *r;
}
inline thread_local LogCapture* tlsCapture = nullptr;
}  // namespace logdetail

// Lines captured for one operation: "error: ...", "warning: ...", "info: ...".
// Open it on the thread that calls TensorRT; it must outlive those calls.
class LogCapture {
 public:
  static constexpr size_t kMaxLines = 2000;
  LogCapture() {
    {
      std::lock_guard<std::mutex> lock(logdetail::Mu());
      logdetail::Open().push_back(this);  // may throw: before anything points at this
    }
    prev_ = logdetail::tlsCapture;
    logdetail::tlsCapture = this;
  }
  ~LogCapture() {
    logdetail::tlsCapture = prev_;
    std::lock_guard<std::mutex> lock(logdetail::Mu());
    auto& open = logdetail::Open();
    open.erase(std::remove(open.begin(), open.end(), this), open.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Called with logdetail::Mu() held.
  void AddLocked(const std::string& line, bool important) {
    if (lines_.size() < kMaxLines)
      lines_.push_back(line);
    else
      dropped_++;
    if (important && problems_.size() < 50) problems_.push_back(line);
  }
  // Every line (info included), then a note of what the cap dropped.
  std::vector<std::string> Lines() const {
    std::lock_guard<std::mutex> lock(logdetail::Mu());
    std::vector<std::string> out = lines_;
    if (dropped_ > 0) out.push_back("warning: " + std::to_string(dropped_) + " more TensorRT log lines were dropped");
    return out;
  }
  // Warnings and errors only, joined: the detail for an error message.
  std::string Problems() const {
    std::lock_guard<std::mutex> lock(logdetail::Mu());
    std::string s;
    for (const auto& l : problems_) s += (s.empty() ? "" : "; ") + l;
    return s;
  }

 private:
  LogCapture* prev_ = nullptr;
  std::vector<std::string> lines_;
  std::vector<std::string> problems_;
  size_t dropped_ = 0;
};

class TrtLogger : public nvinfer1::ILogger {
 public:
  void log(Severity severity, const char* msg) noexcept override {
    if (severity > Severity::kINFO || msg == nullptr) return;  // kVERBOSE is too much even for debug
    try {
      const char* tag = severity == Severity::kINFO ? "info: " : severity == Severity::kWARNING ? "warning: " : "error: ";
      const std::string line = std::string(tag) + msg;
      const bool important = severity <= Severity::kWARNING;
      std::lock_guard<std::mutex> lock(logdetail::Mu());
      LogCapture* c = logdetail::tlsCapture;
      if (c == nullptr && logdetail::Open().size() == 1) c = logdetail::Open().front();
      if (c != nullptr) {
        c->AddLocked(line, important);
      } else if (important) {
        auto& ring = logdetail::Ring();
        ring.push_back(line);
        if (ring.size() > 50) ring.pop_front();
      }
    } catch (...) {
      // Out of memory while logging: drop the line; nothing may escape into TensorRT.
    }
  }
};

// The process's logger: pass it to every createInferBuilder/createInferRuntime/createParser.
inline TrtLogger& Logger() {
  static TrtLogger* logger = new TrtLogger();  // never freed (see above)
  return *logger;
}

}  // namespace gloves
