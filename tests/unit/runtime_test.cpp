// Tests of the dnncc C runtime (src/runtime) on a hand-written model library (fake_model.c) linked
// with a real Halide runtime object: create/run/IO, index lookup, and every error path + message.
#include "dnncc_runtime.h"
#include "fake_model.h"

#include <HalideRuntime.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>

namespace {

const dnncc_model_info* const kInfo = &fake_model_info;

struct Instance {
  dnncc_model* m = nullptr;
  explicit Instance(const dnncc_model_info* info = kInfo) {
    EXPECT_EQ(dnncc_rt_create(info, &m), DNNCC_OK) << dnncc_rt_last_error(info, nullptr);
  }
  ~Instance() { dnncc_rt_destroy(kInfo, m); }
};

std::string lastError(dnncc_model* m) {
  return dnncc_rt_last_error(kInfo, m);
}

TEST(Runtime, RunsTheGraphThroughTheArena) {
  Instance inst;
  ASSERT_NE(inst.m, nullptr);
  const std::array<float, 6> x{-1.0f, 0.0f, 2.5f, -3.0f, 4.0f, 0.5f};
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK) << lastError(inst.m);
  std::array<float, 6> y{};
  ASSERT_EQ(dnncc_rt_get_output(kInfo, inst.m, 0, y.data(), sizeof y), DNNCC_OK);
  const std::array<float, 6> expected{1.0f, 1.0f, 3.5f, 1.0f, 5.0f, 1.5f};
  EXPECT_EQ(y, expected);
  EXPECT_EQ(std::memcmp(dnncc_rt_output_data(kInfo, inst.m, 0), y.data(), sizeof y), 0);
  EXPECT_EQ(lastError(inst.m), "");
}

TEST(Runtime, CpuLibrariesRunOnTheCpuWithoutCopies) {
  Instance inst;
  const std::array<float, 6> x{};
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK) << lastError(inst.m);
  EXPECT_STREQ(dnncc_rt_device(kInfo, inst.m), "cpu");
  int64_t toDevice = -1, toHost = -1;
  ASSERT_EQ(dnncc_rt_copy_counts(kInfo, inst.m, &toDevice, &toHost), DNNCC_OK);
  EXPECT_EQ(toDevice, 0);
  EXPECT_EQ(toHost, 0);
  EXPECT_EQ(dnncc_rt_device(kInfo, nullptr), nullptr);
  EXPECT_EQ(dnncc_rt_copy_counts(kInfo, nullptr, nullptr, nullptr), DNNCC_ERR_INVALID_ARGUMENT);
}

TEST(Runtime, DataDependentOutputsArePackedToTheRunsShape) {
  const dnncc_model_info* info = &fake_nonzero_info;
  dnncc_model* m = nullptr;
  ASSERT_EQ(dnncc_rt_create(info, &m), DNNCC_OK) << dnncc_rt_last_error(info, nullptr);
  std::array<int64_t, 2> shape{};
  ASSERT_EQ(dnncc_rt_output_shape(info, m, 0, shape.data()), DNNCC_OK);
  EXPECT_EQ(shape, (std::array<int64_t, 2>{2, 6})); // before a run: the static upper bound
  for (int run = 0; run < 2; ++run) { // the second run must not read the first one's packing
    const std::array<float, 6> x = run == 0 ? std::array<float, 6>{0, 5, 0, 7, 0, 9}
                                            : std::array<float, 6>{1, 0, 0, 0, 0, 2};
    ASSERT_EQ(dnncc_rt_set_input(info, m, 0, x.data(), sizeof x), DNNCC_OK);
    ASSERT_EQ(dnncc_rt_run(info, m), DNNCC_OK) << dnncc_rt_last_error(info, m);
    ASSERT_EQ(dnncc_rt_output_shape(info, m, 0, shape.data()), DNNCC_OK);
    EXPECT_EQ(shape, (std::array<int64_t, 2>{2, run == 0 ? 3 : 2}));
    std::array<int64_t, 6> packed{};
    size_t bytes = sizeof(int64_t) * 2 * shape[1];
    ASSERT_EQ(dnncc_rt_get_output(info, m, 0, packed.data(), bytes), DNNCC_OK);
    std::array<int64_t, 6> expected = run == 0 ? std::array<int64_t, 6>{0, 1, 1, 1, 0, 2}
                                               : std::array<int64_t, 6>{0, 1, 0, 2, 0, 0};
    EXPECT_EQ(packed, expected) << "run " << run;
    std::array<int64_t, 12> whole{}; // the upper-bound size is accepted too, packed first
    ASSERT_EQ(dnncc_rt_get_output(info, m, 0, whole.data(), sizeof whole), DNNCC_OK);
    EXPECT_EQ(std::memcmp(whole.data(), packed.data(), bytes), 0);
  }
  std::array<int64_t, 5> odd{};
  EXPECT_EQ(dnncc_rt_get_output(info, m, 0, odd.data(), sizeof odd), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(dnncc_rt_last_error(info, m)),
            "get_output: output 0 ('idx') takes 32 bytes, got 40");
  EXPECT_EQ(dnncc_rt_output_shape(info, m, 1, shape.data()), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dnncc_rt_output_shape(info, m, 0, nullptr), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(dnncc_rt_output_shape(info, nullptr, 0, shape.data()), DNNCC_ERR_INVALID_ARGUMENT);
  dnncc_rt_destroy(info, m);
}

TEST(Runtime, InputDataIsTheInstancesOwnAlignedBuffer) {
  Instance inst;
  auto* x = static_cast<float*>(dnncc_rt_input_data(kInfo, inst.m, 0));
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(x) % 64, 0u);
  for (int i = 0; i < 6; ++i)
    x[i] = float(i);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK);
  const auto* y = static_cast<const float*>(dnncc_rt_output_data(kInfo, inst.m, 0));
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(y) % 64, 0u);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], float(i) + 1.0f);
}

TEST(Runtime, InstancesAreIndependent) {
  Instance a, b;
  const std::array<float, 6> xa{1, 1, 1, 1, 1, 1}, xb{2, 2, 2, 2, 2, 2};
  ASSERT_EQ(dnncc_rt_set_input(kInfo, a.m, 0, xa.data(), sizeof xa), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_set_input(kInfo, b.m, 0, xb.data(), sizeof xb), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, a.m), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, b.m), DNNCC_OK);
  EXPECT_EQ(static_cast<const float*>(dnncc_rt_output_data(kInfo, a.m, 0))[0], 2.0f);
  EXPECT_EQ(static_cast<const float*>(dnncc_rt_output_data(kInfo, b.m, 0))[0], 3.0f);
}

TEST(Runtime, DescribesInputsAndOutputs) {
  EXPECT_EQ(dnncc_rt_num_inputs(kInfo), 1);
  EXPECT_EQ(dnncc_rt_num_outputs(kInfo), 1);
  EXPECT_EQ(dnncc_rt_arena_size(kInfo), 128);
  const dnncc_tensor_info* in = dnncc_rt_input_info(kInfo, 0);
  ASSERT_NE(in, nullptr);
  EXPECT_STREQ(in->name, "x");
  EXPECT_EQ(in->dtype, DNNCC_FLOAT32);
  EXPECT_EQ(in->rank, 2);
  EXPECT_EQ(in->shape[0], 2);
  EXPECT_EQ(in->shape[1], 3);
  EXPECT_EQ(in->size_bytes, 24);
  ASSERT_NE(dnncc_rt_output_info(kInfo, 0), nullptr);
  EXPECT_STREQ(dnncc_rt_output_info(kInfo, 0)->name, "y");
  EXPECT_EQ(dnncc_rt_input_info(kInfo, 1), nullptr);
  EXPECT_EQ(dnncc_rt_input_info(kInfo, -1), nullptr);
  EXPECT_EQ(dnncc_rt_output_info(kInfo, 1), nullptr);
}

TEST(Runtime, LooksUpIndicesByName) {
  EXPECT_EQ(dnncc_rt_input_index(kInfo, "x"), 0);
  EXPECT_EQ(dnncc_rt_output_index(kInfo, "y"), 0);
  EXPECT_EQ(dnncc_rt_input_index(kInfo, "y"), -1);
  EXPECT_EQ(dnncc_rt_output_index(kInfo, "x"), -1);
  EXPECT_EQ(dnncc_rt_input_index(kInfo, ""), -1);
  EXPECT_EQ(dnncc_rt_input_index(kInfo, nullptr), -1);
}

TEST(Runtime, KernelErrorsCarryTheHalideMessage) {
  Instance inst;
  std::array<float, 6> x{0, 0, FAKE_MODEL_FAIL, 0, 0, 0};
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  // The fake kernel fails through the Halide runtime, which calls halide_error: the runtime's
  // strong definition must have replaced the Halide runtime's weak one (which would print to
  // stderr).
  EXPECT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_ERR_KERNEL);
  EXPECT_EQ(lastError(inst.m), "run: kernel failed with Halide error " +
                                   std::to_string(halide_error_code_buffer_argument_is_null) +
                                   ": Buffer argument fake_relu_input is nullptr");
  // The instance stays usable, and the message stays until the next failure.
  x[2] = 1.0f;
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  EXPECT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK);
  EXPECT_NE(lastError(inst.m), "");
}

TEST(Runtime, RejectsOutOfRangeIndices) {
  Instance inst;
  float buf[6] = {};
  EXPECT_EQ(dnncc_rt_set_input(kInfo, inst.m, 2, buf, sizeof buf), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "set_input: input 2 out of range (model has 1 input)");
  EXPECT_EQ(dnncc_rt_get_output(kInfo, inst.m, -1, buf, sizeof buf), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "get_output: output -1 out of range (model has 1 output)");
  EXPECT_EQ(dnncc_rt_input_data(kInfo, inst.m, 1), nullptr);
  EXPECT_EQ(lastError(inst.m), "input_data: input 1 out of range (model has 1 input)");
  EXPECT_EQ(dnncc_rt_output_data(kInfo, inst.m, 5), nullptr);
  EXPECT_EQ(lastError(inst.m), "output_data: output 5 out of range (model has 1 output)");
}

TEST(Runtime, RejectsWrongByteCountsAndNullData) {
  Instance inst;
  float buf[6] = {};
  EXPECT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, buf, 20), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "set_input: input 0 ('x') takes 24 bytes, got 20");
  EXPECT_EQ(dnncc_rt_get_output(kInfo, inst.m, 0, buf, 28), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "get_output: output 0 ('y') takes 24 bytes, got 28");
  EXPECT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, nullptr, 24), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "set_input: data pointer of input 0 ('x') is null");
  EXPECT_EQ(dnncc_rt_get_output(kInfo, inst.m, 0, nullptr, 24), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "get_output: data pointer of output 0 ('y') is null");
}

TEST(Runtime, NullModelErrorsGoToTheThreadsCreateError) {
  float buf[6] = {};
  EXPECT_EQ(dnncc_rt_run(kInfo, nullptr), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(nullptr), "run: model is null");
  EXPECT_EQ(dnncc_rt_set_input(kInfo, nullptr, 0, buf, sizeof buf), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(nullptr), "set_input: model is null");
  EXPECT_EQ(dnncc_rt_input_data(kInfo, nullptr, 0), nullptr);
  EXPECT_EQ(dnncc_rt_create(kInfo, nullptr), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(nullptr), "create: output pointer is null");
  dnncc_rt_destroy(kInfo, nullptr); // ignored
}

TEST(Runtime, RejectsAnInstanceOfAnotherLibrary) {
  dnncc_model_info other = fake_model_info;
  other.name = "other";
  Instance inst;
  EXPECT_EQ(dnncc_rt_run(&other, inst.m), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m),
            "run: model instance was created by another model library ('fake', not 'other')");
}

TEST(Runtime, RejectsAnAbiMismatch) {
  dnncc_model_info info = fake_model_info;
  info.abi_version = DNNCC_ABI_VERSION + 1;
  dnncc_model* m = reinterpret_cast<dnncc_model*>(&info); // must be overwritten with null
  EXPECT_EQ(dnncc_rt_create(&info, &m), DNNCC_ERR_ABI);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(std::string(dnncc_rt_last_error(&info, nullptr)),
            "create: model library 'fake' has ABI version " +
                std::to_string(DNNCC_ABI_VERSION + 1) + ", the runtime expects " +
                std::to_string(DNNCC_ABI_VERSION));
  // A successful create clears the create error.
  Instance inst;
  EXPECT_EQ(lastError(nullptr), "");
}

TEST(Runtime, RejectsMalformedBufferTables) {
  std::array<dnncc_buffer_info, 5> buffers;
  std::memcpy(buffers.data(), fake_model_info.buffers, sizeof buffers);
  buffers[1].offset = 112; // 24 bytes at 112 overrun the 128-byte arena
  dnncc_model_info info = fake_model_info;
  info.buffers = buffers.data();
  dnncc_model* m = nullptr;
  EXPECT_EQ(dnncc_rt_create(&info, &m), DNNCC_ERR_ABI);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(lastError(nullptr), "create: malformed model info: buffer 1 (arena, offset 112) spans "
                                "bytes [112, 136) outside the 128 bytes of its storage");
  buffers[1].offset = 64;
  buffers[4].index = 1;
  EXPECT_EQ(dnncc_rt_create(&info, &m), DNNCC_ERR_ABI);
  EXPECT_EQ(lastError(nullptr),
            "create: malformed model info: buffer 4 refers to output 1 (model has 1)");
}

TEST(Runtime, ReportsOutOfMemory) {
  dnncc_model_info info = fake_model_info;
  info.arena_size = INT64_MAX / 2;
  dnncc_model* m = nullptr;
  EXPECT_EQ(dnncc_rt_create(&info, &m), DNNCC_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(lastError(nullptr).find("create: cannot allocate"), std::string::npos);
}

/// A parallel loop's tasks as the kernels' halide_do_par_for calls run them: each records the
/// thread that ran it and counts its runs; task `failAt` fails with -7; with `nested`, each task
/// runs a parallel loop of its own (which must run on its caller's thread).
struct ParForProbe {
  std::array<std::atomic<int>, 64> runs{};
  std::array<std::thread::id, 64> thread{};
  int failAt = -1;
  bool nested = false;
  bool slow = false; // each task takes 20 us
  static int task(void* user, int index, uint8_t* closure) {
    auto* p = reinterpret_cast<ParForProbe*>(closure);
    p->runs[index]++;
    p->thread[index] = std::this_thread::get_id();
    if (p->slow)
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    if (p->nested) {
      ParForProbe inner;
      if (halide_do_par_for(user, &ParForProbe::task, 0, 4, reinterpret_cast<uint8_t*>(&inner)) ||
          inner.thread[3] != std::this_thread::get_id())
        return -9;
    }
    return index == p->failAt ? -7 : 0;
  }
  int run(int size) {
    return halide_do_par_for(nullptr, &ParForProbe::task, 0, size,
                             reinterpret_cast<uint8_t*>(this));
  }
};

TEST(Runtime, RunsParallelLoopsOnItsThreadPool) {
  Instance inst; // create installs the library's pool as Halide's do_par_for
  halide_do_par_for_t installed = halide_set_custom_do_par_for(halide_default_do_par_for);
  halide_set_custom_do_par_for(installed);
  EXPECT_NE(installed, &halide_default_do_par_for);
  ASSERT_EQ(dnncc_rt_set_num_threads(kInfo, inst.m, 3), DNNCC_OK);
  std::set<std::thread::id> threads;
  for (int round = 0; round < 50; ++round) { // the workers spin, sleep and wake between rounds
    ParForProbe p;
    p.slow = round % 2 == 0;
    ASSERT_EQ(p.run(64), 0);
    for (int i = 0; i < 64; ++i) {
      ASSERT_EQ(p.runs[i].load(), 1) << "task " << i << " in round " << round;
      threads.insert(p.thread[i]);
    }
    if (round % 10 == 9)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GE(threads.size(), 2u); // 32 rounds of 64 tasks of 20 us: the workers take some
  ParForProbe failing;
  failing.failAt = 37;
  EXPECT_EQ(failing.run(64), -7);
  ParForProbe nested;
  nested.nested = true;
  EXPECT_EQ(nested.run(16), 0);
  // One thread: every task on the caller's.
  ASSERT_EQ(dnncc_rt_set_num_threads(kInfo, nullptr, 1), DNNCC_OK);
  ParForProbe serial;
  ASSERT_EQ(serial.run(8), 0);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(serial.thread[i], std::this_thread::get_id());
  EXPECT_EQ(dnncc_rt_set_num_threads(kInfo, inst.m, -2), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m),
            "set_num_threads: -2 threads requested (0 = one per core, or a positive count)");
  ASSERT_EQ(dnncc_rt_set_num_threads(kInfo, nullptr, 0), DNNCC_OK);
}

TEST(Runtime, DescribesEveryKernelCall) {
  ASSERT_EQ(dnncc_rt_num_kernels(kInfo), 2);
  const dnncc_kernel_info* k = dnncc_rt_kernel_info(kInfo, 1);
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->name, "fake_add");
  EXPECT_STREQ(k->nodes, "add_node");
  EXPECT_EQ(k->flops, 6);
  EXPECT_EQ(dnncc_rt_kernel_info(kInfo, 2), nullptr);
  EXPECT_EQ(dnncc_rt_kernel_info(kInfo, -1), nullptr);
}

TEST(Runtime, ProfilesEachKernelOnlyWhenAsked) {
  Instance inst;
  const std::array<float, 6> x{1, 2, 3, 4, 5, 6};
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  std::array<int64_t, 2> start{-1, -1}, ns{-1, -1};
  // Off by default: a run records nothing.
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_kernel_times(kInfo, inst.m, start.data(), ns.data()), DNNCC_OK);
  EXPECT_EQ(start, (std::array<int64_t, 2>{0, 0}));
  EXPECT_EQ(ns, (std::array<int64_t, 2>{0, 0}));
  ASSERT_EQ(dnncc_rt_set_profiling(kInfo, inst.m, 1), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK) << lastError(inst.m);
  ASSERT_EQ(dnncc_rt_kernel_times(kInfo, inst.m, start.data(), ns.data()), DNNCC_OK);
  EXPECT_EQ(start[0], 0);
  EXPECT_GE(ns[0], 0);
  EXPECT_GE(ns[1], 0);
  EXPECT_GT(ns[0] + ns[1], 0);
  EXPECT_GE(start[1], start[0] + ns[0]); // kernels run one after the other
  // The profile does not change the results.
  std::array<float, 6> y{};
  ASSERT_EQ(dnncc_rt_get_output(kInfo, inst.m, 0, y.data(), sizeof y), DNNCC_OK);
  EXPECT_EQ(y, (std::array<float, 6>{2, 3, 4, 5, 6, 7}));
  // Turning it off clears the times.
  ASSERT_EQ(dnncc_rt_set_profiling(kInfo, inst.m, 0), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_kernel_times(kInfo, inst.m, start.data(), ns.data()), DNNCC_OK);
  EXPECT_EQ(ns, (std::array<int64_t, 2>{0, 0}));
}

TEST(Runtime, AFailedProfiledRunLeavesTheLaterKernelsAtZero) {
  Instance inst;
  std::array<float, 6> x{1, 2, 3, 4, 5, 6};
  ASSERT_EQ(dnncc_rt_set_profiling(kInfo, inst.m, 1), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  ASSERT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_OK);
  x[0] = FAKE_MODEL_FAIL; // the first kernel fails
  ASSERT_EQ(dnncc_rt_set_input(kInfo, inst.m, 0, x.data(), sizeof x), DNNCC_OK);
  EXPECT_EQ(dnncc_rt_run(kInfo, inst.m), DNNCC_ERR_KERNEL);
  std::array<int64_t, 2> start{-1, -1}, ns{-1, -1};
  ASSERT_EQ(dnncc_rt_kernel_times(kInfo, inst.m, start.data(), ns.data()), DNNCC_OK);
  EXPECT_EQ(ns, (std::array<int64_t, 2>{0, 0}));
}

TEST(Runtime, KernelTimesRejectsNullArrays) {
  Instance inst;
  int64_t start[2];
  EXPECT_EQ(dnncc_rt_kernel_times(kInfo, inst.m, start, nullptr), DNNCC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(inst.m), "kernel_times: duration pointer is null");
  EXPECT_EQ(dnncc_rt_set_profiling(kInfo, nullptr, 1), DNNCC_ERR_INVALID_ARGUMENT);
}

} // namespace
