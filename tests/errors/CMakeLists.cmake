# One CTest test per user-facing error of dnncc and dnncc-run (include()d from
# tests/CMakeLists.txt). Each runs expect_error.py, which checks the exit code, no signal, exactly
# one 'error: ' line on stderr naming the file / node / op, and no output or temporary file left
# in the test's own output directory. The broken inputs come from make_bad_models.py, run once by
# the fixture test errors.setup; errors.setup_library compiles tinynet for the dnncc-run cases.
# Names: errors.dnncc.<case>, errors.dnncc_run.<case>; label 'errors'.
get_filename_component(DNNCC_ERRORS_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DNNCC_ERRORS_SRC ${CMAKE_CURRENT_LIST_DIR})
set(DNNCC_ERRORS_BIN ${CMAKE_CURRENT_BINARY_DIR}/errors)
set(BAD ${DNNCC_ERRORS_BIN}/bad) # the generated broken inputs
set(LIBDIR ${BAD}) # libtinynet.so for the dnncc-run cases
set(TINYNET ${DNNCC_ERRORS_REPO}/models/tinynet)

add_test(NAME errors.setup
         COMMAND ${DNNCC_TEST_PYTHON} ${DNNCC_ERRORS_SRC}/make_bad_models.py ${BAD}
                 --tinynet ${TINYNET})
set_tests_properties(errors.setup PROPERTIES FIXTURES_SETUP dnncc_errors_models LABELS errors)
add_test(NAME errors.setup_library
         COMMAND ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
                 $<TARGET_FILE:dnncc> ${TINYNET}/model.onnx --target=x86-64
                 -o ${LIBDIR}/libtinynet.so)
set_tests_properties(errors.setup_library PROPERTIES FIXTURES_SETUP dnncc_errors_library
                     FIXTURES_REQUIRED dnncc_errors_models LABELS errors)

# dnncc_error_test(NAME [EXIT n] [LINES n] [LIBRARY] [CONTAINS text...] [STDOUT text...]
#                  COMMAND tool args...)
# OUT in the command is the test's own output directory, emptied before the run and required to
# be empty after it. LIBRARY makes the test wait for libtinynet.so.
function(dnncc_error_test name)
  cmake_parse_arguments(E "LIBRARY" "EXIT;LINES" "CONTAINS;STDOUT;COMMAND" ${ARGN})
  if(NOT DEFINED E_EXIT)
    set(E_EXIT 1)
  endif()
  if(NOT DEFINED E_LINES)
    set(E_LINES 1)
  endif()
  set(out ${DNNCC_ERRORS_BIN}/out/${name})
  list(TRANSFORM E_COMMAND REPLACE "^OUT" "${out}")
  set(checks)
  foreach(text IN LISTS E_CONTAINS)
    list(APPEND checks "--contains=${text}")
  endforeach()
  foreach(text IN LISTS E_STDOUT)
    list(APPEND checks "--stdout-contains=${text}")
  endforeach()
  string(REPLACE "." "_" dirname ${name})
  add_test(NAME errors.${name}
           COMMAND ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
                   ${DNNCC_TEST_PYTHON} ${DNNCC_ERRORS_SRC}/expect_error.py --exit ${E_EXIT}
                   --lines ${E_LINES} ${checks} --empty-dir ${out} -- ${E_COMMAND})
  set(fixtures dnncc_errors_models)
  if(E_LIBRARY)
    list(APPEND fixtures dnncc_errors_library)
  endif()
  set_tests_properties(errors.${name} PROPERTIES FIXTURES_REQUIRED "${fixtures}" LABELS errors
                       TIMEOUT 120)
endfunction()

set(DNNCC $<TARGET_FILE:dnncc>)
set(RUN $<TARGET_FILE:dnncc-run>)
set(X86 --target=x86-64)

# ---- dnncc: the model file ----
dnncc_error_test(dnncc.missing_model_file
  CONTAINS "error: ${BAD}/no_such_model.onnx: " "no such model file"
  COMMAND ${DNNCC} ${BAD}/no_such_model.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.empty_file
  CONTAINS "error: ${BAD}/empty.onnx: " "empty"
  COMMAND ${DNNCC} ${BAD}/empty.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.truncated_model
  CONTAINS "error: ${BAD}/truncated.onnx: " "not an ONNX model"
  COMMAND ${DNNCC} ${BAD}/truncated.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.png_file
  CONTAINS "error: ${BAD}/png.onnx: " "not an ONNX model"
  COMMAND ${DNNCC} ${BAD}/png.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.text_file
  CONTAINS "error: ${BAD}/text.onnx: " "not an ONNX model"
  COMMAND ${DNNCC} ${BAD}/text.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.huge_input
  CONTAINS "error: ${BAD}/huge_input.onnx: "
           "input 'x': shape [2000000000,2000000000,2000000000] is too large: over 17179869184 "
           "bytes (--max-tensor-bytes)"
  COMMAND ${DNNCC} ${BAD}/huge_input.onnx ${X86} -o OUT/libm.so)
# ---- dnncc: resource limits (docs/security.md) ----
dnncc_error_test(dnncc.max_tensor_bytes
  CONTAINS "error: ${BAD}/big_intermediate.onnx: node 'expand' (Expand, opset 17): the result "
           "is too large: shape [4096,4096] is too large: over 1000000 bytes (--max-tensor-bytes)"
  COMMAND ${DNNCC} ${BAD}/big_intermediate.onnx --max-tensor-bytes 1000000 ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.max_tensor_bytes_zero EXIT 2
  CONTAINS "--max-tensor-bytes"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --max-tensor-bytes 0 ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.max_model_bytes
  CONTAINS "error: ${TINYNET}/model.onnx: the file has " "more than --max-model-bytes=1000"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --max-model-bytes 1000 ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.max_graph_depth
  CONTAINS "error: ${BAD}/nested_if.onnx: "
           "subgraphs are nested deeper than --max-graph-depth=2"
  COMMAND ${DNNCC} ${BAD}/nested_if.onnx --max-graph-depth 2 ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.model_is_directory
  CONTAINS "error: ${BAD}/ext: " "the directory holds no graph.nnef, so it is not an NNEF model"
  COMMAND ${DNNCC} ${BAD}/ext ${X86} -o OUT/libm.so)

# ---- dnncc: ops and attributes ----
dnncc_error_test(dnncc.unsupported_op
  CONTAINS "error: ${BAD}/col2im.onnx: node 'c2i' (Col2Im, opset 17): " "unsupported op"
  COMMAND ${DNNCC} ${BAD}/col2im.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nonzero_of_a_scalar
  CONTAINS "error: ${BAD}/nonzero_scalar.onnx: node 'nz_scalar' (NonZero, opset 17): "
           "a scalar input is not supported"
  COMMAND ${DNNCC} ${BAD}/nonzero_scalar.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.compress_condition_longer_than_axis
  CONTAINS "error: ${BAD}/compress_long_condition.onnx: node 'compress_long' (Compress, opset 17): "
           "condition has 4 entries for an axis of 3"
  COMMAND ${DNNCC} ${BAD}/compress_long_condition.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nms_center_point_box
  CONTAINS "error: ${BAD}/nms_center_point_box.onnx: node 'nms_cpb' (NonMaxSuppression, opset 17): "
           "center_point_box must be 0 or 1, got 2"
  COMMAND ${DNNCC} ${BAD}/nms_center_point_box.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.data_dependent_shape_consumed
  CONTAINS "error: ${BAD}/nonzero_consumed.onnx: node 'tr' (Transpose, opset 17): "
           "input 0 ('nz_out') has a data-dependent shape (it is the output of NonZero node 'nz'); "
           "dnncc supports data-dependent shapes only as graph outputs"
  COMMAND ${DNNCC} ${BAD}/nonzero_consumed.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.unsupported_domain
  CONTAINS "error: ${BAD}/msdomain.onnx: node 'fused_gemm' (FusedGemm, opset 1): "
           "domain 'com.microsoft'"
  COMMAND ${DNNCC} ${BAD}/msdomain.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.conv_group_does_not_divide
  CONTAINS "error: ${BAD}/conv_group.onnx: node 'conv_g3' (Conv, opset 17): "
           "group=3 does not divide 64 input channels"
  COMMAND ${DNNCC} ${BAD}/conv_group.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.maxpool_without_kernel_shape
  CONTAINS "error: ${BAD}/maxpool_nokernel.onnx: node 'pool_nk' (MaxPool, opset 17): "
           "kernel_shape"
  COMMAND ${DNNCC} ${BAD}/maxpool_nokernel.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.pad_mode_unknown
  CONTAINS "error: ${BAD}/pad_symmetric.onnx: node 'pad_s' (Pad, opset 19): "
           "mode='symmetric' is not supported"
  COMMAND ${DNNCC} ${BAD}/pad_symmetric.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.runtime_shape_undeclared
  CONTAINS "error: ${BAD}/reshape_undeclared.onnx: node 'reshape_rt' (Reshape, opset 17): "
           "shape (input 1) must be a constant, or the node's output must have a declared static "
           "shape"
  COMMAND ${DNNCC} ${BAD}/reshape_undeclared.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.loop_runtime_trip_count
  CONTAINS "error: ${BAD}/loop_runtime_trip.onnx: node 'loop' (Loop, opset 17): "
           "Loop with a trip count known only at run time is not supported"
  COMMAND ${DNNCC} ${BAD}/loop_runtime_trip.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.loop_unroll_limit
  CONTAINS "error: ${BAD}/loop_too_long.onnx: node 'loop' (Loop, opset 17): "
           "more than the limit of 20000 unrolled nodes"
  COMMAND ${DNNCC} ${BAD}/loop_too_long.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.duplicate_initializer
  CONTAINS "error: ${BAD}/duplicate_initializer.onnx: initializer 'w' is defined twice"
  COMMAND ${DNNCC} ${BAD}/duplicate_initializer.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.contrib_missing_input
  CONTAINS "error: ${BAD}/contrib_missing_input.onnx: node 'sln' (SkipLayerNormalization, "
           "opset 1): input 2 is required"
  COMMAND ${DNNCC} ${BAD}/contrib_missing_input.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.if_output_count
  CONTAINS "error: ${BAD}/if_output_count.onnx: node 'if_n' (If, opset " "the then branch "
           "declares 1 outputs, the else branch 2, the node has 1"
  COMMAND ${DNNCC} ${BAD}/if_output_count.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.if_output_type
  CONTAINS "error: ${BAD}/if_output_type.onnx: node 'if_t' (If, opset "
           "output 0 is FLOAT in the then branch and INT64 in the else branch"
  COMMAND ${DNNCC} ${BAD}/if_output_type.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.contrib_missing_attribute
  CONTAINS "error: ${BAD}/contrib_missing_attribute.onnx: node 'att' (Attention, opset 1): the "
           "required attribute num_heads is missing"
  COMMAND ${DNNCC} ${BAD}/contrib_missing_attribute.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.opset_too_new
  CONTAINS "error: ${BAD}/opset99.onnx: " "opset 99"
  COMMAND ${DNNCC} ${BAD}/opset99.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.check_lists_every_unsupported_op LINES 3
  CONTAINS "multi_unsupported.onnx: node 'c2i_a' (Col2Im, opset 17): "
           "multi_unsupported.onnx: node 'fused_b' (FusedGemm, opset 1): "
           "multi_unsupported.onnx: node 'stft_c' (STFT, opset 17): "
  COMMAND ${DNNCC} ${BAD}/multi_unsupported.onnx ${X86} --check)

# ---- dnncc: external data must stay inside the model directory ----
dnncc_error_test(dnncc.external_data_dotdot
  CONTAINS "error: ${BAD}/ext/dotdot.onnx: " "'../outside.bin'"
  COMMAND ${DNNCC} ${BAD}/ext/dotdot.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.external_data_absolute
  CONTAINS "error: ${BAD}/ext/absolute.onnx: " "must be relative to the model directory"
  COMMAND ${DNNCC} ${BAD}/ext/absolute.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.external_data_symlink
  CONTAINS "error: ${BAD}/ext/symlink.onnx: " "'link.bin' leaves the model directory"
  COMMAND ${DNNCC} ${BAD}/ext/symlink.onnx ${X86} -o OUT/libm.so)

# ---- dnncc: shapes ----
dnncc_error_test(dnncc.symbolic_dim_without_input_shape
  CONTAINS "error: ${BAD}/symbolic.onnx: " "symbolic dimension 'N'" "--input-shape x="
  COMMAND ${DNNCC} ${BAD}/symbolic.onnx ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.input_shape_names_no_input
  CONTAINS "error: ${TINYNET}/model.onnx: " "--input-shape names 'img'" "(inputs: 'image')"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx ${X86} --input-shape img=1x3x32x32 -o OUT/libm.so)
dnncc_error_test(dnncc.input_shape_malformed
  CONTAINS "error: --input-shape 'x=1xAx2': 'A' is not a positive dimension"
  COMMAND ${DNNCC} ${BAD}/symbolic.onnx ${X86} --input-shape x=1xAx2 -o OUT/libm.so)
dnncc_error_test(dnncc.input_shape_wrong_rank
  CONTAINS "error: ${BAD}/symbolic.onnx: " "--input-shape gives input 'x' rank 2, the model declares rank 4"
  COMMAND ${DNNCC} ${BAD}/symbolic.onnx ${X86} --input-shape x=2x3 -o OUT/libm.so)
# ... and --input-shape fixes the symbolic dimension.
add_test(NAME errors.dnncc.symbolic_dim_with_input_shape
         COMMAND ${DNNCC} ${BAD}/symbolic.onnx ${X86} --input-shape x=2x3x2x2 --emit=ir
                 -o ${BAD}/symbolic_fixed.ir)
set_tests_properties(errors.dnncc.symbolic_dim_with_input_shape PROPERTIES
                     FIXTURES_REQUIRED dnncc_errors_models LABELS errors
                     FAIL_REGULAR_EXPRESSION "error")

# ---- dnncc: command line, targets, output ----
dnncc_error_test(dnncc.unknown_target
  CONTAINS "unknown target 'no-such-cpu'" "x86-64" "host"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=no-such-cpu -o OUT/libm.so)
dnncc_error_test(dnncc.unknown_halide_feature
  CONTAINS "--halide-features 'no_such_feature': not Halide target features"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=x86-64 --halide-features=no_such_feature
          -o OUT/libm.so)
dnncc_error_test(dnncc.gpu_api_unknown
  CONTAINS "target file '${BAD}/gpu_api_unknown.json': gpu api 'vulkan' is not opencl or cuda"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=${BAD}/gpu_api_unknown.json -o OUT/libm.so)
dnncc_error_test(dnncc.gpu_feature_missing
  CONTAINS "gpu api opencl needs the Halide target feature 'opencl' in halide_target"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=${BAD}/gpu_feature_missing.json -o OUT/libm.so)
dnncc_error_test(dnncc.gpu_simd_width
  CONTAINS "gpu simd_width 48 must be a power of two no larger than max_work_group 256"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=${BAD}/gpu_simd_width.json -o OUT/libm.so)
dnncc_error_test(dnncc.malformed_target_json
  CONTAINS "target file" "${BAD}/bad_target.json"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=${BAD}/bad_target.json -o OUT/libm.so)
dnncc_error_test(dnncc.bad_emit EXIT 2
  CONTAINS "error: command line: " "--emit"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx ${X86} --emit=exe -o OUT/libm.so)
dnncc_error_test(dnncc.unknown_option EXIT 2
  CONTAINS "error: command line: " "--frobnicate"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx ${X86} --frobnicate -o OUT/libm.so)
dnncc_error_test(dnncc.no_model_given EXIT 2
  CONTAINS "error: command line: no model file given"
  COMMAND ${DNNCC} ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.name_not_an_identifier
  CONTAINS "--name '1net' is not a C identifier"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx ${X86} --name 1net -o OUT/libm.so)
dnncc_error_test(dnncc.output_directory_missing
  CONTAINS "output directory '" "/no_such_dir' does not exist"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx ${X86} -o OUT/no_such_dir/libm.so)

# ---- dnncc-run ----
dnncc_error_test(dnncc_run.missing_library
  CONTAINS "error: ${LIBDIR}/libnope.so: no such file"
  COMMAND ${RUN} ${LIBDIR}/libnope.so --data ${TINYNET}/test_data_set_0)
dnncc_error_test(dnncc_run.not_a_library
  CONTAINS "error: ${BAD}/libnotalib.so: cannot load the library"
  COMMAND ${RUN} ${BAD}/libnotalib.so --data ${TINYNET}/test_data_set_0)
dnncc_error_test(dnncc_run.not_a_dnncc_library LIBRARY
  CONTAINS "error: ${LIBDIR}/libtinynet.so: symbol 'other_create' not found"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --name other --data ${TINYNET}/test_data_set_0)
dnncc_error_test(dnncc_run.missing_data_dir LIBRARY
  CONTAINS "error: ${BAD}/no_such_data: not a directory"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --data ${BAD}/no_such_data)
dnncc_error_test(dnncc_run.missing_input_pb LIBRARY
  CONTAINS "error: input 'image': no data" "${BAD}/data_empty has no input_0.pb"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --data ${BAD}/data_empty)
dnncc_error_test(dnncc_run.wrong_input_shape LIBRARY
  CONTAINS "error: input 'image': expected float32[1,3,32,32], got float32[1,3,2,2] from "
           "${BAD}/data_wrong_shape/input_0.pb"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --data ${BAD}/data_wrong_shape)
dnncc_error_test(dnncc_run.unknown_input_name LIBRARY
  CONTAINS "error: --input nope=" "the model has no input 'nope' (inputs: 'image')"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --input nope=${BAD}/x.npy)
dnncc_error_test(dnncc_run.bad_command_line
  CONTAINS "error: command line: "
  COMMAND ${RUN} --bogus)
# A shape input whose run-time value disagrees with the declared output shape compiled in: the
# run fails with the kernel's check (the library is built outside OUT, which must stay empty).
dnncc_error_test(dnncc_run.runtime_shape_disagrees
  CONTAINS "'y': a shape input's run-time value disagrees with the shape the model declares"
  COMMAND sh -c "${DNNCC} ${BAD}/reshape_runtime.onnx --target=x86-64 -o ${BAD}/libreshape_rt.so && ${RUN} ${BAD}/libreshape_rt.so --input x=${BAD}/x23.npy --input shape=${BAD}/shape_other.npy")
dnncc_error_test(dnncc_run.runtime_slice_disagrees
  CONTAINS "'y': a shape input's run-time value disagrees with the shape the model declares"
  COMMAND sh -c "${DNNCC} ${BAD}/slice_runtime.onnx --target=x86-64 -o ${BAD}/libslice_rt.so && ${RUN} ${BAD}/libslice_rt.so --input x=${BAD}/x23.npy --input starts=${BAD}/starts_1.npy --input ends=${BAD}/ends_other.npy")
# The same on a GPU target (PoCL): the kernels compute the check on the device and the runtime
# reads it after the run (defer-run-checks).
dnncc_error_test(dnncc_run.runtime_shape_disagrees_opencl
  CONTAINS "libreshape_rt_ocl.so: run: 'y': a shape input's run-time value disagrees with the "
           "shape the model declares"
  COMMAND sh -c "${DNNCC} ${BAD}/reshape_runtime.onnx --target=x86-64-opencl -o ${BAD}/libreshape_rt_ocl.so && ${RUN} ${BAD}/libreshape_rt_ocl.so --input x=${BAD}/x23.npy --input shape=${BAD}/shape_other.npy")
# GPU libraries: no OpenCL platform (the ICD loader is pointed at an empty vendor directory) or
# no CUDA driver (none on a machine without an NVIDIA GPU) is an error of create, not a crash.
# The libraries are built outside OUT, which must stay empty.
dnncc_error_test(dnncc_run.no_opencl_platform
  CONTAINS "libtinynet_ocl.so: create: device memory for the arena" "OpenCL failed with Halide error"
           "is an OpenCL driver installed?"
  COMMAND sh -c "${DNNCC} ${TINYNET}/model.onnx --target=x86-64-opencl -o ${BAD}/libtinynet_ocl.so && OCL_ICD_VENDORS=${BAD}/no_opencl_vendors ${RUN} ${BAD}/libtinynet_ocl.so --data ${TINYNET}/test_data_set_0")
dnncc_error_test(dnncc_run.no_cuda_driver
  CONTAINS "libtinynet_cuda.so: create: device memory for the arena" "CUDA failed with Halide error"
           "is the NVIDIA driver installed?"
  COMMAND sh -c "${DNNCC} ${TINYNET}/model.onnx --target=nvidia -o ${BAD}/libtinynet_cuda.so && ${RUN} ${BAD}/libtinynet_cuda.so --data ${TINYNET}/test_data_set_0")
dnncc_error_test(dnncc.bfloat16_without_cl_khr_fp16
  CONTAINS "node 'add_bf16' (add): bfloat16 tensors need an OpenCL device with cl_khr_fp16"
           "target 'x86-64-opencl'"
  COMMAND ${DNNCC} ${BAD}/add_bf16.onnx --target=x86-64-opencl -o OUT/libm.so)
dnncc_error_test(dnncc.precision_fp16_on_cpu
  CONTAINS "--precision=fp16 needs a GPU target; 'x86-64' is a CPU target"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --target=x86-64 --precision=fp16 -o OUT/libm.so)
# Post-training quantization (--quantize=int8) and quantization parameters.
dnncc_error_test(dnncc.quantize_without_calibration
  CONTAINS "--quantize=int8 needs --calibration DIR"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --quantize=int8 -o OUT/libm.so)
dnncc_error_test(dnncc.calibration_without_quantize
  CONTAINS "--calibration is only read with --quantize=int8"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --calibration ${BAD}/calib_empty -o OUT/libm.so)
dnncc_error_test(dnncc.calibration_empty
  CONTAINS "calib_empty: no calibration samples"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --quantize=int8 --calibration ${BAD}/calib_empty
          -o OUT/libm.so)
dnncc_error_test(dnncc.calibration_wrong_shape
  CONTAINS "sample.npy: input 'image' expects f32[1,3,32,32]" "the file holds float32[1,3,2,2]"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --quantize=int8 --calibration ${BAD}/calib_wrong_shape
          -o OUT/libm.so)
dnncc_error_test(dnncc.calibration_nan
  CONTAINS "sample.npy: element 5 is nan: calibration samples must be finite"
  COMMAND ${DNNCC} ${TINYNET}/model.onnx --quantize=int8 --calibration ${BAD}/calib_nan
          -o OUT/libm.so)
dnncc_error_test(dnncc.quantize_negative_scale
  CONTAINS "node 'q_negative' (QuantizeLinear"
           "the scale of y is -0.5 (element 0): a scale must be finite and positive"
  COMMAND ${DNNCC} ${BAD}/quantize_negative_scale.onnx -o OUT/libm.so)
dnncc_error_test(dnncc.dequantize_zero_scale
  CONTAINS "node 'dq_zero' (DequantizeLinear"
           "the scale of x is 0 (element 0): a scale must be finite and positive"
  COMMAND ${DNNCC} ${BAD}/dequantize_zero_scale.onnx -o OUT/libm.so)
# A numeric mismatch is exit 2 with the verdict on stdout and nothing on stderr.
dnncc_error_test(dnncc_run.numeric_mismatch LIBRARY EXIT 2 LINES 0
  STDOUT "output 'probabilities'" "MISMATCH"
  COMMAND ${RUN} ${LIBDIR}/libtinynet.so --data ${BAD}/data_tampered)

# NNEF models (tests/errors/bad_nnef.py): syntax errors at file:line:column, an unknown and an
# unsupported operation, tensor files that disagree with their declarations, variable labels and
# archive members that lead outside the model, a truncated archive, one past the size limit.
set(NNEF ${BAD}/nnef)
dnncc_error_test(dnncc.nnef_syntax
  CONTAINS "syntax/graph.nnef:6:5: " "expected token ';'"
  COMMAND ${DNNCC} ${NNEF}/syntax ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_invocation_lhs
  CONTAINS "invocation_lhs/graph.nnef:8:5: " "expected an identifier, not an invocation"
  COMMAND ${DNNCC} ${NNEF}/invocation_lhs ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_binary_lhs
  CONTAINS "binary_lhs/graph.nnef:8:" "expected an identifier, not an expression"
  COMMAND ${DNNCC} ${NNEF}/binary_lhs ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_unknown_op
  CONTAINS "unknown_op/graph.nnef:7:9: " "undefined operation 'frobnicate'"
  COMMAND ${DNNCC} ${NNEF}/unknown_op ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_unsupported_op
  CONTAINS "unsupported_op/graph.nnef:7:5: node 'y' (argmax_pool): "
           "unsupported operation 'argmax_pool'"
  COMMAND ${DNNCC} ${NNEF}/unsupported_op ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_tensor_shape
  CONTAINS "node 'w' (variable): " "w.dat: shape [1,5] in the header, but the graph declares [1,4]"
  COMMAND ${DNNCC} ${NNEF}/tensor_shape ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_tensor_type
  CONTAINS "the file holds integer items, but the graph declares variable<scalar>"
  COMMAND ${DNNCC} ${NNEF}/tensor_type ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_tensor_version
  CONTAINS "tensor file version 2.0; this importer reads version 1.0"
  COMMAND ${DNNCC} ${NNEF}/tensor_version ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_tensor_truncated
  CONTAINS "the file has 140 bytes, but the header announces 144 (128 + 16)"
  COMMAND ${DNNCC} ${NNEF}/tensor_truncated ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_tensor_length
  CONTAINS "data length 12 in the header, but 4 items of 32 bits take 16 bytes"
  COMMAND ${DNNCC} ${NNEF}/tensor_length ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_label_dotdot
  CONTAINS "node 'w' (variable): variable label '../w' must not contain '..'"
  COMMAND ${DNNCC} ${NNEF}/label_dotdot ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_label_absolute
  CONTAINS "variable label '" "' must be relative to the model directory"
  COMMAND ${DNNCC} ${NNEF}/label_absolute ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_label_link
  CONTAINS "variable label 'w' leaves the model directory (symlink)"
  COMMAND ${DNNCC} ${NNEF}/label_link ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_huge_external
  CONTAINS "huge_external/graph.nnef:5:5: node 'x' (external): "
           "external 'x': shape [2000000000,2000000000,2000000000] is too large"
  COMMAND ${DNNCC} ${NNEF}/huge_external ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_dotdot
  CONTAINS "archive_dotdot.tgz: archive member '../graph.nnef' contains '..'"
  COMMAND ${DNNCC} ${NNEF}/archive_dotdot.tgz ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_absolute
  CONTAINS "archive member '/tmp/dnncc-bad/graph.nnef' has an absolute path"
  COMMAND ${DNNCC} ${NNEF}/archive_absolute.tgz ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_link
  CONTAINS "archive member 'w.dat' is a link"
  COMMAND ${DNNCC} ${NNEF}/archive_link.tgz ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_truncated
  CONTAINS "archive_truncated.tgz: " "truncated"
  COMMAND ${DNNCC} ${NNEF}/archive_truncated.tgz ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_too_large
  CONTAINS "the archive expands past the limit of 1000000 bytes"
  COMMAND ${DNNCC} ${NNEF}/archive_too_large.tgz --max-archive-bytes 1000000 ${X86}
          -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_bad_tensor
  CONTAINS "error: ${NNEF}/archive_bad_tensor.tgz/m.nnef/graph.nnef:6:5: node 'w' (variable): "
           "${NNEF}/archive_bad_tensor.tgz/m.nnef/w.dat: shape [1,5] in the header"
  COMMAND ${DNNCC} ${NNEF}/archive_bad_tensor.tgz ${X86} -o OUT/libm.so)
dnncc_error_test(dnncc.nnef_archive_no_graph
  CONTAINS "the archive holds no graph.nnef"
  COMMAND ${DNNCC} ${NNEF}/archive_no_graph.tgz ${X86} -o OUT/libm.so)

# ---- dnncc-zoo: bad usage and bad zoos (exit status 2) ----
set(ZOO ${DNNCC_TEST_PYTHON} ${CMAKE_BINARY_DIR}/bin/dnncc-zoo)
dnncc_error_test(dnncc_zoo.missing_zoo EXIT 2
  CONTAINS "error: ${BAD}/no_such_zoo: no such directory"
  COMMAND ${ZOO} ${BAD}/no_such_zoo --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.empty_zoo EXIT 2
  CONTAINS "error: ${BAD}/zoo_empty: the zoo is empty"
  COMMAND ${ZOO} ${BAD}/zoo_empty --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.no_model EXIT 2
  CONTAINS "error: ${BAD}/zoo_no_model/mynet: no model"
  COMMAND ${ZOO} ${BAD}/zoo_no_model --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.bad_toml EXIT 2
  CONTAINS "error: ${BAD}/zoo_bad_toml/tinynet/dnncc-zoo.toml: not valid TOML"
  COMMAND ${ZOO} ${BAD}/zoo_bad_toml --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.unknown_key EXIT 2
  CONTAINS "error: ${BAD}/zoo_unknown_key/tinynet/dnncc-zoo.toml: unknown key 'rtoll'"
  COMMAND ${ZOO} ${BAD}/zoo_unknown_key --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.wrong_type EXIT 2
  CONTAINS "error: ${BAD}/zoo_wrong_type/tinynet/dnncc-zoo.toml: 'atol' must be a number"
  COMMAND ${ZOO} ${BAD}/zoo_wrong_type --targets x86-64 --work OUT)
dnncc_error_test(dnncc_zoo.unknown_target EXIT 2
  CONTAINS "error: unknown target 'rk3388'" "rk3399"
  COMMAND ${ZOO} ${BAD}/zoo_ok --targets x86-64,rk3388 --work OUT)
dnncc_error_test(dnncc_zoo.bad_shard EXIT 2
  CONTAINS "error: --shard 3/2: expected I/N with 1 <= I <= N"
  COMMAND ${ZOO} ${BAD}/zoo_ok --targets x86-64 --shard 3/2 --work OUT)
dnncc_error_test(dnncc_zoo.bad_baseline EXIT 2
  CONTAINS "error: ${BAD}/baseline_bad.json: cannot read the baseline"
  COMMAND ${ZOO} ${BAD}/zoo_ok --targets x86-64 --baseline ${BAD}/baseline_bad.json --work OUT)
dnncc_error_test(dnncc_zoo.no_targets EXIT 2
  CONTAINS "error: the following arguments are required: --targets"
  COMMAND ${ZOO} ${BAD}/zoo_ok --work OUT)
