/* A hand-written model library's tables (fake_model.c) for runtime and dnncc-run tests. */
#ifndef DNNCC_TESTS_FAKE_MODEL_H
#define DNNCC_TESTS_FAKE_MODEL_H

#include "dnncc_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An input element with this value makes run fail with a Halide error. */
#define FAKE_MODEL_FAIL (-999.0f)

/** Input "x" f32[2,3] -> output "y" = relu(x) + 1 (f32[2,3]); arena 128 bytes, weights 64 bytes. */
extern const dnncc_model_info fake_model_info;
/** Input "x" f32[2,3] -> output "idx" int64[2, n]: NonZero(x), a data-dependent output whose
 * static shape is [2, 6]. */
extern const dnncc_model_info fake_nonzero_info;

#ifdef __cplusplus
}
#endif
#endif
