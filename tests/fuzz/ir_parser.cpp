// Fuzz target: the IR text parser (docs/ir.md), the verifier on what it accepts, and the printer,
// whose output must parse again (print/parse round trip).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ir/Text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnncc;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = parseModule(text, {.allowElided = true});
  if (!m)
    return 0;
  (void)verify(**m);
  std::string printed = print(**m, {.elideConstants = false});
  auto again = parseModule(printed);
  if (!again) {
    std::fprintf(stderr, "the printed module does not parse: %s\n%s\n",
                 again.status().format().c_str(), printed.c_str());
    std::abort();
  }
  return 0;
}
