#include "nms.h"

#include <algorithm>
#include <numeric>

namespace gloves {

namespace {
double Iou(const double* a, const double* b) {
  const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const double ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  const double inter = (iw > 0 && ih > 0) ? iw * ih : 0;
  // Degenerate (inverted) boxes have area 0, as in the TypeScript reference.
  const double areaA = std::max(0.0, a[2] - a[0]) * std::max(0.0, a[3] - a[1]);
  const double areaB = std::max(0.0, b[2] - b[0]) * std::max(0.0, b[3] - b[1]);
  const double uni = areaA + areaB - inter;
  return uni > 0 ? inter / uni : 0;
}
}  // namespace

std::vector<int32_t> Nms(const double* boxes, const double* scores, const int32_t* classes, size_t n, double iouThreshold) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t i, int32_t j) { return scores[i] > scores[j]; });
  std::vector<int32_t> kept;
  for (int32_t i : order) {
    bool suppressed = false;
    for (int32_t k : kept) {
      if (classes[k] == classes[i] && Iou(boxes + 4 * static_cast<size_t>(k), boxes + 4 * static_cast<size_t>(i)) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

}  // namespace gloves
