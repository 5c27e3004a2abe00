# examples/board built as a user would (include()d from tests/CMakeLists.txt), via board_test.sh:
#   models.board.host     native build (DNNCC_TARGET=host), runs ./classify; its "top-1: class N"
#                         line is the reference of the others (fixture board_host)
#   models.board.rk3399   toolchain-aarch64.cmake + DNNCC_TARGET=rk3399, classify under qemu-aarch64
#   models.board.armv7    toolchain-armv7.cmake + DNNCC_TARGET=armv7, classify under qemu-arm
#   models.board.cross_needs_target   a cross configure without DNNCC_TARGET is a clear error
# Each configures a fresh build directory under <build>/tests/board/ with cmake -G Ninja.
get_filename_component(DNNCC_BOARD_REPO ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DNNCC_BOARD_BIN ${CMAKE_CURRENT_BINARY_DIR}/board)
set(DNNCC_BOARD_TEST ${CMAKE_COMMAND} -E env DNNCC_CACHE_DIR=${CMAKE_BINARY_DIR}/dnncc-cache
    bash ${CMAKE_CURRENT_LIST_DIR}/board_test.sh --cmake ${CMAKE_COMMAND}
    --ninja ${CMAKE_MAKE_PROGRAM} --dnncc $<TARGET_FILE:dnncc> --repo ${DNNCC_BOARD_REPO})
set(board_examples ${DNNCC_BOARD_REPO}/examples/board)

add_test(NAME models.board.host
         COMMAND ${DNNCC_BOARD_TEST} --work ${DNNCC_BOARD_BIN}/host --target host
                 --cc ${CMAKE_C_COMPILER} --write-reference ${DNNCC_BOARD_BIN}/host-top1.txt)
set_tests_properties(models.board.host PROPERTIES FIXTURES_SETUP board_host)

add_test(NAME models.board.rk3399
         COMMAND ${DNNCC_BOARD_TEST} --work ${DNNCC_BOARD_BIN}/rk3399 --target rk3399
                 --toolchain ${board_examples}/toolchain-aarch64.cmake --machine AArch64
                 --run "qemu-aarch64 -L /usr/aarch64-linux-gnu"
                 --expect-reference ${DNNCC_BOARD_BIN}/host-top1.txt)
add_test(NAME models.board.armv7
         COMMAND ${DNNCC_BOARD_TEST} --work ${DNNCC_BOARD_BIN}/armv7 --target armv7
                 --toolchain ${board_examples}/toolchain-armv7.cmake --machine ARM
                 --run "qemu-arm -L /usr/arm-linux-gnueabihf"
                 --expect-reference ${DNNCC_BOARD_BIN}/host-top1.txt)
set_tests_properties(models.board.rk3399 models.board.armv7 PROPERTIES FIXTURES_REQUIRED board_host)

add_test(NAME models.board.cross_needs_target
         COMMAND ${DNNCC_BOARD_TEST} --work ${DNNCC_BOARD_BIN}/no-target
                 --toolchain ${board_examples}/toolchain-aarch64.cmake --expect-configure-error)

set_tests_properties(models.board.host models.board.rk3399 models.board.armv7
                     models.board.cross_needs_target PROPERTIES LABELS "models;board" TIMEOUT 180)
