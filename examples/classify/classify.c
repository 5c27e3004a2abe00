/* classify: the smallest complete application of a dnncc model library. Runs the tinynet image
 * classifier on a raw little-endian float32 input file (argv[1]; a deterministic pattern when
 * omitted) and prints the top-1 class and the class probabilities. Needs only libtinynet.h/.so:
 *   cc -std=c11 classify.c -I<dir> -L<dir> -ltinynet -Wl,-rpath,<dir> */
#include "libtinynet.h"

#include <stdio.h>

#if TINYNET_NUM_INPUTS != 1 || TINYNET_INPUT_0_DTYPE != 1 /* DNNCC_FLOAT32 */
#error "classify expects one float32 input"
#endif
#if TINYNET_OUTPUT_0_DTYPE != 1
#error "classify expects a float32 output"
#endif

#define NUM_INPUTS TINYNET_INPUT_0_NUM_ELEMENTS
#define NUM_CLASSES TINYNET_OUTPUT_0_NUM_ELEMENTS

static float input[NUM_INPUTS];
static float scores[NUM_CLASSES];

/* Reads exactly the input's size from `path`; returns 0 on success. */
static int readInput(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  size_t got = fread(input, 1, sizeof input, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != sizeof input || extra) {
    fprintf(stderr, "%s: expected exactly %d bytes of float32 data (input '%s')\n", path,
            (int)sizeof input, TINYNET_INPUT_0_NAME);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: %s [input.f32]\n", argv[0]);
    return 2;
  }
  if (argc == 2) {
    if (readInput(argv[1]) != 0)
      return 1;
  } else {
    for (int i = 0; i < NUM_INPUTS; ++i) /* deterministic pattern in [-1, 1) */
      input[i] = (float)((i * 37) % 200) / 100.0f - 1.0f;
  }

  dnncc_model *model = NULL;
  if (tinynet_create(&model) != DNNCC_OK) {
    fprintf(stderr, "create failed: %s\n", tinynet_last_error(NULL));
    return 1;
  }
  int status = tinynet_set_input(model, 0, input, sizeof input);
  if (status == DNNCC_OK)
    status = tinynet_run(model);
  if (status == DNNCC_OK)
    status = tinynet_get_output(model, 0, scores, sizeof scores);
  if (status != DNNCC_OK) {
    fprintf(stderr, "error %d: %s\n", status, tinynet_last_error(model));
    tinynet_destroy(model);
    return 1;
  }
  tinynet_destroy(model);

  /* tinynet ends in a softmax: the output is the class probabilities. */
  int top = 0;
  for (int i = 0; i < NUM_CLASSES; ++i)
    if (scores[i] > scores[top])
      top = i;
  printf("top-1: class %d (p=%.4f)\n", top, scores[top]);
  printf("probabilities:");
  for (int i = 0; i < NUM_CLASSES; ++i)
    printf(" %.4f", scores[i]);
  printf("\n");
  return 0;
}
