/* detect_faces: face detection with landmarks with a dnncc model library. Decodes a JPEG or PNG,
 * letterboxes it into the model's 128 x 128 input (aspect kept, black border, values in [-1, 1]),
 * runs the model, decodes each anchor's box and six landmarks, suppresses overlaps (NMS), maps
 * everything back to the image and prints it; with OUT.png, draws boxes and landmarks into a copy:
 *
 *   detect_faces IMAGE [OUT.png]
 *   face SCORE X0 Y0 X1 Y1 RX RY LX LY NX NY MX MY RTX RTY LTX LTY   (image pixels)
 *
 * where R/L are the subject's right and left eye, N the nose tip, M the mouth centre, RT/LT the
 * right and left ear tragion. The model is MediaPipe's short-range face detector (BlazeFace,
 * Bazarevsky et al. 2019), converted from TFLite: 896 anchors (a 16 x 16 grid of stride 8 with
 * 2 anchors per cell, then an 8 x 8 grid of stride 16 with 6), each with a logit (output 1) and 16
 * regressors (output 0) in input pixels relative to the anchor's centre: box centre dx, dy, width,
 * height, then the six landmarks' dx, dy. Exit status: 0, 1 on an error, 2 on bad usage. */
#include "detect.h"
#include "image.h"
#include "libblazeface.h"

#include <math.h>
#include <stdio.h>

#if BLAZEFACE_NUM_INPUTS != 1 || BLAZEFACE_INPUT_0_NUM_ELEMENTS != 3 * 128 * 128
#error "detect_faces expects one [1, 3, 128, 128] input"
#endif
#if BLAZEFACE_OUTPUT_0_NUM_ELEMENTS != 896 * 16 || BLAZEFACE_OUTPUT_1_NUM_ELEMENTS != 896
#error "detect_faces expects regressors [1, 896, 16] and scores [1, 896, 1]"
#endif

enum { kSize = 128, kAnchors = 896, kRegressors = 16, kLandmarks = 6 };
static const float kMean[3] = {0.5f, 0.5f, 0.5f}; /* v / 255 in [0, 1] to [-1, 1] */
static const float kStd[3] = {0.5f, 0.5f, 0.5f};
static const double kScoreThreshold = 0.5;
static const double kIouThreshold = 0.3;

static float input[BLAZEFACE_INPUT_0_NUM_ELEMENTS];
static float regressors[kAnchors * kRegressors];
static float logits[kAnchors];
static double anchors[kAnchors][2];
static Detection dets[kAnchors];

/* Anchor centres in input pixels: per grid, per cell (row-major), per anchor. */
static void makeAnchors(void) {
  static const int kGrids[2][2] = {{8, 2}, {16, 6}}; /* stride, anchors per cell */
  int a = 0;
  for (int g = 0; g < 2; ++g) {
    int stride = kGrids[g][0], n = kSize / stride;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        for (int k = 0; k < kGrids[g][1]; ++k, ++a) {
          anchors[a][0] = (x + 0.5) * stride;
          anchors[a][1] = (y + 0.5) * stride;
        }
  }
}

/* Runs the model on input; returns 0, or 1 after an error line. */
static int runModel(void) {
  dnncc_model* model = NULL;
  if (blazeface_create(&model) != DNNCC_OK) {
    fprintf(stderr, "error: cannot create the model: %s\n", blazeface_last_error(NULL));
    return 1;
  }
  int status = blazeface_set_input(model, 0, input, sizeof input);
  if (status == DNNCC_OK)
    status = blazeface_run(model);
  if (status == DNNCC_OK)
    status = blazeface_get_output(model, 0, regressors, sizeof regressors);
  if (status == DNNCC_OK)
    status = blazeface_get_output(model, 1, logits, sizeof logits);
  if (status != DNNCC_OK)
    fprintf(stderr, "error: the model failed: %s\n", blazeface_last_error(model));
  blazeface_destroy(model);
  return status == DNNCC_OK ? 0 : 1;
}

/* Anchors scoring above the threshold as detections in input pixels; returns the count. */
static int decode(void) {
  int n = 0;
  for (int a = 0; a < kAnchors; ++a) {
    double logit = logits[a] < -100.0f ? -100.0 : logits[a] > 100.0f ? 100.0 : logits[a];
    double score = 1.0 / (1.0 + exp(-logit));
    if (!(score > kScoreThreshold))
      continue;
    const float* r = regressors + (size_t)a * kRegressors;
    double cx = r[0] + anchors[a][0], cy = r[1] + anchors[a][1];
    Detection* det = &dets[n];
    det->label = 0;
    det->score = (float)score;
    det->box[0] = cx - r[2] / 2.0;
    det->box[1] = cy - r[3] / 2.0;
    det->box[2] = cx + r[2] / 2.0;
    det->box[3] = cy + r[3] / 2.0;
    det->num_points = kLandmarks;
    for (int k = 0; k < kLandmarks; ++k) {
      det->points[k][0] = r[4 + 2 * k] + anchors[a][0];
      det->points[k][1] = r[5 + 2 * k] + anchors[a][1];
    }
    det->order = n++;
  }
  return n;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s IMAGE [OUT.png]\n", argv[0]);
    return 2;
  }
  Image img;
  if (imageLoad(argv[1], &img) != 0)
    return 1;
  Placement at = imageLetterbox(&img, kSize, kSize, 0.0f, kMean, kStd, input);
  if (runModel() != 0) {
    imageFree(&img);
    return 1;
  }
  makeAnchors();
  int kept = nonMaxSuppression(dets, decode(), kIouThreshold);
  static const unsigned char kBoxColor[3] = {0, 255, 0}, kPointColor[3] = {255, 0, 0};
  int thickness = img.width > 400 ? 3 : 1, radius = img.width > 400 ? 2 : 1;
  for (int i = 0; i < kept; ++i) {
    Detection* det = &dets[i];
    detectionToImage(det, at.scale, at.off_x, at.off_y, img.width, img.height);
    printf("face %.4f %.1f %.1f %.1f %.1f", det->score, det->box[0], det->box[1], det->box[2],
           det->box[3]);
    for (int k = 0; k < det->num_points; ++k)
      printf(" %.1f %.1f", det->points[k][0], det->points[k][1]);
    printf("\n");
    imageDrawBox(&img, det->box[0], det->box[1], det->box[2], det->box[3], thickness, kBoxColor);
    for (int k = 0; k < det->num_points; ++k)
      imageDrawPoint(&img, det->points[k][0], det->points[k][1], radius, kPointColor);
  }
  int status = argc == 3 ? imageSavePng(argv[2], &img) : 0;
  imageFree(&img);
  return status;
}
