/* A model library's generated tables written by hand, for runtime tests: input "x" f32[2,3],
 * output "y" = relu(x) + w, where w is a rank-0 f32 weight (1.0), computed by two "kernels" through
 * one intermediate tensor in the arena. run_graph walks the halide_buffer_t array like the code
 * dnncc emits. An input element equal to FAKE_MODEL_FAIL makes the first kernel fail through the
 * Halide runtime's own error path (halide_error_buffer_argument_is_null -> halide_error). */
#include "fake_model.h"

#include <HalideRuntime.h>

/* 64-byte aligned like the weights blob dnncc emits. */
static const float kWeights[16] __attribute__((aligned(64))) = {1.0f};

static const dnncc_tensor_info kInputs[1] = {
    {.name = "x", .dtype = DNNCC_FLOAT32, .rank = 2, .shape = {2, 3}, .size_bytes = 24}};
static const dnncc_tensor_info kOutputs[1] = {
    {.name = "y", .dtype = DNNCC_FLOAT32, .rank = 2, .shape = {2, 3}, .size_bytes = 24}};

/* Halide order: innermost dimension first; strides in elements. */
#define F32_2x3 .type_code = 2, .type_bits = 32, .rank = 2, .extent = {3, 2}, .stride = {1, 3}
static const dnncc_buffer_info kBuffers[5] = {
    /* kernel 0: relu(x) -> t */
    {.storage = DNNCC_STORAGE_INPUT, .index = 0, .offset = 0, F32_2x3},
    {.storage = DNNCC_STORAGE_ARENA, .index = 0, .offset = 64, F32_2x3},
    /* kernel 1: t + w -> y */
    {.storage = DNNCC_STORAGE_ARENA, .index = 0, .offset = 64, F32_2x3},
    {.storage = DNNCC_STORAGE_WEIGHTS, .index = 0, .offset = 0, .type_code = 2, .type_bits = 32,
     .rank = 0},
    {.storage = DNNCC_STORAGE_OUTPUT, .index = 0, .offset = 0, F32_2x3},
};

static float *at(halide_buffer_t *b, int x, int y) {
  return (float *)b->host + x * b->dim[0].stride + y * b->dim[1].stride;
}

static int reluKernel(halide_buffer_t *in, halide_buffer_t *out) {
  for (int y = 0; y < in->dim[1].extent; ++y)
    for (int x = 0; x < in->dim[0].extent; ++x) {
      float v = *at(in, x, y);
      if (v == FAKE_MODEL_FAIL)
        return halide_error_buffer_argument_is_null(NULL, "fake_relu_input");
      *at(out, x, y) = v > 0.0f ? v : 0.0f;
    }
  return 0;
}

static int addScalarKernel(halide_buffer_t *in, halide_buffer_t *scalar, halide_buffer_t *out) {
  if (scalar->dimensions != 0)
    return -1;
  float w = *(const float *)scalar->host;
  for (int y = 0; y < in->dim[1].extent; ++y)
    for (int x = 0; x < in->dim[0].extent; ++x)
      *at(out, x, y) = *at(in, x, y) + w;
  return 0;
}

static const dnncc_kernel_info kKernels[2] = {
    {.name = "fake_relu", .ops = "relu", .nodes = "relu_node", .flops = 6, .bytes = 48},
    {.name = "fake_add", .ops = "add", .nodes = "add_node", .flops = 6, .bytes = 52},
};

static int runGraph(halide_buffer_t *buffers, dnncc_kernel_hook hook, void *context) {
  int result = reluKernel(&buffers[0], &buffers[1]);
  if (result != 0)
    return result;
  if (hook)
    hook(context, 0);
  result = addScalarKernel(&buffers[2], &buffers[3], &buffers[4]);
  if (result == 0 && hook)
    hook(context, 1);
  return result;
}

const dnncc_model_info fake_model_info = {
    .abi_version = DNNCC_ABI_VERSION,
    .name = "fake",
    .num_inputs = 1,
    .num_outputs = 1,
    .inputs = kInputs,
    .outputs = kOutputs,
    .arena_size = 128,
    .num_buffers = 5,
    .buffers = kBuffers,
    .weights = (const uint8_t*)kWeights,
    .weights_size = sizeof kWeights,
    .run_graph = runGraph,
    .num_kernels = 2,
    .kernels = kKernels,
};

/* fake_nonzero_info: input "x" f32[2,3] -> output "idx" int64[2, n], the coordinates of x's
 * non-zero elements (n <= 6, the static upper bound), with n written to an int64 scalar in the
 * arena: a data-dependent output the runtime packs (dnncc_output_extent). */
static const dnncc_tensor_info kNonZeroOutputs[1] = {
    {.name = "idx", .dtype = DNNCC_INT64, .rank = 2, .shape = {2, 6}, .size_bytes = 96}};
static const dnncc_buffer_info kNonZeroBuffers[3] = {
    {.storage = DNNCC_STORAGE_INPUT, .index = 0, .offset = 0, F32_2x3},
    {.storage = DNNCC_STORAGE_OUTPUT, .index = 0, .offset = 0, .type_code = 0, .type_bits = 64,
     .rank = 2, .extent = {6, 2}, .stride = {1, 6}},
    {.storage = DNNCC_STORAGE_ARENA, .index = 0, .offset = 0, .type_code = 0, .type_bits = 64,
     .rank = 0},
};
static const dnncc_output_extent kNonZeroExtents[1] = {{.axis = 1, .buffer = 2}};

static int nonZeroGraph(halide_buffer_t *buffers, dnncc_kernel_hook hook, void *context) {
  (void)hook, (void)context; /* one kernel without a profile row: num_kernels is 0 */
  int64_t *idx = (int64_t *)buffers[1].host, n = 0;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      if (*at(&buffers[0], x, y) != 0.0f) {
        idx[n] = y;     /* row 0 of idx: coordinate 0, with the upper-bound stride 6 */
        idx[6 + n] = x; /* row 1: coordinate 1 */
        ++n;
      }
  *(int64_t *)buffers[2].host = n;
  return 0;
}

const dnncc_model_info fake_nonzero_info = {
    .abi_version = DNNCC_ABI_VERSION,
    .name = "fake_nonzero",
    .num_inputs = 1,
    .num_outputs = 1,
    .inputs = kInputs,
    .outputs = kNonZeroOutputs,
    .arena_size = 64,
    .num_buffers = 3,
    .buffers = kNonZeroBuffers,
    .weights = (const uint8_t *)kWeights,
    .weights_size = sizeof kWeights,
    .run_graph = nonZeroGraph,
    .output_extents = kNonZeroExtents,
};
