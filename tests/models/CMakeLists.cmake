# End-to-end model tests (include()d from tests/CMakeLists.txt), all through model_tests.py:
#   models.zoo.<name>        compile models/zoo/<name> for x86-64, dnncc-run against its test data
#                            (rtol 1e-3, atol 1e-4); label 'zoo'. A missing zoo fails with a hint
#                            to run models/export_zoo.py.
#   models.tinynet.<target>  the same for models/tinynet (default tolerances) on x86-64 and host
#   models.classify_example  examples/classify built against the generated header, top-1 = reference
#   models.two_models        tinynet as net_a and net_b in one process (tests/models/two_models.c)
#   models.emit.<kind>       --emit=obj|lib|asm|llvm|ir produce the right kind of file
#   models.exports           nm -D of a model library shows only <prefix>_* symbols
#   models.reproducible.<model>  byte-identical library and header at -j1 and -j2, empty and filled
#                            cache: tinynet on every target, squeezenet1_1 on one per code generator
#   models.qemu.<target>.<name>   zoo and tinynet compiled for rk3399 (aarch64) and armv7 (32-bit
#                            ARM), run under qemu-user by dnncc-run against their test data; the
#                            four largest models carry label 'full' (ctest --preset full)
#   models.cross.<target>.<name>  zoo compiled for rpi4, rpi3 and jetson-xavier: an ELF shared
#                            object for the target's machine
#   models.nonfinite         Pad values -inf/+inf/NaN fused with Add keep IEEE results (x86-64)
#   models.contrib           onnxruntime's contrib operators (Gelu, BiasGelu, FastGelu, QuickGelu,
#                            BiasAdd, SkipLayerNormalization, SkipSimplifiedLayerNormalization,
#                            SimplifiedLayerNormalization, FusedMatMul, FusedConv, Attention,
#                            MultiHeadAttention, EmbedLayerNormalization, RotaryEmbedding)
#                            against its CPU kernels
#   models.int8.<target>     int8_tests.py quantized: small CNN and MLP models quantized by
#                            onnxruntime (QDQ u8/s8, QOperator) run as integer convs and matmuls
#                            and match onnxruntime within one quantization step: x86-64, host,
#                            and under qemu (rk3399, armv7)
#   models.int8_ptq.<target> int8_tests.py ptq: dnncc --quantize=int8 of float models, output
#                            SNR at least onnxruntime's quantize_static with the same samples
#                            (within 1 dB): x86-64, and under qemu (rk3399, jetson-xavier: int8
#                            activations for sdot)
#   models.int8_zoo.<target> int8_tests.py zoo: --quantize=int8 of the zoo's CNNs (all on x86-64,
#                            resnet50 and convnext_tiny as models.int8_zoo_large.x86-64 in
#                            'full'; mobilenet_v2 and squeezenet1_1 under qemu on rk3399, armv7),
#                            SNR >= 25 dB against the f32 reference, same top-1
#   models.int8_contrib      int8_tests.py contrib: onnxruntime's quantized com.microsoft ops
#                            (QLinearAdd, QGemm, ...), one node each, against its CPU kernels
#   models.int8_asm.<target> int8_tests.py asm: the int8 conv kernels' multiply-accumulate
#                            instructions (vpdpbusd on x86-64-avx512-vnni, vpmaddwd on x86-64,
#                            widening NEON multiplies on rk3399 and armv7, sdot on jetson-xavier
#                            with int8 activations), weights 1 byte each
#   models.profile.<target>  dnncc-run --profile / --profile-json: one row per kernel call naming
#                            the model's ONNX nodes, every conv/gemm/activation node covered, a
#                            valid Chrome trace; mobilenet_v2 on x86-64, tinynet under qemu
#                            (rk3399) and on PoCL (x86-64-opencl)
#   models.conv_chains.<target>  1x1 conv + activation + depthwise conv models (odd channels,
#                            strides 1/2, kernels 3/5, narrow maps, batch 2) in one kernel call,
#                            matching onnxruntime: on x86-64, host, and under qemu (rk3399, armv7)
#   models.concats.<target>  concats of conv and matmul outputs (NHWC channel slots with odd
#                            counts, three operands at batch 2, the height axis, row-major rows, a
#                            ShuffleNetV2 channel shuffle) written in place by their operands'
#                            kernels (no concat or transpose kernel in the profile; a model input
#                            or output operand copied into its slot), matching onnxruntime: on
#                            x86-64 and under qemu (rk3399)
#   models.layouts.<target>  a detector's blocks (a conv result that is a model output or feeds a
#                            reshape, a CSP block's slices and residual add, nearest upsampling
#                            into a concat) with every conv kernel NHWC, softmax over a
#                            non-innermost axis, log_softmax over channels, convs reading a
#                            channel-shuffled (row-major) input, matching onnxruntime: on x86-64
#                            and under qemu (rk3399)
#   models.host_fp16         float16 arithmetic for --target=host has no AVX512-FP16 instruction
#                            unless the CPU has it (--emit=asm; AMD Zen 4 has AVX-512 without it)
#   models.neon              ARM conv and matmul kernels use NEON fmla (on --emit=asm)
#   models.opencl.<name>     zoo and tinynet compiled for x86-64-opencl and run on PoCL (OpenCL on
#                            the CPU) in dnncc-run's process, not the compiler's (PoCL brings its
#                            own LLVM): same tolerances as x86-64, on the OpenCL device, one copy
#                            per input and output; label 'opencl'
#   models.opencl.copies     the OpenCL library's transfers and device allocations counted by an
#                            LD_PRELOAD shim
#   models.dynamic, models.opencl.dynamic  TopK with a run-time k and no declared output shape:
#                        data-dependent outputs (run shape and values) for several k
#   models.exact, models.opencl.exact  Mod (fmod 0/1), Cast f64->f16 and DequantizeLinear
#                            e4m3fn->f16 on data over their types' ranges, bit for bit equal to
#                            numpy: on x86-64, and on PoCL through x86-64-opencl (label 'opencl')
#   models.zero_size.<target>  zero-size tensors (empty slices, inputs, outputs, split parts,
#                            tiles, ranges; sums and matmuls over an empty axis) against
#                            onnxruntime on x86-64, rk3399 (qemu) and x86-64-opencl (PoCL)
#   models.opencl_fp16.<name>  zoo compiled with --precision=fp16 for x86-64-opencl, run on PoCL:
#                            within rtol 2e-2 / atol 2e-2 (resnet50: atol 1) of the fp32
#                            reference and, for the classifiers (all but bert_tiny), the same
#                            top-1 class; label 'fp16' (resnet50, convnext_tiny, efficientnet_b0,
#                            mobilenet_v3_large, yolo_detector and lstm_kws in 'full')
#   models.gpu_fp16.<target>.<name>  resnet18 with --precision=fp16 for rk3399-mali, nvidia,
#                            jetson-xavier-gpu and nvidia-ampere (mobilenet_v2, bert_tiny too on
#                            rk3399-mali and nvidia-ampere): as models.gpu, the Mali OpenCL C uses
#                            `half` and builds with clang-14, and the kernels compute in half with
#                            native conversions (no integer f16 bit conversions)
#   models.gpu.<target>.<name>  zoo compiled for rk3399-mali, nvidia, jetson-xavier-gpu, amd-vega
#                            and amd-rdna2 (and tinynet for the other NVIDIA targets): the ELF
#                            machine, the embedded OpenCL C or PTX for the right sm_NN (assembled
#                            by ptxas where the CUDA toolkit is installed), for the AMD targets
#                            the OpenCL C compiled by clang-14 for gfx900 / gfx1030, no undefined
#                            runtime symbol; for jetson-xavier-gpu, amd-vega and amd-rdna2 three
#                            models, the rest in 'full'
#   models.opencl.<amd target>.<name>  tinynet and the zoo compiled for amd-vega and amd-rdna2
#                            (without fp16, which PoCL lacks) and run on PoCL (amd-rdna2:
#                            tinynet, squeezenet1_1, mobilenet_v2; the rest in 'full')
get_filename_component(DNNCC_MODELS_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DNNCC_MODELS_BIN ${CMAKE_CURRENT_BINARY_DIR}/models)

set(DNNCC_MODEL_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/model_tests.py --dnncc $<TARGET_FILE:dnncc>
    --dnncc-run $<TARGET_FILE:dnncc-run> --cc ${CMAKE_C_COMPILER} --repo ${DNNCC_MODELS_REPO})

# The zoo's model names come from models/zoo.json (the zoo itself is generated, not configured).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${DNNCC_MODELS_REPO}/models/zoo.json)
file(READ ${DNNCC_MODELS_REPO}/models/zoo.json zoo_json)
string(JSON zoo_count LENGTH "${zoo_json}" models)
math(EXPR zoo_last "${zoo_count} - 1")
foreach(i RANGE ${zoo_last})
  string(JSON name GET "${zoo_json}" models ${i} name)
  add_test(NAME models.zoo.${name}
           COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 compile-run
                   ${DNNCC_MODELS_REPO}/models/zoo/${name} ${DNNCC_MODELS_BIN}/zoo/lib${name}.so
                   --rtol 1e-3 --atol 1e-4)
  set_tests_properties(models.zoo.${name} PROPERTIES LABELS "zoo;models" TIMEOUT 300)
endforeach()

# Cross targets: every zoo model compiles for each ARM target; rk3399 and armv7 also run under
# qemu-user and must match the reference like x86-64.
set(cross_machine_rk3399 aarch64)
set(cross_machine_armv7 arm)
set(cross_machine_rpi4 aarch64)
set(cross_machine_rpi3 aarch64)
set(cross_machine_jetson-xavier aarch64)
foreach(i RANGE ${zoo_last})
  string(JSON name GET "${zoo_json}" models ${i} name)
  foreach(target rk3399 armv7)
    add_test(NAME models.qemu.${target}.${name}
             COMMAND ${DNNCC_MODEL_TEST} --target=${target} --machine=${cross_machine_${target}}
                     compile-run ${DNNCC_MODELS_REPO}/models/zoo/${name}
                     ${DNNCC_MODELS_BIN}/qemu-${target}/lib${name}.so --rtol 1e-3 --atol 1e-4)
    # The four largest models take most of the emulation time: label 'full' (ctest --preset full)
    # keeps them out of the default run, which still runs the other zoo models under qemu.
    set(labels "zoo;models;qemu")
    if(name MATCHES "^(resnet18|resnet50|convnext_tiny|efficientnet_b0)$")
      list(APPEND labels full)
    endif()
    set_tests_properties(models.qemu.${target}.${name} PROPERTIES LABELS "${labels}" TIMEOUT 600)
  endforeach()
  foreach(target rpi4 rpi3 jetson-xavier)
    add_test(NAME models.cross.${target}.${name}
             COMMAND ${DNNCC_MODEL_TEST} --target=${target} --machine=${cross_machine_${target}}
                     compile-only ${DNNCC_MODELS_REPO}/models/zoo/${name}
                     ${DNNCC_MODELS_BIN}/cross-${target}/lib${name}.so)
    set_tests_properties(models.cross.${target}.${name} PROPERTIES LABELS "zoo;models;cross"
                         TIMEOUT 300)
  endforeach()
endforeach()
# GPU targets. Each zoo model runs on PoCL through x86-64-opencl (the OpenCL schedules are the
# ones rk3399-mali uses) and compiles for the board and NVIDIA targets.
set(gpu_api_rk3399-mali opencl)
set(gpu_api_amd-vega opencl)
set(gpu_api_amd-rdna2 opencl)
set(gpu_cl_device_amd-vega amdgcn-amd-amdhsa:gfx900)
set(gpu_cl_device_amd-rdna2 amdgcn-amd-amdhsa:gfx1030)
set(gpu_api_nvidia cuda)
set(gpu_api_jetson-xavier-gpu cuda)
set(gpu_api_nvidia-volta cuda)
set(gpu_api_nvidia-turing cuda)
set(gpu_api_nvidia-ampere cuda)
set(gpu_sm_nvidia 61)
set(gpu_sm_jetson-xavier-gpu 70)
set(gpu_sm_nvidia-volta 70)
set(gpu_sm_nvidia-turing 75)
set(gpu_sm_nvidia-ampere 80)
set(gpu_machine_rk3399-mali aarch64)
set(gpu_machine_jetson-xavier-gpu aarch64)
# dnncc_gpu_code_test(TARGET NAME MODEL_DIR [extra gpu-code arguments])
function(dnncc_gpu_code_test target name model_dir)
  set(args --target=${target})
  if(DEFINED gpu_machine_${target})
    list(APPEND args --machine=${gpu_machine_${target}})
  endif()
  set(sub gpu-code ${model_dir} ${DNNCC_MODELS_BIN}/gpu-${target}/lib${name}.so
          --api ${gpu_api_${target}})
  if(DEFINED gpu_sm_${target})
    list(APPEND sub --sm ${gpu_sm_${target}})
  endif()
  if(DEFINED gpu_cl_device_${target})
    list(APPEND sub --cl-device ${gpu_cl_device_${target}})
  endif()
  list(APPEND sub ${ARGN})
  add_test(NAME models.gpu.${target}.${name} COMMAND ${DNNCC_MODEL_TEST} ${args} ${sub})
  set_tests_properties(models.gpu.${target}.${name} PROPERTIES LABELS "models;gpu" TIMEOUT 300)
endfunction()
foreach(i RANGE ${zoo_last})
  string(JSON name GET "${zoo_json}" models ${i} name)
  add_test(NAME models.opencl.${name}
           COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl compile-run
                   ${DNNCC_MODELS_REPO}/models/zoo/${name} ${DNNCC_MODELS_BIN}/opencl/lib${name}.so
                   --rtol 1e-3 --atol 1e-4 --device OpenCL)
  set_tests_properties(models.opencl.${name} PROPERTIES LABELS "zoo;models;opencl" TIMEOUT 600)
  # --precision=fp16: tolerance rtol 2e-2 / atol 2e-2 (docs/usage.md, "--precision"); resnet50's
  # logits reach 775, where f16's spacing is 0.5, so its atol is 1 (two spacings). The
  # classifiers' top-1 class must equal the reference's (bert_tiny gives hidden states, the
  # detector boxes and scores per anchor: no class axis last).
  set(top1 --top1)
  if(name MATCHES "^(bert_tiny|bert_ort_optimized|yolo_detector)$")
    set(top1)
  endif()
  set(atol 2e-2)
  if(name STREQUAL "resnet50")
    set(atol 1)
  endif()
  add_test(NAME models.opencl_fp16.${name}
           COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl compile-run
                   ${DNNCC_MODELS_REPO}/models/zoo/${name}
                   ${DNNCC_MODELS_BIN}/opencl_fp16/lib${name}.so --precision fp16
                   --rtol 2e-2 --atol ${atol} --device OpenCL ${top1})
  # The classifiers that take PoCL longest (and the detector and LSTM) run in 'full': fp16's
  # kernels differ from fp32's only in the element type, which the models left run too.
  set(labels zoo models opencl fp16)
  if(name MATCHES "^(resnet50|convnext_tiny|efficientnet_b0|mobilenet_v3_large|yolo_detector|lstm_kws)$")
    list(APPEND labels full)
  endif()
  set_tests_properties(models.opencl_fp16.${name} PROPERTIES LABELS "${labels}" TIMEOUT 600)
  foreach(target rk3399-mali nvidia jetson-xavier-gpu amd-vega amd-rdna2)
    # Every zoo model has a matmul, a gemm or a 1x1 conv: the tiled schedules stage its tiles.
    dnncc_gpu_code_test(${target} ${name} ${DNNCC_MODELS_REPO}/models/zoo/${name} --staged)
    # jetson-xavier-gpu's kernels differ from nvidia's only in sm_72 and the target's numbers,
    # amd-rdna2's from amd-vega's in the wavefront, and amd-vega's kernels also run on PoCL
    # (models.opencl.amd-vega.*): three models each by default, the rest of the zoo in 'full'
    # (keeps the default suite within 30 minutes on two cores).
    if(target MATCHES "^(jetson-xavier-gpu|amd-vega|amd-rdna2)$" AND
       NOT name MATCHES "^(squeezenet1_1|mobilenet_v2|shufflenet_v2_x1_0)$")
      set_tests_properties(models.gpu.${target}.${name} PROPERTIES LABELS "models;gpu;full")
    endif()
  endforeach()
endforeach()
foreach(target nvidia-volta nvidia-turing nvidia-ampere)
  dnncc_gpu_code_test(${target} tinynet ${DNNCC_MODELS_REPO}/models/tinynet)
endforeach()
# --precision=fp16 for the targets whose devices compute in half (gpu.fp16): the model compiles,
# rk3399-mali's OpenCL C holds f16 tensors as `half` (cl_khr_fp16) and clang-14 compiles it, the
# PTX assembles; the kernels compute in half (OpenCL C half arithmetic, PTX add/mul/fma/max .f16)
# and convert with the device's conversions, never with LowPrecision.cpp's integer bit operations.
# resnet18 on every such target; mobilenet_v2 (clip) and bert_tiny (gelu, layer_norm, softmax:
# f32 inside) on rk3399-mali and nvidia-ampere.
function(dnncc_gpu_fp16_test target name)
  set(args --target=${target})
  if(DEFINED gpu_machine_${target})
    list(APPEND args --machine=${gpu_machine_${target}})
  endif()
  set(sub gpu-code ${DNNCC_MODELS_REPO}/models/zoo/${name}
          ${DNNCC_MODELS_BIN}/gpu-fp16-${target}/lib${name}.so --api ${gpu_api_${target}}
          --precision fp16)
  if(DEFINED gpu_sm_${target})
    list(APPEND sub --sm ${gpu_sm_${target}})
  endif()
  if(DEFINED gpu_cl_device_${target})
    list(APPEND sub --cl-device ${gpu_cl_device_${target}})
  endif()
  add_test(NAME models.gpu_fp16.${target}.${name} COMMAND ${DNNCC_MODEL_TEST} ${args} ${sub})
  set_tests_properties(models.gpu_fp16.${target}.${name} PROPERTIES LABELS "models;gpu;fp16"
                       TIMEOUT 300)
endfunction()
foreach(target rk3399-mali nvidia jetson-xavier-gpu nvidia-ampere amd-vega amd-rdna2)
  dnncc_gpu_fp16_test(${target} resnet18)
endforeach()
foreach(target rk3399-mali nvidia-ampere)
  dnncc_gpu_fp16_test(${target} mobilenet_v2)
  dnncc_gpu_fp16_test(${target} bert_tiny)
endforeach()
add_test(NAME models.opencl.tinynet
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl compile-run
                 ${DNNCC_MODELS_REPO}/models/tinynet ${DNNCC_MODELS_BIN}/opencl/libtinynet.so
                 --rtol 1e-3 --atol 1e-5 --device OpenCL)
# The AMD targets' kernels (x86-64 host, OpenCL: their work-groups, wavefront, 64 KiB local
# tiles) run on PoCL with the same tolerances as x86-64-opencl. PoCL has no cl_khr_fp16, and a
# target with gpu.fp16 declares `half` helpers in every OpenCL module, so the run uses a copy of
# the target file with fp16 false (<target>-pocl.json; the fp32 kernels are otherwise the same).
# The whole zoo for amd-vega; for amd-rdna2, whose kernels differ only in the wavefront its small
# work-groups are rounded to, three models by default and the rest of the zoo in 'full'.
foreach(target amd-vega amd-rdna2)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${DNNCC_MODELS_REPO}/targets/${target}.json)
  file(READ ${DNNCC_MODELS_REPO}/targets/${target}.json target_json)
  string(JSON target_json SET "${target_json}" name "\"${target}-pocl\"")
  string(JSON target_json SET "${target_json}" gpu fp16 false)
  file(WRITE ${DNNCC_MODELS_BIN}/${target}-pocl.json "${target_json}")
  foreach(name tinynet squeezenet1_1 mobilenet_v2 shufflenet_v2_x1_0 resnet18 resnet50
               efficientnet_b0 convnext_tiny bert_tiny)
    set(dir ${DNNCC_MODELS_REPO}/models/zoo/${name})
    if(name STREQUAL "tinynet")
      set(dir ${DNNCC_MODELS_REPO}/models/tinynet)
    endif()
    add_test(NAME models.opencl.${target}.${name}
             COMMAND ${DNNCC_MODEL_TEST} --target=${DNNCC_MODELS_BIN}/${target}-pocl.json
                     compile-run ${dir}
                     ${DNNCC_MODELS_BIN}/opencl-${target}/lib${name}.so --rtol 1e-3 --atol 1e-4
                     --device OpenCL)
    set(labels "models;opencl")
    if(target STREQUAL "amd-rdna2" AND NOT name MATCHES "^(tinynet|squeezenet1_1|mobilenet_v2)$")
      list(APPEND labels full)
    endif()
    set_tests_properties(models.opencl.${target}.${name} PROPERTIES LABELS "${labels}"
                         TIMEOUT 600)
  endforeach()
endforeach()
add_test(NAME models.opencl.copies
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl copies ${DNNCC_MODELS_BIN}/copies)
set_tests_properties(models.opencl.tinynet models.opencl.copies PROPERTIES
                     LABELS "models;opencl" TIMEOUT 300)
add_test(NAME models.exact
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 exact ${DNNCC_MODELS_BIN}/exact)
add_test(NAME models.opencl.exact
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl exact ${DNNCC_MODELS_BIN}/opencl-exact)
set_tests_properties(models.exact PROPERTIES LABELS models TIMEOUT 300)
add_test(NAME models.dynamic
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 dynamic ${DNNCC_MODELS_BIN}/dynamic)
add_test(NAME models.opencl.dynamic
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl dynamic ${DNNCC_MODELS_BIN}/opencl-dynamic)
set_tests_properties(models.dynamic PROPERTIES LABELS models TIMEOUT 300)
set_tests_properties(models.opencl.dynamic PROPERTIES LABELS "models;opencl" TIMEOUT 300)
set_tests_properties(models.opencl.exact PROPERTIES LABELS "models;opencl" TIMEOUT 300)
# Zero-size tensors (tests/models/zero_size.py): empty slices, inputs, outputs, splits, tiles and
# ranges, reductions and matmuls over an empty axis, against onnxruntime, on each code generator.
foreach(target x86-64 rk3399 x86-64-opencl)
  add_test(NAME models.zero_size.${target}
           COMMAND ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/zero_size.py
                   --dnncc $<TARGET_FILE:dnncc> --dnncc-run $<TARGET_FILE:dnncc-run>
                   --target ${target} ${DNNCC_MODELS_BIN}/zero-size-${target})
  set_tests_properties(models.zero_size.${target} PROPERTIES LABELS models TIMEOUT 300)
endforeach()

foreach(target rk3399 armv7)
  add_test(NAME models.qemu.${target}.tinynet
           COMMAND ${DNNCC_MODEL_TEST} --target=${target} --machine=${cross_machine_${target}}
                   compile-run ${DNNCC_MODELS_REPO}/models/tinynet
                   ${DNNCC_MODELS_BIN}/qemu-${target}/libtinynet.so --rtol 1e-3 --atol 1e-5)
  set_tests_properties(models.qemu.${target}.tinynet PROPERTIES LABELS "models;qemu" TIMEOUT 120)
endforeach()
add_test(NAME models.contrib
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 contrib ${DNNCC_MODELS_BIN}/contrib)
set_tests_properties(models.contrib PROPERTIES LABELS models TIMEOUT 300)
add_test(NAME models.profile.x86-64
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 profile
                 ${DNNCC_MODELS_REPO}/models/zoo/mobilenet_v2 ${DNNCC_MODELS_BIN}/profile-x86-64)
set_tests_properties(models.profile.x86-64 PROPERTIES LABELS "models;zoo" TIMEOUT 300)
# dnncc_per_target_test(NAME SUBCOMMAND TIMEOUT COMMAND cmd... TARGETS target...): one test
# NAME.<target> per target, running `cmd --target=<target> SUBCOMMAND <its work directory>`;
# label 'models', and 'qemu' for the ARM targets (their libraries run under qemu-user).
function(dnncc_per_target_test name subcommand timeout)
  cmake_parse_arguments(T "" "" "COMMAND;TARGETS" ${ARGN})
  foreach(target IN LISTS T_TARGETS)
    add_test(NAME ${name}.${target}
             COMMAND ${T_COMMAND} --target=${target} ${subcommand}
                     ${DNNCC_MODELS_BIN}/${name}-${target})
    set(labels models)
    if(target MATCHES "rk3399|armv7|jetson-xavier")
      list(APPEND labels qemu)
    endif()
    set_tests_properties(${name}.${target} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
  endforeach()
endfunction()
dnncc_per_target_test(models.conv_chains conv-chains 300 COMMAND ${DNNCC_MODEL_TEST}
                      TARGETS x86-64 host rk3399 armv7)
dnncc_per_target_test(models.concats concats 300 COMMAND ${DNNCC_MODEL_TEST}
                      TARGETS x86-64 rk3399)
dnncc_per_target_test(models.layouts layouts 300 COMMAND ${DNNCC_MODEL_TEST}
                      TARGETS x86-64 rk3399)
set(DNNCC_INT8_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    ${DNNCC_TEST_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/int8_tests.py --dnncc $<TARGET_FILE:dnncc>
    --dnncc-run $<TARGET_FILE:dnncc-run>)
dnncc_per_target_test(models.int8 quantized 600 COMMAND ${DNNCC_INT8_TEST}
                      TARGETS x86-64 host rk3399 armv7)
dnncc_per_target_test(models.int8_ptq ptq 600 COMMAND ${DNNCC_INT8_TEST}
                      TARGETS x86-64 rk3399 jetson-xavier)
# --quantize=int8 across the zoo: every CNN on x86-64 (the two largest, resnet50 and
# convnext_tiny, as models.int8_zoo_large.x86-64 in 'full'); two mobile CNNs under qemu (rk3399,
# armv7).
set(int8_zoo_x86-64 resnet18,squeezenet1_1,shufflenet_v2_x1_0,mobilenet_v2,mobilenet_v3_large,efficientnet_b0)
set(int8_zoo_rk3399 mobilenet_v2,squeezenet1_1)
set(int8_zoo_armv7 mobilenet_v2,squeezenet1_1)
foreach(target x86-64 rk3399 armv7)
  add_test(NAME models.int8_zoo.${target}
           COMMAND ${DNNCC_INT8_TEST} --repo ${DNNCC_MODELS_REPO} --target=${target} zoo
                   ${DNNCC_MODELS_BIN}/int8-zoo-${target} --models ${int8_zoo_${target}})
  set(labels models zoo)
  if(target MATCHES "rk3399|armv7")
    list(APPEND labels qemu)
  endif()
  set_tests_properties(models.int8_zoo.${target} PROPERTIES LABELS "${labels}" TIMEOUT 900)
endforeach()
add_test(NAME models.int8_zoo_large.x86-64
         COMMAND ${DNNCC_INT8_TEST} --repo ${DNNCC_MODELS_REPO} --target=x86-64 zoo
                 ${DNNCC_MODELS_BIN}/int8-zoo-large-x86-64 --models resnet50,convnext_tiny)
set_tests_properties(models.int8_zoo_large.x86-64 PROPERTIES LABELS "models;zoo;full"
                     TIMEOUT 900)
add_test(NAME models.int8_contrib
         COMMAND ${DNNCC_INT8_TEST} --target=x86-64 contrib ${DNNCC_MODELS_BIN}/int8-contrib)
set_tests_properties(models.int8_contrib PROPERTIES LABELS models TIMEOUT 600)
# The instructions of the integer conv kernels, per target (int8_tests.py asm --expect).
set(int8_asm_x86-64-avx512-vnni "vpdpbusd")
set(int8_asm_x86-64 "vpmaddwd")
set(int8_asm_rk3399 "smlal|smull|mul\\s+v\\d+\\.8h")
set(int8_asm_armv7 "vmlal\\.s16|vmull\\.s16|vmul\\.i16")
foreach(target x86-64-avx512-vnni x86-64 rk3399 armv7)
  add_test(NAME models.int8_asm.${target}
           COMMAND ${DNNCC_INT8_TEST} --target=${target} asm ${DNNCC_MODELS_BIN}/int8-asm-${target}
                   --expect "${int8_asm_${target}}")
  set_tests_properties(models.int8_asm.${target} PROPERTIES LABELS models TIMEOUT 300)
endforeach()
# ARM's dot product (jetson-xavier's +dotprod) multiplies int8 by int8: a QDQ model with int8
# activations uses sdot.
add_test(NAME models.int8_asm.jetson-xavier
         COMMAND ${DNNCC_INT8_TEST} --target=jetson-xavier asm
                 ${DNNCC_MODELS_BIN}/int8-asm-jetson-xavier --expect sdot --activations s8)
set_tests_properties(models.int8_asm.jetson-xavier PROPERTIES LABELS models TIMEOUT 300)
add_test(NAME models.profile.rk3399
         COMMAND ${DNNCC_MODEL_TEST} --target=rk3399 profile ${DNNCC_MODELS_REPO}/models/tinynet
                 ${DNNCC_MODELS_BIN}/profile-rk3399)
set_tests_properties(models.profile.rk3399 PROPERTIES LABELS "models;qemu" TIMEOUT 300)
add_test(NAME models.profile.x86-64-opencl
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64-opencl profile
                 ${DNNCC_MODELS_REPO}/models/tinynet ${DNNCC_MODELS_BIN}/profile-opencl)
set_tests_properties(models.profile.x86-64-opencl PROPERTIES LABELS "models;opencl" TIMEOUT 300)
add_test(NAME models.host_fp16 COMMAND ${DNNCC_MODEL_TEST} host-fp16 ${DNNCC_MODELS_BIN}/host_fp16)
set_tests_properties(models.host_fp16 PROPERTIES LABELS models TIMEOUT 300)
add_test(NAME models.neon COMMAND ${DNNCC_MODEL_TEST} --target=rk3399 neon ${DNNCC_MODELS_BIN}/neon)
set_tests_properties(models.neon PROPERTIES LABELS models TIMEOUT 300)

foreach(target x86-64 host)
  add_test(NAME models.tinynet.${target}
           COMMAND ${DNNCC_MODEL_TEST} --target=${target} compile-run
                   ${DNNCC_MODELS_REPO}/models/tinynet
                   ${DNNCC_MODELS_BIN}/tinynet-${target}/libtinynet.so --rtol 1e-3 --atol 1e-5)
  set_tests_properties(models.tinynet.${target} PROPERTIES LABELS models TIMEOUT 120)
endforeach()

add_test(NAME models.classify_example
         COMMAND ${DNNCC_MODEL_TEST} classify ${DNNCC_MODELS_BIN}/classify)
add_test(NAME models.two_models
         COMMAND ${DNNCC_MODEL_TEST} two-models ${DNNCC_MODELS_BIN}/two_models
                 "--cflags=${CMAKE_C_FLAGS}")
# Reproducible output: the same model and flags give byte-identical libraries and headers at -j1
# and -j2, with an empty and a filled cache: tinynet on every target, squeezenet1_1 (many kernels
# with the same Halide function names) on one target per code generator (x86, ARM, OpenCL, CUDA).
add_test(NAME models.reproducible.tinynet
         COMMAND ${DNNCC_MODEL_TEST} reproducible ${DNNCC_MODELS_REPO}/models/tinynet
                 ${DNNCC_MODELS_BIN}/reproducible/tinynet --targets all)
add_test(NAME models.reproducible.squeezenet1_1
         COMMAND ${DNNCC_MODEL_TEST} reproducible ${DNNCC_MODELS_REPO}/models/zoo/squeezenet1_1
                 ${DNNCC_MODELS_BIN}/reproducible/squeezenet1_1
                 --targets x86-64,rk3399,rk3399-mali,nvidia-ampere)
set_tests_properties(models.reproducible.tinynet models.reproducible.squeezenet1_1 PROPERTIES
                     LABELS "models;reproducible" TIMEOUT 600)
add_test(NAME models.exports COMMAND ${DNNCC_MODEL_TEST} exports ${DNNCC_MODELS_BIN}/exports)
add_test(NAME models.nonfinite
         COMMAND ${DNNCC_MODEL_TEST} nonfinite ${DNNCC_MODELS_BIN}/nonfinite)
# Runtime robustness (docs/security.md): bad arguments, NaN/Inf inputs, 10,000 runs with stable
# memory, four threads on two libraries. In the asan/tsan presets the program and the runtime are
# built with the sanitizer (label 'sanitize'); in other builds it also runs under valgrind.
add_test(NAME models.robustness
         COMMAND ${DNNCC_MODEL_TEST} robustness ${DNNCC_MODELS_BIN}/robustness
                 "--cflags=${CMAKE_C_FLAGS}")
set_tests_properties(models.robustness PROPERTIES LABELS "models;sanitize" TIMEOUT 600)
if(NOT CMAKE_C_FLAGS MATCHES "-fsanitize")
  add_test(NAME models.robustness_valgrind
           COMMAND ${DNNCC_MODEL_TEST} robustness ${DNNCC_MODELS_BIN}/robustness_valgrind
                   --valgrind)
  set_tests_properties(models.robustness_valgrind PROPERTIES LABELS models TIMEOUT 300)
endif()
set_tests_properties(models.two_models PROPERTIES LABELS "models;sanitize" TIMEOUT 120)
# Guard pages after and before the arena and every input/output buffer (tests/models/guard_pages.c,
# docs/security.md): no kernel reads or writes outside them.
add_test(NAME models.guard_pages
         COMMAND ${DNNCC_MODEL_TEST} --target=x86-64 guard-pages ${DNNCC_MODELS_BIN}/guard_pages)
set_tests_properties(models.guard_pages PROPERTIES LABELS "models;zoo" TIMEOUT 300)
set(model_tests models.classify_example models.exports models.nonfinite)
foreach(kind obj lib asm llvm ir)
  add_test(NAME models.emit.${kind}
           COMMAND ${DNNCC_MODEL_TEST} emit ${kind} ${DNNCC_MODELS_BIN}/emit-${kind})
  list(APPEND model_tests models.emit.${kind})
endforeach()
set_tests_properties(${model_tests} PROPERTIES LABELS models TIMEOUT 120)

# Without the generated zoo a zoo test fails (not skips) and says how to generate it.
add_test(NAME models.zoo_missing_says_how_to_export
         COMMAND ${DNNCC_MODEL_TEST} compile-run ${DNNCC_MODELS_BIN}/no_such_zoo/zoo/m
                 ${DNNCC_MODELS_BIN}/no_such_zoo/libm.so)
set_tests_properties(models.zoo_missing_says_how_to_export PROPERTIES LABELS models TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "FAIL: .*is missing: run .*models/export_zoo.py")
