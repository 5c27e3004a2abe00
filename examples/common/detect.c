/* detect.c: see detect.h. */
#include "detect.h"

#include <stdlib.h>

double boxIou(const double a[4], const double b[4]) {
  double iw = (a[2] < b[2] ? a[2] : b[2]) - (a[0] > b[0] ? a[0] : b[0]);
  double ih = (a[3] < b[3] ? a[3] : b[3]) - (a[1] > b[1] ? a[1] : b[1]);
  double inter = (iw > 0.0 ? iw : 0.0) * (ih > 0.0 ? ih : 0.0);
  double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

static int byScore(const void* pa, const void* pb) {
  const Detection *a = pa, *b = pb;
  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  if (a->label != b->label)
    return a->label < b->label ? -1 : 1;
  return (a->order > b->order) - (a->order < b->order);
}

int nonMaxSuppression(Detection* dets, int n, double iou_threshold) {
  qsort(dets, (size_t)n, sizeof(Detection), byScore);
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    int suppressed = 0;
    for (int k = 0; k < kept && !suppressed; ++k)
      suppressed =
          dets[k].label == dets[i].label && boxIou(dets[k].box, dets[i].box) > iou_threshold;
    if (!suppressed)
      dets[kept++] = dets[i];
  }
  return kept;
}

static double clip(double v, double hi) {
  return v < 0.0 ? 0.0 : v > hi ? hi : v;
}

void detectionToImage(Detection* det, double scale, int off_x, int off_y, int width, int height) {
  det->box[0] = clip((det->box[0] - off_x) / scale, width);
  det->box[1] = clip((det->box[1] - off_y) / scale, height);
  det->box[2] = clip((det->box[2] - off_x) / scale, width);
  det->box[3] = clip((det->box[3] - off_y) / scale, height);
  for (int k = 0; k < det->num_points; ++k) {
    det->points[k][0] = (det->points[k][0] - off_x) / scale;
    det->points[k][1] = (det->points[k][1] - off_y) / scale;
  }
}
