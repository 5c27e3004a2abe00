/* detect.h: detections and non-maximum suppression, shared by the detector examples. */
#ifndef DNNCC_EXAMPLES_DETECT_H
#define DNNCC_EXAMPLES_DETECT_H

#ifdef __cplusplus
extern "C" {
#endif

#define DETECTION_MAX_POINTS 8

/* One detected object: its class, score (0-1), box [x0, y0, x1, y1] (x0 <= x1, y0 <= y1) and up to
 * DETECTION_MAX_POINTS landmarks (x, y), all in one coordinate system (model input or image
 * pixels). `order` breaks score ties (the decode order), so results do not depend on qsort. */
typedef struct {
  int label;
  float score;
  double box[4];
  double points[DETECTION_MAX_POINTS][2];
  int num_points;
  int order;
} Detection;

/* Intersection over union of two boxes [x0, y0, x1, y1]; 0 when both are empty. */
double boxIou(const double a[4], const double b[4]);

/* Greedy non-maximum suppression within each class: sorts dets by descending score (ties: lower
 * label, then lower order), keeps a detection unless a kept one of its label overlaps it with an
 * IoU above iou_threshold, and moves the kept ones to the front in that order. Returns how many
 * were kept. O(n * kept). */
int nonMaxSuppression(Detection* dets, int n, double iou_threshold);

/* Maps a detection's box and points from model-input pixels to image pixels (inverse of a
 * letterbox of the given scale and offsets) and clips the box to width x height. */
void detectionToImage(Detection* det, double scale, int off_x, int off_y, int width, int height);

#ifdef __cplusplus
}
#endif
#endif
