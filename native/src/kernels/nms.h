// Class-aware greedy NMS, the contract of daemon/src/recognition/nms.ts:
// order by score descending, ties by lower original index; a box is
// suppressed when its IoU with an already-kept box of the same class is
// strictly greater than the threshold; area = (x2-x1)*(y2-y1), no +1;
// a zero union gives IoU 0. Returns kept indices in keep order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gloves {

// boxes: n*4 doubles [x1,y1,x2,y2]. Precondition: no NaN scores (checked by the binding).
std::vector<int32_t> Nms(const double* boxes, const double* scores, const int32_t* classes, size_t n, double iouThreshold);

}  // namespace gloves
