/* two_models: two dnncc model libraries in one process. tinynet compiled twice, with the prefixes
 * net_a and net_b; both generated headers are included together, both libraries are linked, and
 * both models run (with instances alive at the same time) on the same input: the outputs must be
 * identical. Exit 0 on success, 1 with a message otherwise. */
#include "libnet_a.h"
#include "libnet_b.h"

#include <stdio.h>
#include <string.h>

#if NET_A_INPUT_0_SIZE_BYTES != NET_B_INPUT_0_SIZE_BYTES || \
    NET_A_OUTPUT_0_SIZE_BYTES != NET_B_OUTPUT_0_SIZE_BYTES
#error "net_a and net_b should be the same model"
#endif

static float input[NET_A_INPUT_0_NUM_ELEMENTS];
static float out_a[NET_A_OUTPUT_0_NUM_ELEMENTS], out_b[NET_B_OUTPUT_0_NUM_ELEMENTS];

int main(void) {
  for (int i = 0; i < NET_A_INPUT_0_NUM_ELEMENTS; ++i)
    input[i] = (float)((i * 37) % 200) / 100.0f - 1.0f;
  dnncc_model *a = NULL, *b = NULL;
  if (net_a_create(&a) != DNNCC_OK || net_b_create(&b) != DNNCC_OK) {
    fprintf(stderr, "create failed: %s / %s\n", net_a_last_error(NULL), net_b_last_error(NULL));
    return 1;
  }
  if (net_a_set_input(a, 0, input, sizeof input) != DNNCC_OK ||
      net_b_set_input(b, 0, input, sizeof input) != DNNCC_OK || net_a_run(a) != DNNCC_OK ||
      net_b_run(b) != DNNCC_OK || net_a_get_output(a, 0, out_a, sizeof out_a) != DNNCC_OK ||
      net_b_get_output(b, 0, out_b, sizeof out_b) != DNNCC_OK) {
    fprintf(stderr, "run failed: %s / %s\n", net_a_last_error(a), net_b_last_error(b));
    return 1;
  }
  net_a_destroy(a);
  net_b_destroy(b);
  if (memcmp(out_a, out_b, sizeof out_a) != 0) {
    fprintf(stderr, "net_a and net_b outputs differ\n");
    for (int i = 0; i < NET_A_OUTPUT_0_NUM_ELEMENTS; ++i)
      fprintf(stderr, "  [%d] %g %g\n", i, out_a[i], out_b[i]);
    return 1;
  }
  printf("net_a and net_b: identical outputs (%d values, first %g)\n",
         NET_A_OUTPUT_0_NUM_ELEMENTS, out_a[0]);
  return 0;
}
