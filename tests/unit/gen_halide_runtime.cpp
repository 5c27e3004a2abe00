// Test helper: writes a standalone Halide runtime object for a target, the way dnncc builds the one
// it links into model libraries. Usage: gen_halide_runtime OUT.o TARGET
#include <Halide.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.o TARGET\n", argv[0]);
    return 1;
  }
  Halide::compile_standalone_runtime(argv[1], Halide::Target(argv[2]));
  return 0;
}
